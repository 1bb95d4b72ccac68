import 'reflect-metadata';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { cpus, totalmem } from 'os';
import { join } from 'path';
import { packageRoot } from '../../src/config';
import { runBatching, type BatchingResult } from './batching';
import { PERFORMANCE_DOC, RESULTS_FILE, withPerformanceFigures } from './docs';
import { runEngine } from './engine';
import { useDatabasePrefix } from './fixtures';
import { loadByCount } from './load';
import { parseBenchArgs } from './options';
import { runOverhead, type OverheadResult } from './overhead';
import { pinServersApart, serverEnvironment } from './processes';
import { mergeResults, type BenchResults } from './results';
import { runScale, type ScaleResult } from './scale';
import { runStorage, type StorageResult } from './storage';
import { fmt, type Measured } from './stats';

const range = (m: Measured, digits = 2) => `${fmt(m.median, digits)} (${fmt(m.min, digits)}–${fmt(m.max, digits)})`;

interface Row {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

function table(rows: Row[]): string {
  const head = ['figure', 'median (min–max over rounds)', 'target', ''];
  const lines = rows.map((r) => [r.figure, r.value, r.target ?? '', r.met === undefined ? '' : r.met ? 'met' : 'MISSED']);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...lines.map(line)].join('\n');
}

async function main(): Promise<void> {
  const defaultOutput = join(packageRoot(), RESULTS_FILE);
  const options = parseBenchArgs(process.argv.slice(2), defaultOutput);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = new Date();
  // A smoke run's databases are its own, so that it never drops those of a benchmark running beside it.
  if (options.smoke) {
    useDatabasePrefix(`portico_smoke_${process.pid}`);
    // It checks that every section works, not how fast: a request slowed by a busy machine is not a failure.
    Object.assign(serverEnvironment, { PORTICO_REQUEST_TIMEOUT_MS: '120000', PORTICO_SUBGRAPH_TIMEOUT_MS: '120000' });
  }
  loadByCount(options.load.requests);
  const pinned = options.pin ? (pinServersApart() ?? null) : null;
  log(`bench: ${options.sections.join(', ')}${options.smoke ? ' (smoke)' : options.quick ? ' (quick)' : ''}; ${options.load.rounds} rounds of ${options.load.requests ? `${options.load.requests} requests per connection` : `${options.load.seconds} s`}, ${options.load.connections} connections; ${pinned ? `servers on core ${pinned.servers}, load on ${pinned.load}` : 'servers not pinned'}`);
  const engine = options.sections.includes('engine') ? runEngine(options) : undefined;
  if (engine) log(`engine: ${fmt(engine.principal.median)} decisions/s; with 50 assignments ${fmt(engine.wide.median)}`);
  const batching: BatchingResult | undefined = options.sections.includes('batching') ? await runBatching(options, log) : undefined;
  const overhead: OverheadResult | undefined = options.sections.includes('overhead') ? await runOverhead(options, log) : undefined;
  const scale: ScaleResult | undefined = options.sections.includes('scale') ? await runScale(options, log) : undefined;
  const storage: StorageResult | undefined = options.sections.includes('storage') ? await runStorage(options, log) : undefined;

  const rows: Row[] = [];
  const ratios: Record<string, Measured> = {};
  if (overhead) {
    ratios.authOnVsPlainGateway = overhead.authOnVsPlainGateway;
    ratios.authOnVsAuthOff = overhead.authOnVsAuthOff;
    ratios.authOnVsHiveRouterPlain = overhead.authOnVsHiveRouterPlain;
    const count = Object.keys(overhead.operations).length;
    rows.push({ figure: `Portico (filter) ÷ plain @apollo/gateway, throughput, geometric mean of ${count} operations`, value: range(overhead.authOnVsPlainGateway) });
    rows.push({ figure: `Portico (filter) ÷ Hive Gateway + Rust planner without authorization, geometric mean of ${count} operations`, value: range(overhead.authOnVsHiveRouterPlain), target: '≥ 1.0', met: overhead.authOnVsHiveRouterPlain.median >= 1 });
    rows.push({ figure: 'Portico (filter) ÷ Portico (enforcement off)', value: range(overhead.authOnVsAuthOff) });
    for (const [name, op] of Object.entries(overhead.operations)) {
      rows.push({ figure: `  ${name}: filter ÷ plain @apollo/gateway`, value: range(op.ratios.authOnVsPlainGateway), target: '≥ 1.0', met: op.ratios.authOnVsPlainGateway.median >= 1 });
      rows.push({ figure: `  ${name}: filter ÷ hiveRouterPlain`, value: range(op.ratios.authOnVsHiveRouterPlain) });
      rows.push({ figure: `  ${name}: filter ÷ off`, value: range(op.ratios.authOnVsAuthOff) });
      for (const [variant, figures] of Object.entries(op.variants)) {
        const cpu = figures!.gatewayCpuMsPerRequest ? `; CPU ms/request gateway ${fmt(figures!.gatewayCpuMsPerRequest.median, 3)}, all its servers ${fmt(figures!.stackCpuMsPerRequest!.median, 3)}` : '';
        rows.push({ figure: `  ${name}: ${variant} req/s (p99 ms${cpu ? '; CPU' : ''})`, value: `${range(figures!.rps, 0)} (${fmt(figures!.p99.median, 1)}${cpu})` });
      }
      if (op.ratios.authOnVsCeiling) {
        ratios.authOnVsCeiling = op.ratios.authOnVsCeiling;
        rows.push({ figure: `  ${name}: Portico ÷ bare node:http ceiling`, value: range(op.ratios.authOnVsCeiling, 4) });
      }
    }
  }
  if (engine) {
    ratios.decisionsPerSecondPerCore = engine.principal;
    ratios.decisionsPerSecondPerCoreWith50Assignments = engine.wide;
    rows.push({ figure: 'authorize() decisions/s on one core, warm (4 roles, 6 levels)', value: range(engine.principal, 0), target: '≥ 1,000,000', met: engine.principal.median >= 1e6 });
    rows.push({ figure: 'the same, 50 role assignments', value: range(engine.wide, 0), target: '≥ 1,000,000', met: engine.wide.median >= 1e6 });
  }
  if (batching) {
    ratios.batchedVsUnbatched = batching.batchedVsUnbatched;
    const constant = new Set(Object.values(batching.statements.batched)).size === 1;
    rows.push({ figure: `dashboard, page of ${batching.pageSize}: DataLoader ÷ PORTICO_DATALOADER=off, throughput`, value: range(batching.batchedVsUnbatched), target: '≥ 5', met: batching.batchedVsUnbatched.median >= 5 });
    rows.push({ figure: '  SQL statements per request at 10/50/100, batched', value: Object.values(batching.statements.batched).join(' / '), target: 'constant', met: constant });
    rows.push({ figure: '  SQL statements per request at 10/50/100, unbatched', value: Object.values(batching.statements.unbatched).join(' / ') });
    rows.push({ figure: '  req/s batched / unbatched', value: `${range(batching.rps.batched, 1)} / ${range(batching.rps.unbatched, 1)}` });
  }
  if (scale) {
    const [smallest, largest] = [scale.scales[0], scale.scales[scale.scales.length - 1]];
    ratios.p99GrowthAt100k = scale.p99GrowthAuthorize;
    ratios.p99GrowthDescendantsPage = scale.p99GrowthDescendants;
    rows.push({ figure: `authorize p99 at ${fmt(largest)} ÷ at ${fmt(smallest)} accounts`, value: range(scale.p99GrowthAuthorize), target: '≤ 1.5', met: scale.p99GrowthAuthorize.median <= 1.5 });
    rows.push({ figure: `descendants page of 100, p99 at ${fmt(largest)} ÷ at ${fmt(smallest)}`, value: range(scale.p99GrowthDescendants) });
    for (const s of scale.scales) {
      rows.push({ figure: `  ${fmt(s)} accounts: authorize p50 / p99 ms`, value: `${fmt(scale.authorize[s].p50.median, 2)} / ${fmt(scale.authorize[s].p99.median, 2)}` });
      rows.push({ figure: `  ${fmt(s)} accounts: descendants page p50 / p99 ms`, value: `${fmt(scale.descendants[s].p50.median, 2)} / ${fmt(scale.descendants[s].p99.median, 2)}` });
    }
  }
  if (storage) {
    const [smallest, largest] = [storage.scales[0], storage.scales[storage.scales.length - 1]];
    ratios.embeddedVsMariaDbWrites = storage.embeddedVsMariaDb;
    ratios.mutationLatencyGrowth = storage.latencyGrowth;
    rows.push({ figure: 'createAccount/s: embedded SQLite (synchronous=FULL) ÷ MariaDB', value: range(storage.embeddedVsMariaDb) });
    rows.push({ figure: '  createAccount/s embedded / MariaDB', value: `${range(storage.mutationsPerSecond.embedded, 0)} / ${range(storage.mutationsPerSecond.mariadb, 0)}` });
    rows.push({ figure: `one mutation on the embedded file, mean latency at ${fmt(largest)} ÷ at ${fmt(smallest)} accounts`, value: range(storage.latencyGrowth), target: '≤ 1.5', met: storage.latencyGrowth.median <= 1.5 });
    for (const s of storage.scales) rows.push({ figure: `  ${fmt(s)} accounts: createAccount mean / p50 / p99 ms`, value: `${fmt(storage.latency[s].mean.median, 2)} / ${fmt(storage.latency[s].p50.median, 0)} / ${fmt(storage.latency[s].p99.median, 0)}` });
  }
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}`, pinned };
  console.log(`\nPortico benchmark, ${started.toISOString().slice(0, 10)}: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}${options.smoke ? ' (smoke run: no figure in it means anything)' : options.quick ? ' (quick run)' : ''}\n`);
  console.log(table(rows));
  const results: Omit<BenchResults, 'runs'> = {
    date: started.toISOString(),
    machine,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    settings: { ...options.load, quick: options.quick, scales: options.scales, pinned },
    note: 'Each ratio is measured in this run, its variants alternated round by round; median and range over the rounds. Absolute figures depend on the machine and its load.',
    ratios,
    overhead,
    engine,
    batching,
    scale,
    storage,
  };
  if (options.json) {
    // This run's figures alone, merged with nothing (a smoke run's, for its test).
    writeFileSync(options.json, `${JSON.stringify(mergeResults(undefined, results, options.sections), null, 2)}\n`);
  }
  if (options.output) {
    // A run of some sections replaces those and keeps the others' figures, each section with the run it came from.
    const previous = existsSync(options.output) ? (JSON.parse(readFileSync(options.output, 'utf8')) as Partial<BenchResults>) : undefined;
    const merged = mergeResults(previous, results, options.sections);
    writeFileSync(options.output, `${JSON.stringify(merged, null, 2)}\n`);
    console.log(`\nwritten to ${options.output}`);
    if (options.output === defaultOutput) {
      // The figures docs/performance.md shows are written from the file, so that they never drift from it.
      const doc = join(packageRoot(), PERFORMANCE_DOC);
      writeFileSync(doc, withPerformanceFigures(readFileSync(doc, 'utf8'), merged));
      console.log(`and the figures of ${doc}`);
    }
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
