import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { startTestSubgraph, type TestSubgraph } from '../gateway/subgraphs';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';

const UNAVAILABLE = { message: 'a service some fields come from is unavailable: they are null; try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } };
const TICKETS = 'query Desk($a: ID!) { account(id: $a) { name } tickets(accountId: $a) { number } viewer { user { email } } }';
const FORECAST = 'query Weather { forecast viewer { user { email } } }';

/** A subgraph that answers slowly while `slow` is set. */
const SLOW_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated"])
type Query { forecast: String @authenticated }
`;

type Verdict = 'expected' | 'degraded' | 'wrong';

/** Polls until `done` holds; a bound so a broken recovery fails the test instead of hanging it. */
async function until(done: () => boolean | Promise<boolean>, what: string, limit = 400): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting: ${what}`);
}

describe.each(databaseKinds())('a downstream subgraph that is down or slow affects only its fields, on %s', (kind) => {
  let t: TestPortico;
  let tickets: DemoSubgraph;
  let weather: TestSubgraph;
  let slow = false;
  let acme: string;
  let demoOptions: { porticoUrl: string; contextJwksUrl: string };
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    const port = await freePort();
    demoOptions = { porticoUrl: `http://127.0.0.1:${port}/graphql`, contextJwksUrl: `http://127.0.0.1:${port}${CONTEXT_JWKS_PATH}` };
    tickets = await startDemoSubgraph('tickets', demoOptions);
    weather = await startTestSubgraph('weather', SLOW_SDL, {
      Query: { forecast: async () => (slow ? new Promise((resolve) => setTimeout(() => resolve('late'), 3000)) : 'sunny') },
    });
    t = await startTestPortico(kind, 'dstny', { port, subgraphs: [{ name: 'tickets', url: tickets.url }, { name: 'weather', url: weather.url }], subgraphTimeoutMs: 500 });
    acme = (await t.account('Acme Logistics')).id;
    for (const email of ['admin@acme.example', 'insight@acme.example']) tokens.set(email, await t.token(email));
  });
  afterAll(async () => {
    await t?.stop();
    await tickets?.stop();
    await weather?.stop();
  });

  /** Nothing about the subgraphs' addresses or the failure's internals reaches a client. */
  const leaks = (result: GraphQLResult) => {
    const text = JSON.stringify(result);
    return [String(new URL(tickets.url).port), String(new URL(weather.url).port), '127.0.0.1', 'ECONNREFUSED', 'http://', 'timeout', 'stack'].filter((s) => text.includes(s));
  };

  it('killed mid-traffic: the access-control fields keep resolving, its fields are null with SERVICE_UNAVAILABLE, and they come back when it restarts on the same port', async () => {
    const port = Number(new URL(tickets.url).port);
    const answers: Array<{ as: string; verdict: Verdict; result: GraphQLResult; startedAt: number; finishedAt: number }> = [];
    const judge = (as: string, r: GraphQLResult): Verdict => {
      if (r.status !== 200 || r.data?.account?.name !== 'Acme Logistics' || r.data?.viewer?.user?.email !== as || leaks(r).length > 0) return 'wrong';
      const codes = (r.errors ?? []).map((e) => e.extensions?.code);
      if (as === 'insight@acme.example') {
        // Denied before planning: the subgraph is never asked, so its outage changes nothing here.
        return r.data.tickets === null && codes.join() === 'UNAUTHORIZED_FIELD_OR_TYPE' ? 'expected' : 'wrong';
      }
      if (!r.errors && r.data.tickets?.length === 3) return 'expected';
      return r.data.tickets === null && JSON.stringify(r.errors) === JSON.stringify([UNAVAILABLE]) ? 'degraded' : 'wrong';
    };
    let running = true;
    const workers = ['admin@acme.example', 'insight@acme.example', 'admin@acme.example'].map(async (as) => {
      while (running) {
        const startedAt = Date.now();
        const result = await t.gql({ token: tokens.get(as)! }, TICKETS, { a: acme });
        answers.push({ as, verdict: judge(as, result), result, startedAt, finishedAt: Date.now() });
      }
    });
    let stoppedAt = Infinity;
    let restartAt = Infinity;
    let backAt = Infinity;
    try {
      await until(() => answers.length >= 15, 'traffic before the kill');
      await tickets.kill();
      stoppedAt = Date.now();
      await until(() => answers.filter((a) => a.startedAt >= stoppedAt).length >= 15, 'traffic while the subgraph is down');
      restartAt = Date.now();
      tickets = await startDemoSubgraph('tickets', { ...demoOptions, port });
      await until(() => answers.some((a) => a.startedAt >= restartAt && a.as === 'admin@acme.example' && a.verdict === 'expected'), 'its fields to come back');
      backAt = Date.now();
      await until(() => answers.filter((a) => a.startedAt >= backAt).length >= 15, 'traffic after the restart');
    } finally {
      running = false;
      await Promise.all(workers);
    }

    expect(answers.filter((a) => a.verdict === 'wrong').map(({ as, result }) => ({ as, result, leaked: leaks(result) }))).toEqual([]);
    const down = answers.filter((a) => a.startedAt >= stoppedAt && a.finishedAt < restartAt);
    expect(down.filter((a) => a.as === 'admin@acme.example').every((a) => a.verdict === 'degraded')).toBe(true);
    expect(down.filter((a) => a.as === 'insight@acme.example').every((a) => a.verdict === 'expected')).toBe(true);
    expect(down.some((a) => a.as === 'insight@acme.example')).toBe(true);
    expect(answers.filter((a) => a.startedAt >= backAt).every((a) => a.verdict === 'expected')).toBe(true);
  });

  it('too slow: its field is null with SERVICE_UNAVAILABLE after the subgraph timeout, the rest answers, and it answers again once fast', async () => {
    const as = { token: tokens.get('admin@acme.example')! };
    expect(await t.gql(as, FORECAST)).toEqual({ status: 200, data: { forecast: 'sunny', viewer: { user: { email: 'admin@acme.example' } } } });
    slow = true;
    try {
      const late = await t.gql(as, FORECAST);
      expect(late).toEqual({ status: 200, data: { forecast: null, viewer: { user: { email: 'admin@acme.example' } } }, errors: [UNAVAILABLE] });
      expect(leaks(late)).toEqual([]);
      // Nothing else answered: the request as a whole was unavailable.
      const alone = await t.gql(as, '{ forecast }');
      expect(alone).toEqual({ status: 503, data: { forecast: null }, errors: [UNAVAILABLE] });
    } finally {
      slow = false;
    }
    expect(await t.gql(as, FORECAST)).toEqual({ status: 200, data: { forecast: 'sunny', viewer: { user: { email: 'admin@acme.example' } } } });
  });
});
