import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { SECTIONS, type Section } from '../../scripts/bench/options';
import type { BenchResults } from '../../scripts/bench/results';
import { REPOSITORY_ROOT, runCommand, type CommandResult } from '../support/commands';
import { databaseKinds, MYSQL_URL } from '../support/databases';
import { buildPortico } from '../support/processes';

/**
 * `npm run bench -- --smoke`: every section at a tiny scale (one round of a few requests, databases of 10 and 20
 * accounts), so that a section that stops working fails here rather than on the next real run. What is asserted is
 * that each section produced its figures, not what they are. The sections run at once, each in its own process.
 */

const OPERATIONS = ['viewer', 'dashboard', 'offers', 'leads'];
const VARIANTS = ['portico', 'porticoOff', 'plain', 'hiveRouterPlain'];
const SCALES = ['10', '20'];

/**
 * The smoke runs, side by side: one per section, the overhead section's three stacks (one per preset) each in a run
 * of its own (`--ops`). Every section but the engine's runs its servers on MariaDB.
 */
const RUNS: Array<{ name: string; section: Section; args: string[]; operations?: string[] }> = [
  { name: 'engine', section: 'engine', args: [] },
  ...(databaseKinds().includes('mysql')
    ? [
        { name: 'batching', section: 'batching' as const, args: [] },
        { name: 'scale', section: 'scale' as const, args: [] },
        { name: 'storage', section: 'storage' as const, args: [] },
        ...[['viewer'], ['dashboard', 'offers'], ['leads']].map((operations) => ({ name: `overhead (${operations.join(', ')})`, section: 'overhead' as const, args: ['--ops', operations.join(',')], operations })),
      ]
    : []),
];

/** The paths, in a section's results, of the figures that must be finite and positive. */
const FIGURES: Record<Section, string[]> = {
  engine: ['engine.principal.median', 'engine.wide.median', 'ratios.decisionsPerSecondPerCore.median', 'ratios.decisionsPerSecondPerCoreWith50Assignments.median'],
  batching: [
    'batching.batchedVsUnbatched.median',
    'batching.rps.batched.median',
    'batching.rps.unbatched.median',
    ...['10', '50', '100'].flatMap((n) => [`batching.statements.batched.${n}`, `batching.statements.unbatched.${n}`]),
    'ratios.batchedVsUnbatched.median',
  ],
  overhead: [
    ...['authOnVsPlainGateway', 'authOnVsAuthOff', 'authOnVsHiveRouterPlain'].flatMap((ratio) => [`overhead.${ratio}.median`, `ratios.${ratio}.median`]),
  ],
  scale: [
    'scale.p99GrowthAuthorize.median',
    'scale.p99GrowthDescendants.median',
    ...SCALES.flatMap((s) => [`scale.authorize.${s}.p99.median`, `scale.descendants.${s}.p99.median`, `scale.seedSeconds.${s}`]),
    'ratios.p99GrowthAt100k.median',
    'ratios.p99GrowthDescendantsPage.median',
  ],
  storage: [
    'storage.mutationsPerSecond.embedded.median',
    'storage.mutationsPerSecond.mariadb.median',
    'storage.embeddedVsMariaDb.median',
    'storage.latencyGrowth.median',
    ...SCALES.flatMap((s) => [`storage.latency.${s}.mean.median`, `storage.latency.${s}.p99.median`, `storage.seedSeconds.${s}`]),
    'ratios.embeddedVsMariaDbWrites.median',
    'ratios.mutationLatencyGrowth.median',
  ],
};

/** The overhead figures of one operation (and of the ceiling, for viewer). */
const operationFigures = (op: string) => [
  ...VARIANTS.map((variant) => `overhead.operations.${op}.variants.${variant}.rps.median`),
  ...['authOnVsPlainGateway', 'authOnVsAuthOff', 'authOffVsPlainGateway', 'authOnVsHiveRouterPlain'].map((ratio) => `overhead.operations.${op}.ratios.${ratio}.median`),
  ...(op === 'viewer' ? ['overhead.operations.viewer.variants.ceiling.rps.median', 'overhead.operations.viewer.ratios.authOnVsCeiling.median', 'ratios.authOnVsCeiling.median'] : []),
];

/** Figures that may be 0 in so short a run (CPU read in clock ticks, latencies in whole milliseconds): finite, not negative. */
const measuredAtAll = (section: Section, operations: string[] = []) =>
  section === 'overhead'
    ? operations.flatMap((op) => VARIANTS.flatMap((variant) => [`overhead.operations.${op}.variants.${variant}.gatewayCpuMsPerRequest.median`, `overhead.operations.${op}.variants.${variant}.p99.median`]))
    : section === 'scale'
      ? SCALES.flatMap((s) => [`scale.authorize.${s}.p50.median`, `scale.descendants.${s}.p50.median`])
      : [];

const at = (value: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);

const RESULTS_JSON = join(REPOSITORY_ROOT, 'scripts', 'bench', 'results.json');

/** The sections from the longest smoke run to the shortest. */
const LENGTH: Section[] = ['overhead', 'storage', 'batching', 'scale', 'engine'];

describe('npm run bench -- --smoke', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-smoke-'));
  const runs: Record<string, { command: CommandResult; results?: BenchResults; seconds: number }> = {};
  let committed: string;

  beforeAll(async () => {
    committed = readFileSync(RESULTS_JSON, 'utf8');
    buildPortico();
    // Three at a time, the longest first: side by side they share the two cores, but all at once they would starve
    // the database's connections (Portico gives up a connection attempt after 2 s).
    const queue = RUNS.map((run, i) => ({ ...run, i })).sort((a, b) => LENGTH.indexOf(a.section) - LENGTH.indexOf(b.section));
    const smoke = async ({ name, section, args, i }: (typeof queue)[number]) => {
      const file = join(dir, `${i}.json`);
      const started = Date.now();
      const command = await runCommand(process.execPath, [join(REPOSITORY_ROOT, 'dist', 'scripts', 'bench', 'index.js'), '--smoke', '--only', section, ...args, '--json', file], { ...process.env, BENCH_MYSQL_URL: MYSQL_URL });
      let results: BenchResults | undefined;
      try {
        results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
      } catch {
        results = undefined;
      }
      runs[name] = { command, results, seconds: (Date.now() - started) / 1000 };
    };
    const next = async (): Promise<void> => {
      const run = queue.shift();
      if (!run) return;
      await smoke(run);
      return next();
    };
    await Promise.all([next(), next(), next()]);
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(RUNS)('the $name run ends and gives every figure its section reports', ({ name, section, operations }) => {
    const { command, results, seconds } = runs[name];
    if (command.status !== 0) throw new Error(`the ${name} run failed after ${seconds} s (exit ${command.status}):\n${command.stderr.slice(-3000)}`);
    expect(results).toBeDefined();
    const paths = [...FIGURES[section], ...(operations ?? []).flatMap(operationFigures)];
    const wrong = paths.map((path) => [path, at(results, path)] as const).filter(([, value]) => typeof value !== 'number' || !Number.isFinite(value) || value <= 0);
    expect(wrong).toEqual([]);
    const negative = measuredAtAll(section, operations)
      .map((path) => [path, at(results, path)] as const)
      .filter(([, value]) => typeof value !== 'number' || !Number.isFinite(value) || value < 0);
    expect(negative).toEqual([]);
    if (operations) expect(Object.keys(results!.overhead!.operations).sort()).toEqual([...operations].sort());
    // The section names the run it came from; nothing of the other sections is in it.
    expect(results!.runs).toEqual({ [section]: expect.objectContaining({ command: expect.stringContaining('--smoke') }) });
    for (const other of SECTIONS.filter((s) => s !== section)) expect(results![other]).toBeUndefined();
    // Its table was printed.
    expect(command.stdout).toContain('(smoke run');
  });

  it('covers every section and every overhead operation, and writes nothing to scripts/bench/results.json', () => {
    if (databaseKinds().includes('mysql')) {
      expect(new Set(RUNS.map((r) => r.section))).toEqual(new Set(SECTIONS));
      expect(RUNS.flatMap((r) => r.operations ?? []).sort()).toEqual([...OPERATIONS].sort());
    }
    expect(readFileSync(RESULTS_JSON, 'utf8')).toBe(committed);
    for (const { name } of RUNS) expect(runs[name].command.stdout).not.toContain('written to');
  });
});
