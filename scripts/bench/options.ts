export const SECTIONS = ['overhead', 'engine', 'batching', 'scale', 'storage'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  sections: Section[];
  quick: boolean;
  /**
   * `--smoke`: every section at the smallest scale that still runs all of its code (one short round, tiny databases), to
   * show that the benchmark works, not to measure anything. Writes nothing.
   */
  smoke: boolean;
  /** Milliseconds of each engine measurement. */
  engineMs: number;
  /** Accounts per database of the scale section. */
  scales: number[];
  /** `requests`: each load sends that many requests per connection instead of running for its seconds (a smoke run). */
  load: { connections: number; seconds: number; warmup: number; rounds: number; requests?: number };
  /** Where results.json goes; none with --no-write. */
  output?: string;
  /** `--json FILE`: this run's figures alone, merged with nothing, also go to FILE (whatever the run). */
  json?: string;
  /** The overhead operations to run (`--ops offers,leads`); all when unset. Such a partial run writes nothing. */
  operations?: string[];
  /** Where every process of the overhead stacks writes its `--cpu-prof` profile (`--profile DIR`); none when unset. */
  profileDir?: string;
  /**
   * `--pin`: every server on the first core and the load generator on the others, so each stack under test has the
   * same CPU however many processes it is made of, and the load never competes with it. Off by default: the servers
   * share the machine as a deployment would.
   */
  pin: boolean;
}

/**
 * `--only a,b` (the ceiling is part of overhead), `--quick` (shorter, writes nothing), `--smoke` (tiny, writes nothing; the
 * tests run it), `--scales 1000,10000`, `--rounds N`,
 * `--seconds S`, `--no-write`, `--ops offers,leads` (some overhead operations, writes nothing), `--profile DIR` (CPU
 * profiles of every process of the stacks), `--pin` (servers on the first core, the load on the others), `--json FILE` (this
 * run's figures alone to FILE).
 */
export function parseBenchArgs(argv: readonly string[], defaultOutput: string): BenchOptions {
  let sections: Section[] = [...SECTIONS];
  let quick = false;
  let smoke = false;
  let scales: number[] | undefined;
  let rounds: number | undefined;
  let seconds: number | undefined;
  let output: string | undefined = defaultOutput;
  let json: string | undefined;
  let operations: string[] | undefined;
  let profileDir: string | undefined;
  let pin = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--only': {
        const names = value().split(',').map((s) => s.trim()).filter(Boolean).map((s) => (s === 'ceiling' ? 'overhead' : s));
        const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
        if (names.length === 0 || unknown.length > 0) throw new Error(`--only ${JSON.stringify(names.join(','))} is not valid: expected some of ${SECTIONS.join(', ')}, ceiling`);
        sections = SECTIONS.filter((s) => names.includes(s));
        break;
      }
      case '--quick':
        quick = true;
        break;
      case '--smoke':
        smoke = true;
        break;
      case '--scales':
      case '--scale':
        scales = value().split(',').map((s) => Number(s.replace(/_/g, '')));
        if (scales.some((n) => !Number.isInteger(n) || n < 10)) throw new Error(`--scales ${JSON.stringify(scales.join(','))} is not valid: expected account counts of at least 10, e.g. 1000,10000,100000`);
        break;
      case '--rounds':
        rounds = Number(value());
        if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds is not valid: expected a positive integer');
        break;
      case '--seconds':
        seconds = Number(value());
        if (!(seconds > 0)) throw new Error('--seconds is not valid: expected a positive number');
        break;
      case '--ops':
        operations = value().split(',').map((s) => s.trim()).filter(Boolean);
        if (operations.length === 0) throw new Error('--ops is not valid: expected operation names, e.g. offers,leads');
        break;
      case '--profile':
        profileDir = value();
        if (!profileDir) throw new Error('--profile is not valid: expected a directory');
        break;
      case '--pin':
        pin = true;
        break;
      case '--no-write':
        output = undefined;
        break;
      case '--json':
        json = value();
        if (!json) throw new Error('--json is not valid: expected a file');
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(argv[i])}: expected --only, --quick, --smoke, --scales, --rounds, --seconds, --ops, --profile, --pin, --json or --no-write`);
    }
  }
  if (smoke) {
    return {
      sections,
      quick,
      smoke,
      engineMs: 50,
      scales: scales ?? [10, 20],
      load: { connections: 2, seconds: seconds ?? 0.3, warmup: 0.1, rounds: rounds ?? 1, requests: 3 },
      // Its figures measure nothing: they never replace the committed ones.
      output: undefined,
      json,
      operations,
      profileDir,
      pin,
    };
  }
  return {
    sections,
    quick,
    smoke,
    engineMs: quick ? 300 : 1000,
    scales: scales ?? (quick ? [1000, 10000] : [1000, 10000, 100000]),
    load: { connections: 8, seconds: seconds ?? (quick ? 2 : 5), warmup: quick ? 2 : 3, rounds: rounds ?? (quick ? 2 : 5) },
    // A quick run is for development: its figures are too short to replace the committed ones.
    output: quick || operations ? undefined : output,
    json,
    operations,
    profileDir,
    pin,
  };
}
