import { createMysqlDatabase, databaseKinds } from '../support/databases';
import { startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

// MariaDB only: the embedded SQLite file lives in Portico's process and cannot become unreachable.

interface Operation {
  title: string;
  as: string;
  query: string;
  variables: (ids: Record<string, string>) => Record<string, unknown>;
  /** True when the answer is exactly what this caller may have; anything else is a wrong decision. */
  expected: (result: GraphQLResult) => boolean;
}

const codesOf = (r: GraphQLResult) => (r.errors ?? []).map((e) => e.extensions?.code);
// A refused non-null mutation nulls the whole answer.
const refusedWith = (code: string) => (r: GraphQLResult) => r.status === 200 && r.data === null && codesOf(r).join() === code;

const OPERATIONS: Operation[] = [
  {
    title: 'a Portal Administrator reads their account',
    as: 'admin@acme.example',
    query: 'query Own($a: ID!) { account(id: $a) { name } }',
    variables: (ids) => ({ a: ids.acme }),
    expected: (r) => r.status === 200 && !r.errors && r.data?.account?.name === 'Acme Logistics',
  },
  {
    title: "a Portal Administrator does not see another customer's account",
    as: 'admin@acme.example',
    query: 'query Other($a: ID!) { account(id: $a) { name } }',
    variables: (ids) => ({ a: ids.globex }),
    expected: (r) => r.status === 200 && !r.errors && r.data?.account === null,
  },
  {
    title: 'a Partner Portal User reads their viewer',
    as: 'ppu@northwind.example',
    query: 'query Me { viewer { user { email } } }',
    variables: () => ({}),
    expected: (r) => r.status === 200 && !r.errors && r.data?.viewer?.user?.email === 'ppu@northwind.example',
  },
  {
    title: 'a Partner Portal User may not create a customer',
    as: 'ppu@northwind.example',
    query: 'mutation Create($p: ID!) { createAccount(input: { type: CUSTOMER, name: "Outage Ltd", parentId: $p }) { id } }',
    variables: (ids) => ({ p: ids.northwind }),
    expected: refusedWith('FORBIDDEN'),
  },
  {
    title: 'an Insight User may not suspend their account',
    as: 'insight@acme.example',
    query: 'mutation Suspend($a: ID!) { setAccountStatus(id: $a, status: SUSPENDED) { status } }',
    variables: (ids) => ({ a: ids.acme }),
    expected: refusedWith('FORBIDDEN'),
  },
];

type Verdict = 'expected' | 'unavailable' | 'wrong';

interface Answer {
  operation: string;
  verdict: Verdict;
  result: GraphQLResult;
  startedAt: number;
  ms: number;
}

/** An unavailable answer: HTTP 503, SERVICE_UNAVAILABLE only, nothing answered and no driver text. */
const isUnavailable = (r: GraphQLResult) =>
  r.status === 503 &&
  codesOf(r).length > 0 &&
  codesOf(r).every((code) => code === 'SERVICE_UNAVAILABLE') &&
  Object.values(r.data ?? {}).every((value) => value === null) &&
  r.errors!.every((e) => /database is unavailable/.test(e.message) && !/ECONN|3306|127\.0\.0\.1|PROTOCOL/.test(e.message));

/** Polls until `done` holds; a bound so a broken recovery fails the test instead of hanging it. */
async function until(done: () => Promise<boolean> | boolean, what: string, limit = 400): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting: ${what}`);
}

// Under PORTICO_TEST_DB=sqlite nothing here runs, and the summary lists it as a todo saying so.
if (!databaseKinds().includes('mysql')) it.todo('the database goes away mid-traffic: not run, PORTICO_TEST_DB leaves MariaDB out and this suite needs it');
else describe('the database goes away mid-traffic (MariaDB behind a TCP proxy the test controls)', () => {
  let proxy: TcpProxy;
  let t: TestPortico;
  let drop: () => Promise<void>;
  const tokens = new Map<string, string>();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const database = await createMysqlDatabase();
    drop = database.drop;
    const target = new URL(database.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 3306));
    target.host = `127.0.0.1:${proxy.port}`;
    t = await startTestPortico('mysql', 'dstny', { databaseUrl: target.toString() });
    for (const email of new Set(OPERATIONS.map((o) => o.as))) tokens.set(email, await t.token(email));
    for (const [key, name] of Object.entries({ acme: 'Acme Logistics', globex: 'Globex', northwind: 'Northwind Telecom' })) ids[key] = (await t.account(name)).id;
  });
  afterAll(async () => {
    await t?.stop();
    await proxy?.stop();
    await drop?.();
  });

  const run = async (operation: Operation): Promise<Answer> => {
    const startedAt = Date.now();
    const result = await t.gql({ token: tokens.get(operation.as)! }, operation.query, operation.variables(ids));
    const verdict: Verdict = operation.expected(result) ? 'expected' : isUnavailable(result) ? 'unavailable' : 'wrong';
    return { operation: operation.title, verdict, result, startedAt, ms: Date.now() - startedAt };
  };
  const readyz = async () => {
    const response = await fetch(new URL('/readyz', t.portico.url));
    return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
  };

  it('refuses everything needing it with SERVICE_UNAVAILABLE (503) while it is gone, never allows, and recovers by itself', async () => {
    const before = await t.snapshot();
    const answers: Answer[] = [];
    for (const operation of OPERATIONS) answers.push(await run(operation));
    expect(answers.map((a) => a.verdict)).toEqual(OPERATIONS.map(() => 'expected'));

    // Traffic from several callers, four at a time, for the whole outage.
    let running = true;
    const workers = [0, 1, 2, 3].map(async (worker) => {
      for (let i = worker; running; i++) answers.push(await run(OPERATIONS[i % OPERATIONS.length]));
    });
    await until(() => answers.length >= 40, 'traffic before the cut');

    const cutAt = Date.now();
    await proxy.cut();
    let outage = await readyz();
    await until(async () => (outage = await readyz()).status === 503, '/readyz to report the outage');
    const detectedAt = Date.now();
    expect(outage.body).toEqual({ status: 'database unreachable', reason: expect.stringMatching(/^E[A-Z]+|^PROTOCOL_/) });
    let restoredAt = Infinity;
    const duringOutage = () => answers.filter((a) => a.startedAt >= detectedAt && a.startedAt < restoredAt);
    await until(() => duringOutage().length >= 40, 'traffic during the outage');
    expect((await readyz()).status).toBe(503);

    restoredAt = Date.now();
    await proxy.restore();
    await until(async () => (await readyz()).status === 200, '/readyz to report the database back');
    const recoveredAt = Date.now();
    const afterRecovery = () => answers.filter((a) => a.startedAt >= recoveredAt);
    await until(() => afterRecovery().length >= 40, 'traffic after recovery');
    running = false;
    await Promise.all(workers);

    // Every answer was the right one or a clean refusal; none allowed what should be denied, none hung.
    expect(answers.filter((a) => a.verdict === 'wrong').map((a) => ({ operation: a.operation, result: a.result }))).toEqual([]);
    expect(duringOutage().every((a) => a.verdict === 'unavailable')).toBe(true);
    expect(afterRecovery().every((a) => a.verdict === 'expected')).toBe(true);
    expect(new Set(afterRecovery().map((a) => a.operation))).toEqual(new Set(OPERATIONS.map((o) => o.title)));
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await t.snapshot()).toEqual(before);
    if (process.env.PORTICO_FAULT_FIGURES) {
      console.info(`outage detected by /readyz ${detectedAt - cutAt} ms after the cut; ready ${recoveredAt - restoredAt} ms after the restore; ${answers.length} requests, ${answers.filter((a) => a.verdict === 'unavailable').length} refused as unavailable, the slowest refusal in ${Math.max(...duringOutage().map((a) => a.ms))} ms`);
    }
  });

  it('a GraphQL request during the outage is refused as unavailable, not as unauthenticated, also when it is the first to notice', async () => {
    await proxy.cut();
    try {
      const first = await run(OPERATIONS[0]);
      expect(first.verdict).toBe('unavailable');
      expect(first.result.errors).toEqual([{ message: 'the database is unavailable: try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }]);
      const metrics = await (await fetch(new URL('/metrics', t.portico.url))).text();
      expect(metrics).toMatch(/^portico_database_available 0$/m);
      expect(metrics).toMatch(/^portico_graphql_errors_total\{code="SERVICE_UNAVAILABLE"\} [1-9]/m);
    } finally {
      await proxy.restore();
    }
    await until(async () => (await readyz()).status === 200, '/readyz to report the database back');
    expect((await run(OPERATIONS[0])).verdict).toBe('expected');
    expect(await (await fetch(new URL('/metrics', t.portico.url))).text()).toMatch(/^portico_database_available 1$/m);
  });
});
