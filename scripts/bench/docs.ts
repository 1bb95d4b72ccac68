import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { packageRoot } from '../../src/config';
import { SECTIONS } from './options';
import type { BenchResults, RunRecord } from './results';
import { fmt, median, type Measured } from './stats';

/** Where docs/performance.md holds the figures: the lines between these two are written from results.json. */
export const FIGURES_START = '<!-- bench figures: written by npm run bench:docs from scripts/bench/results.json (npm run bench); do not edit -->';
export const FIGURES_END = '<!-- end of bench figures -->';

export const RESULTS_FILE = join('scripts', 'bench', 'results.json');
export const PERFORMANCE_DOC = join('docs', 'performance.md');

const LABELS: Record<string, string> = {
  viewer: '`viewer`',
  dashboard: 'dashboard of 100 customers',
  offers: 'offers, prices filtered',
  leads: 'leads, row scopes',
};

const two = (n: number) => fmt(n, 2);
/** `1.49 (1.28–1.79)`: the median and the range over the rounds. */
const range = (m: Measured, digits = 2) => `${fmt(m.median, digits)} (${fmt(m.min, digits)}–${fmt(m.max, digits)})`;
const millions = (n: number) => `${fmt(n / 1e6, 1)} M`;
const met = (ok: boolean) => (ok ? 'met' : 'missed');

function runLine(section: string, run: RunRecord | undefined): string {
  if (!run) return `| ${section} | not recorded | | | |`;
  const { settings, machine } = run;
  const when = `${run.date.slice(0, 10)} ${run.date.slice(11, 16)} UTC`;
  const how = `${settings.rounds} rounds of ${settings.seconds} s, ${settings.connections} connections${settings.pinned ? ', servers pinned to one core' : ''}`;
  const on = `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node.replace(/^v/, '')}`;
  return `| ${section} | ${when}${run.note ? ' ¹' : ''} | \`${run.command}\` | ${how} | ${on} |`;
}

function runsTable(results: BenchResults): string[] {
  const lines = ['| section | run | command | rounds | machine |', '|---|---|---|---|---|'];
  const notes = new Set<string>();
  for (const section of SECTIONS) {
    if (!results[section]) continue;
    const run = results.runs?.[section];
    lines.push(runLine(section, run));
    if (run?.note) notes.add(run.note);
  }
  for (const note of notes) lines.push('', `¹ ${note}`);
  return lines;
}

function overheadTable(results: BenchResults): string[] {
  const overhead = results.overhead;
  if (!overhead) return [];
  const lines = [
    '| operation | Portico ÷ plain `@apollo/gateway` (target ≥ 1.0) | Portico ÷ `hiveRouterPlain` | Portico ÷ off | req/s: Portico / plain / hive | CPU ms per request, gateway (all servers): Portico / plain / hive |',
    '|---|---|---|---|---|---|',
  ];
  const cpu = (figures: { gatewayCpuMsPerRequest?: Measured; stackCpuMsPerRequest?: Measured } | undefined) =>
    figures?.gatewayCpuMsPerRequest && figures.stackCpuMsPerRequest ? `${two(figures.gatewayCpuMsPerRequest.median)} (${two(figures.stackCpuMsPerRequest.median)})` : '–';
  const rps = (figures: { rps: Measured } | undefined) => (figures ? fmt(figures.rps.median) : '–');
  for (const [name, op] of Object.entries(overhead.operations)) {
    const { portico, plain, hiveRouterPlain } = op.variants;
    lines.push(
      `| ${LABELS[name] ?? `\`${name}\``} | ${range(op.ratios.authOnVsPlainGateway)} | ${range(op.ratios.authOnVsHiveRouterPlain)} | ${two(op.ratios.authOnVsAuthOff.median)} | ${rps(portico)} / ${rps(plain)} / ${rps(hiveRouterPlain)} | ${cpu(portico)} / ${cpu(plain)} / ${cpu(hiveRouterPlain)} |`,
    );
  }
  lines.push(`| geometric mean | ${range(overhead.authOnVsPlainGateway)} | ${range(overhead.authOnVsHiveRouterPlain)} (target ≥ 1.0) | ${two(overhead.authOnVsAuthOff.median)} | | |`);
  const operations = Object.entries(overhead.operations);
  const under = operations.filter(([, op]) => op.ratios.authOnVsPlainGateway.median < 1).map(([name]) => name);
  const lowest = operations.map(([name, op]) => ({ name, min: op.ratios.authOnVsPlainGateway.min })).sort((a, b) => a.min - b.min)[0];
  lines.push(
    '',
    `Every operation ≥ 1.0 × the plain \`@apollo/gateway\` (median): ${under.length === 0 ? 'met' : `missed by ${under.join(', ')}`}. ` +
      `The geometric mean ≥ 1.0 × Hive Gateway without authorization: ${met(overhead.authOnVsHiveRouterPlain.median >= 1)} (${two(overhead.authOnVsHiveRouterPlain.median)}). ` +
      `The lowest single round against the plain gateway: ${lowest.name}, ${two(lowest.min)}.`,
  );
  const viewer = overhead.operations.viewer;
  const ceiling = viewer?.ratios.authOnVsCeiling;
  if (ceiling && viewer.variants.ceiling && viewer.variants.portico) {
    // The ceiling's throughput as a multiple of Portico's, round by round: the inverse of authOnVsCeiling.
    const times = ceiling.rounds.map((r) => 1 / r);
    lines.push(
      '',
      `The ceiling, a bare \`node:http\` server answering \`viewer\` from memory, served ${fmt(median(times))}× (${fmt(Math.min(...times))}–${fmt(Math.max(...times))}) Portico's requests ` +
        `(\`authOnVsCeiling\` ${range(ceiling, 3)}; ${fmt(viewer.variants.ceiling.rps.median)} against ${fmt(viewer.variants.portico.rps.median)} requests/s).`,
    );
  }
  return lines;
}

function targetsTable(results: BenchResults): string[] {
  const lines = ['| section | target | measured (median, range over the rounds) | |', '|---|---|---|---|'];
  const { engine, batching, scale, storage } = results;
  if (engine) {
    lines.push(
      `| engine | ≥ 1,000,000 \`authorize\` decisions/s on one core, warm | ${millions(engine.principal.median)} (4 roles on a 6-level chain); ${millions(engine.wide.median)} with 50 role assignments | ${met(engine.principal.median >= 1e6 && engine.wide.median >= 1e6)} |`,
    );
  }
  if (batching) {
    const sizes = Object.keys(batching.statements.batched);
    const batched = sizes.map((n) => batching.statements.batched[Number(n)]);
    const unbatched = sizes.map((n) => batching.statements.unbatched[Number(n)]);
    const constant = new Set(batched).size === 1;
    lines.push(
      `| batching | SQL statements per dashboard request constant in page size; ≥ 5× the throughput of \`PORTICO_DATALOADER=off\` at ${batching.pageSize} | ${batched.join(' / ')} at ${sizes.join(' / ')} (unbatched ${unbatched.join(' / ')}); ${range(batching.batchedVsUnbatched, 1)}× | ${met(constant && batching.batchedVsUnbatched.median >= 5)} |`,
    );
  }
  if (scale) {
    const [smallest, largest] = [scale.scales[0], scale.scales[scale.scales.length - 1]];
    const p99s = scale.scales.map((s) => `${fmt(scale.authorize[s].p99.median)} ms at ${fmt(s)}`).join(', ');
    lines.push(
      `| scale | \`authorize\` p99 on the deepest account at ${fmt(largest)} accounts ≤ 1.5 × at ${fmt(smallest)} | ${range(scale.p99GrowthAuthorize)}; ${p99s} (descendants page of 100: ${range(scale.p99GrowthDescendants)}) | ${met(scale.p99GrowthAuthorize.median <= 1.5)} |`,
    );
  }
  if (storage) {
    const [smallest, largest] = [storage.scales[0], storage.scales[storage.scales.length - 1]];
    const at = (s: number) => storage.latency[s];
    lines.push(
      `| storage | one mutation on the embedded file at ${fmt(largest)} accounts ≤ 1.5 × at ${fmt(smallest)} (mean latency) | ${range(storage.latencyGrowth)}: ${fmt(at(smallest).mean.median, 1)} ms at ${fmt(smallest)}, ${fmt(at(largest).mean.median, 1)} ms at ${fmt(largest)} (p99 ${fmt(at(smallest).p99.median)} and ${fmt(at(largest).p99.median)} ms) | ${met(storage.latencyGrowth.median <= 1.5)} |`,
      `| storage | writes: embedded file (\`synchronous=FULL\`) ÷ MariaDB, \`createAccount\` over 8 connections | ${range(storage.embeddedVsMariaDb)}: ${fmt(storage.mutationsPerSecond.embedded.median)} and ${fmt(storage.mutationsPerSecond.mariadb.median)} mutations/s | — |`,
    );
  }
  const seeded = [
    ...(scale ? Object.entries(scale.seedSeconds).map(([n, s]) => `${fmt(Number(n))} accounts in ${seconds(s)} on MariaDB`) : []),
    ...(storage ? Object.entries(storage.seedSeconds).map(([n, s]) => `${fmt(Number(n))} in ${seconds(s)} on the embedded file`) : []),
  ];
  if (seeded.length) lines.push('', `Seeding (\`seedHierarchy\`, ten users per account): ${seeded.join('; ')}.`);
  return lines;
}

const seconds = (s: number) => (s >= 120 ? `${fmt(s / 60, 1)} min` : `${fmt(s, 1)} s`);

/** The Markdown docs/performance.md shows between its markers, from results.json's content. */
export function performanceFigures(results: BenchResults): string {
  return [
    '**Runs.** Each section of `results.json` names the run its figures come from:',
    '',
    ...runsTable(results),
    '',
    '**Overhead** (`--only overhead`): four gateways on the same subgraphs; median and range over the rounds.',
    '',
    ...overheadTable(results),
    '',
    '**The other sections**, each against its target:',
    '',
    ...targetsTable(results),
  ].join('\n');
}

/** docs/performance.md with the lines between its markers written from `results`. */
export function withPerformanceFigures(markdown: string, results: BenchResults): string {
  const start = markdown.indexOf(FIGURES_START);
  const end = markdown.indexOf(FIGURES_END);
  if (start < 0 || end < start) throw new Error(`${PERFORMANCE_DOC} has no ${FIGURES_START} … ${FIGURES_END} markers`);
  return `${markdown.slice(0, start + FIGURES_START.length)}\n${performanceFigures(results)}\n${markdown.slice(end)}`;
}

export function readResults(root = packageRoot()): BenchResults {
  return JSON.parse(readFileSync(join(root, RESULTS_FILE), 'utf8')) as BenchResults;
}

/** Writes the figures of docs/performance.md from scripts/bench/results.json. */
function main(): void {
  const file = join(packageRoot(), PERFORMANCE_DOC);
  writeFileSync(file, withPerformanceFigures(readFileSync(file, 'utf8'), readResults()));
  console.log(`wrote the figures of ${file} from ${RESULTS_FILE}`);
}

if (require.main === module) main();
