import { readFileSync } from 'fs';
import { createServer, type Server } from 'http';
import { join } from 'path';
import { FIGURES_END, FIGURES_START, PERFORMANCE_DOC, performanceFigures, readResults, withPerformanceFigures } from '../../scripts/bench/docs';
import { answerCheck, load, loadByCount, measureLoad } from '../../scripts/bench/load';
import { parseBenchArgs, SECTIONS } from '../../scripts/bench/options';
import { mergeResults, type BenchResults, type RunRecord } from '../../scripts/bench/results';
import { packageRoot } from '../../src/config';

/** A server answering every POST with the answers given in turn (status 200 unless told), counting what it answered. */
async function answering(answers: Array<{ status?: number; body: unknown }>): Promise<{ url: string; answered: () => number; close(): Promise<void> }> {
  let answered = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = answers[answered++ % answers.length];
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/graphql`, answered: () => answered, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const REQUEST = { body: JSON.stringify({ query: '{ viewer { user { email } } }' }), headers: {} };
const DATA = { data: { viewer: { user: { email: 'admin@acme.example' } } } };
const ERROR = { errors: [{ message: 'no Portico user is linked to this identity', extensions: { code: 'UNAUTHENTICATED' } }] };

describe('the load phase of npm run bench', () => {
  // Ten requests in all over two connections, each load ending when they are answered.
  beforeAll(() => loadByCount(5));
  afterAll(() => loadByCount(undefined));

  it('counts a GraphQL error answered with status 200 as an error, not as throughput', async () => {
    const server = await answering([{ body: ERROR }]);
    try {
      const result = await measureLoad({ url: server.url, ...REQUEST }, 1, 2);
      expect(result).toMatchObject({ requests: 0, rps: 0, graphqlErrors: 10, non2xx: 0, errors: 0 });
      await expect(load({ url: server.url, ...REQUEST }, 1, 2)).rejects.toThrow(/0 correct answers, 10 GraphQL errors with status 2xx/);
    } finally {
      await server.close();
    }
  });

  it('counts only the correct answers of a server that answers errors with some of them', async () => {
    const server = await answering([{ body: DATA }, { body: ERROR }]);
    try {
      const result = await measureLoad({ url: server.url, ...REQUEST }, 1, 2);
      expect(server.answered()).toBe(10);
      expect(result).toMatchObject({ requests: 5, graphqlErrors: 5 });
      expect(result.rps).toBeGreaterThan(0);
      await expect(load({ url: server.url, ...REQUEST }, 1, 2)).rejects.toThrow(/5 correct answers, 5 GraphQL errors/);
    } finally {
      await server.close();
    }
  });

  it('takes answers carrying the errors expected of them (fields filtered out) as correct, and other numbers of errors as errors', async () => {
    const filtered = { data: { offers: [{ name: 'Cloud Backup', cost: null }] }, errors: [{ message: 'not allowed: cost', path: ['offers', 0, 'cost'] }] };
    const server = await answering([{ body: filtered }]);
    try {
      expect(await load({ url: server.url, ...REQUEST, expectedErrors: 1 }, 1, 2)).toMatchObject({ requests: 10, graphqlErrors: 0 });
      expect(await measureLoad({ url: server.url, ...REQUEST }, 1, 2)).toMatchObject({ requests: 0, graphqlErrors: 10 });
    } finally {
      await server.close();
    }
  });

  it('counts an error answered with another status as non-2xx, once', async () => {
    const server = await answering([{ status: 401, body: ERROR }]);
    try {
      expect(await measureLoad({ url: server.url, ...REQUEST }, 1, 2)).toMatchObject({ requests: 0, graphqlErrors: 0, non2xx: 10 });
    } finally {
      await server.close();
    }
  });

  it.each([
    { title: 'data', body: DATA, correct: true },
    { title: 'errors alone', body: ERROR, correct: false },
    { title: 'null data with errors', body: { data: null, ...ERROR }, correct: false },
    { title: 'data with an error', body: { ...DATA, ...ERROR }, correct: false },
    { title: 'no data', body: {}, correct: false },
    { title: 'errors that are not a list', body: { ...DATA, errors: 'boom' }, correct: false },
  ])('checks an answer with $title', ({ body, correct }) => {
    const check = answerCheck();
    expect(check(JSON.stringify(body))).toBe(correct);
    // The same body again: the remembered correct answer is compared as a string, not parsed.
    expect(check(JSON.stringify(body))).toBe(correct);
    expect(check('not json')).toBe(false);
  });
});

describe('npm run bench -- --smoke', () => {
  it('is one short round of a few requests per connection on tiny databases, and writes nothing', () => {
    const options = parseBenchArgs(['--smoke'], '/results.json');
    expect(options).toMatchObject({ smoke: true, sections: [...SECTIONS], scales: [10, 20], load: { rounds: 1, requests: 3 } });
    expect(options.output).toBeUndefined();
    expect(parseBenchArgs(['--smoke', '--only', 'scale', '--json', '/tmp/x.json'], '/results.json')).toMatchObject({ sections: ['scale'], json: '/tmp/x.json', output: undefined });
    expect(parseBenchArgs([], '/results.json')).toMatchObject({ smoke: false, output: '/results.json', load: { rounds: 5, seconds: 5 } });
    expect(parseBenchArgs([], '/results.json').load.requests).toBeUndefined();
  });
});

const run = (date: string, command: string): RunRecord => ({
  date,
  command,
  settings: { connections: 8, seconds: 5, warmup: 3, rounds: 5, quick: false, scales: [1000, 10000, 100000] },
  machine: { cpu: 'test', cores: 2, memoryGiB: 1, node: 'v20', platform: 'linux x64' },
});

describe('scripts/bench/results.json', () => {
  const committed = readResults();

  it('names, for every section, the run its figures come from', () => {
    for (const section of SECTIONS) {
      expect(committed[section]).toBeDefined();
      const record = committed.runs[section];
      expect(record).toEqual(expect.objectContaining({ date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), command: expect.stringMatching(/^npm run bench/) }));
      expect(record!.settings.rounds).toBeGreaterThan(0);
    }
  });

  it('a run of some sections records its run for each of them and keeps the others with theirs', () => {
    const previous = { ...committed, runs: { ...committed.runs } };
    const { runs: _runs, ...rest } = committed;
    const current: Omit<BenchResults, 'runs'> = { ...rest, ...run('2027-01-01T00:00:00.000Z', 'npm run bench -- --only engine,scale'), overhead: undefined, batching: undefined, storage: undefined, ratios: { decisionsPerSecondPerCore: { median: 1, min: 1, max: 1, rounds: [1] } } };
    const merged = mergeResults(previous, current, ['engine', 'scale']);
    expect(merged.runs.engine).toEqual(run('2027-01-01T00:00:00.000Z', 'npm run bench -- --only engine,scale'));
    expect(merged.runs.scale).toEqual(merged.runs.engine);
    for (const kept of ['overhead', 'batching', 'storage'] as const) {
      expect(merged.runs[kept]).toEqual(committed.runs[kept]);
      expect(merged[kept]).toEqual(committed[kept]);
    }
    expect(merged.ratios.decisionsPerSecondPerCore.median).toBe(1);
    expect(merged.ratios.authOnVsCeiling).toEqual(committed.ratios.authOnVsCeiling);
  });

  it('a run of every section replaces every section and its run', () => {
    const { runs: _runs, ...rest } = committed;
    const current = { ...rest, ...run('2027-01-02T00:00:00.000Z', 'npm run bench --') };
    const merged = mergeResults(committed, current, SECTIONS);
    expect(Object.keys(merged.runs).sort()).toEqual([...SECTIONS].sort());
    for (const section of SECTIONS) expect(merged.runs[section]).toEqual(run('2027-01-02T00:00:00.000Z', 'npm run bench --'));
  });
});

describe('docs/performance.md', () => {
  const doc = readFileSync(join(packageRoot(), PERFORMANCE_DOC), 'utf8');

  it('shows the figures results.json gives (npm run bench:docs)', () => {
    expect(doc).toContain(FIGURES_START);
    expect(doc).toContain(FIGURES_END);
    expect(doc).toBe(withPerformanceFigures(doc, readResults()));
  });

  it('gives the ceiling as the inverse of authOnVsCeiling, round by round', () => {
    const results = readResults();
    const times = results.overhead!.operations.viewer.ratios.authOnVsCeiling!.rounds.map((r) => 1 / r).sort((a, b) => a - b);
    const median = times[times.length >> 1];
    expect(performanceFigures(results)).toContain(`served ${Math.round(median)}×`);
    // And nothing outside the generated block states a ceiling multiple of its own.
    const outside = doc.slice(0, doc.indexOf(FIGURES_START)) + doc.slice(doc.indexOf(FIGURES_END));
    expect(outside).not.toMatch(/about \d+×/);
  });

  it('changes when results.json does', () => {
    const results = readResults();
    const changed: BenchResults = JSON.parse(JSON.stringify(results)) as BenchResults;
    changed.engine!.principal.median = 1_234_567;
    expect(performanceFigures(changed)).not.toBe(performanceFigures(results));
    expect(performanceFigures(changed)).toContain('1.2 M (4 roles');
  });
});
