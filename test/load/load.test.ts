import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';

const REQUESTS = 2000;
const CONCURRENCY = 50;
/** Heap growth allowed over the run, after a full garbage collection before and after. */
const HEAP_GROWTH_BOUND_MB = 64;

/** A full collection, so heap figures compare live objects only. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

interface Operation {
  title: string;
  as: string;
  query: string;
  variables: Record<string, unknown>;
  expected: (result: GraphQLResult) => boolean;
}

// One database: 2,000 requests take about 25 s on a shared 2-core machine. MariaDB is the database of record; a run
// restricted to SQLite (PORTICO_TEST_DB=sqlite) loads SQLite instead.
const KINDS = databaseKinds().includes('mysql') ? (['mysql'] as const) : databaseKinds();

const codesOf = (r: GraphQLResult) => (r.errors ?? []).map((e) => e.extensions?.code).join();

describe.each(KINDS)('load: 2,000 requests at concurrency 50 through the gateway and a demo subgraph, on %s', (kind) => {
  let t: TestPortico;
  let subgraph: DemoSubgraph;
  let operations: Operation[];
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    const port = await freePort();
    subgraph = await startDemoSubgraph('tickets', { porticoUrl: `http://127.0.0.1:${port}/graphql`, contextJwksUrl: `http://127.0.0.1:${port}${CONTEXT_JWKS_PATH}` });
    t = await startTestPortico(kind, 'dstny', { port, subgraphs: [{ name: subgraph.name, url: subgraph.url }] });
    const acme = (await t.account('Acme Logistics')).id;
    const globex = (await t.account('Globex')).id;
    for (const email of ['admin@acme.example', 'insight@acme.example', 'ppu@northwind.example']) tokens.set(email, await t.token(email));
    const delivery = (await t.gql('insight@acme.example', 'query($a: ID!) { deliveries(accountId: $a) { id } }', { a: acme })).data!.deliveries[0].id;
    operations = [
      {
        title: 'allowed: a Portal Administrator reads the tickets and their account',
        as: 'admin@acme.example',
        query: 'query Tickets($a: ID!) { account(id: $a) { name } tickets(accountId: $a) { number status } }',
        variables: { a: acme },
        expected: (r) => r.status === 200 && !r.errors && r.data?.account?.name === 'Acme Logistics' && r.data?.tickets?.length === 3,
      },
      {
        title: 'denied field: an Insight User reads the tickets',
        as: 'insight@acme.example',
        query: 'query Tickets($a: ID!) { account(id: $a) { name } tickets(accountId: $a) { number status } }',
        variables: { a: acme },
        expected: (r) => r.status === 200 && r.data?.account?.name === 'Acme Logistics' && r.data?.tickets === null && codesOf(r) === 'UNAUTHORIZED_FIELD_OR_TYPE',
      },
      {
        title: "denied mutation: a partner user reschedules the customer's delivery",
        as: 'ppu@northwind.example',
        query: 'mutation Reschedule($a: ID!, $d: ID!) { rescheduleDelivery(input: { accountId: $a, deliveryId: $d, scheduledFor: "2031-01-01" }) { scheduledFor } }',
        variables: { a: acme, d: delivery },
        expected: (r) => r.status === 200 && r.data?.rescheduleDelivery === null && codesOf(r) === 'UNAUTHORIZED_FIELD_OR_TYPE',
      },
      {
        title: "denied object: a Portal Administrator reads another customer's account",
        as: 'admin@acme.example',
        query: 'query Other($a: ID!) { account(id: $a) { name } }',
        variables: { a: globex },
        expected: (r) => r.status === 200 && !r.errors && r.data?.account === null,
      },
      {
        title: 'allowed: a partner user reads their viewer',
        as: 'ppu@northwind.example',
        query: 'query Me { viewer { user { email } account { name } } }',
        variables: {},
        expected: (r) => r.status === 200 && !r.errors && r.data?.viewer?.user?.email === 'ppu@northwind.example' && r.data?.viewer?.account?.name === 'Northwind Telecom',
      },
    ];
  });
  afterAll(async () => {
    await t?.stop();
    await subgraph?.stop();
  });

  /** Runs `count` requests, `concurrency` at a time, cycling through the operations; returns each with its verdict. */
  async function load(count: number, concurrency: number) {
    const outcomes: Array<{ title: string; status: number; right: boolean; result: GraphQLResult }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const operation = operations[next++ % operations.length];
          const result = await t.gql({ token: tokens.get(operation.as)! }, operation.query, operation.variables);
          outcomes.push({ title: operation.title, status: result.status, right: operation.expected(result), result });
        }
      }),
    );
    return outcomes;
  }

  it('answers every request with its expected decision, no 5xx, and the heap stays within its bound', async () => {
    const deliveriesOf = async () => (await t.gql('insight@acme.example', 'query($a: ID!) { deliveries(accountId: $a) { id scheduledFor status } }', { a: (await t.account('Acme Logistics')).id })).data!.deliveries;
    const deliveriesBefore = await deliveriesOf();
    const snapshotBefore = await t.snapshot();
    // Warm-up: caches, pools and JIT fill before the baseline is taken.
    expect((await load(200, CONCURRENCY)).every((o) => o.right)).toBe(true);
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;

    const startedAt = Date.now();
    const outcomes = await load(REQUESTS, CONCURRENCY);
    const seconds = (Date.now() - startedAt) / 1000;

    collectGarbage();
    const heapAfter = process.memoryUsage().heapUsed;
    expect(outcomes).toHaveLength(REQUESTS);
    expect(outcomes.filter((o) => o.status >= 500)).toEqual([]);
    expect(outcomes.filter((o) => !o.right).slice(0, 5)).toEqual([]);
    for (const operation of operations) expect(outcomes.filter((o) => o.title === operation.title)).toHaveLength(REQUESTS / operations.length);
    // The denied mutation changed nothing, on either side.
    expect(await deliveriesOf()).toEqual(deliveriesBefore);
    expect(await t.snapshot()).toEqual(snapshotBefore);
    expect((heapAfter - heapBefore) / 2 ** 20).toBeLessThan(HEAP_GROWTH_BOUND_MB);
    if (process.env.PORTICO_LOAD_FIGURES) {
      console.info(`${kind}: ${REQUESTS} requests in ${seconds.toFixed(1)} s (${Math.round(REQUESTS / seconds)}/s); heap ${(heapBefore / 2 ** 20).toFixed(1)} MB before, ${(heapAfter / 2 ** 20).toFixed(1)} MB after; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
    }
  });
});
