import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import { DecisionCalls } from '../../src/gateway/decision-calls';
import { AUTHORIZE_QUERY } from 'portico-kit';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { CONTEXT_HEADER, loadOrCreateContextSigner, type ContextSigner } from '../../src/identity/context-token';
import { databaseKinds } from '../support/databases';
import { logSink } from '../support/logs';
import { startTestPortico, type TestPortico } from '../support/portico';

interface Answer {
  status: number;
  contentType: string | null;
  requestId: string | null;
  body: unknown;
}

describe.each(databaseKinds())("a subgraph's decision call on %s", (kind) => {
  let t: TestPortico;
  let tickets: DemoSubgraph;
  let signer: ContextSigner;
  const logs = logSink();
  let ids: { acme: string; globex: string };
  /** Each direct attempt at a decision call: answered (true), or left to Apollo Server (false). */
  const direct: boolean[] = [];

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    tickets = await startDemoSubgraph('tickets', { porticoUrl: `${base}/graphql`, contextJwksUrl: `${base}${CONTEXT_JWKS_PATH}` });
    t = await startTestPortico(kind, 'dstny', { port, logLevel: 'info', subgraphs: [{ name: tickets.name, url: tickets.url }] }, { logDestination: logs.stream });
    signer = await loadOrCreateContextSigner(t.dataDir, t.portico.services.config.contextSigningKey);
    ids = { acme: (await t.account('Acme Logistics')).id, globex: (await t.account('Globex')).id };
    const answer = DecisionCalls.prototype.answer;
    jest.spyOn(DecisionCalls.prototype, 'answer').mockImplementation(async function (this: DecisionCalls, ...args: Parameters<DecisionCalls['answer']>) {
      const answered = await answer.apply(this, args);
      direct.push(answered !== null);
      return answered;
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.stop();
    await tickets?.stop();
  });

  const contextTokenOf = async (email: string): Promise<string> => {
    const user = await t.user(email);
    return signer.sign({ sub: user.id, acct: user.accountId, email: user.email }, 'tickets');
  };

  async function send(headers: Record<string, string>, body: Record<string, unknown>, requestId: string): Promise<Answer> {
    direct.length = 0;
    const response = await fetch(t.portico.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...headers }, body: JSON.stringify(body) });
    return { status: response.status, contentType: response.headers.get('content-type'), requestId: response.headers.get('x-request-id'), body: await response.json() };
  }

  /**
   * The same request answered directly and by Apollo Server (an `extensions` member takes it there). Each gets a
   * request id of Portico's own (the client's x-request-id is kept only as its clientRequestId): left out here.
   */
  async function bothWays(headers: Record<string, string>, body: Record<string, unknown>) {
    const { requestId: first, ...directly } = await send(headers, body, 'direct-1');
    const wasDirect = [...direct];
    const { requestId: second, ...byApollo } = await send(headers, { ...body, extensions: {} }, 'direct-1');
    const wasApollo = [...direct];
    expect([first, second].every((id) => id !== 'direct-1' && id !== null)).toBe(true);
    expect(first).not.toBe(second);
    return { directly, byApollo, wasDirect, wasApollo };
  }

  it("answers the kit's authorize query directly, exactly as Apollo Server answers it: status, headers, body, log line", async () => {
    const token = await contextTokenOf('admin@acme.example');
    const checks = [
      { permission: 'tickets:read', accountId: ids.acme },
      { permission: 'tickets:read', accountId: ids.globex },
      { permission: 'no:such', accountId: ids.acme },
    ];
    const { directly, byApollo, wasDirect, wasApollo } = await bothWays({ [CONTEXT_HEADER]: token }, { query: AUTHORIZE_QUERY, variables: { c: checks } });
    expect(wasDirect).toEqual([true]);
    expect(wasApollo).toEqual([false]);
    expect(directly).toEqual(byApollo);
    expect(directly.status).toBe(200);
    expect((directly.body as { data: { authorize: Array<{ allowed: boolean }> } }).data.authorize.map((d) => d.allowed)).toEqual([true, false, false]);
    const lines = logs.records().filter((line) => line.clientRequestId === 'direct-1' && line.msg === 'graphql request');
    expect(lines).toHaveLength(2);
    const { durationMs: _a, time: _b, requestId: _e, ...first } = lines[0];
    const { durationMs: _c, time: _d, requestId: _f, ...second } = lines[1];
    expect(first).toEqual(second);
    expect(first).toMatchObject({ operationName: 'PorticoAuthorize', operationType: 'query', status: 200, outcome: 'ok', decisions: { allowed: 1, denied: 2 } });
  });

  it.each<{ title: string; headers: (token: string) => Record<string, string>; body: (acme: string) => Record<string, unknown>; status: number; code: string | undefined }>([
    { title: 'a variable of the wrong type', headers: (token) => ({ [CONTEXT_HEADER]: token }), body: () => ({ query: AUTHORIZE_QUERY, variables: { c: 'tickets:read' } }), status: 400, code: 'BAD_USER_INPUT' },
    { title: 'more checks than one call takes', headers: (token) => ({ [CONTEXT_HEADER]: token }), body: (acme) => ({ query: AUTHORIZE_QUERY, variables: { c: Array.from({ length: 101 }, () => ({ permission: 'tickets:read', accountId: acme })) } }), status: 200, code: 'BAD_USER_INPUT' },
    { title: 'a forged context token', headers: (token) => ({ [CONTEXT_HEADER]: `${token.slice(0, -4)}AAAA` }), body: (acme) => ({ query: AUTHORIZE_QUERY, variables: { c: [{ permission: 'tickets:read', accountId: acme }] } }), status: 401, code: 'UNAUTHENTICATED' },
    { title: 'two operations and no operation name', headers: (token) => ({ [CONTEXT_HEADER]: token }), body: () => ({ query: `${AUTHORIZE_QUERY} query Other { __typename }`, variables: { c: [] } }), status: 400, code: 'OPERATION_RESOLUTION_FAILURE' },
  ])('$title: answered as Apollo Server answers it, the direct attempt dropped', async ({ headers, body, status, code }) => {
    const token = await contextTokenOf('admin@acme.example');
    const before = await t.snapshot();
    const { directly, byApollo, wasDirect } = await bothWays(headers(token), body(ids.acme));
    expect(wasDirect).toEqual([false]);
    expect(directly).toEqual(byApollo);
    expect(directly.status).toBe(status);
    const errors = (directly.body as { errors?: Array<{ extensions?: { code?: string } }> }).errors;
    expect(errors?.[0]?.extensions?.code).toBe(code);
    expect(await t.snapshot()).toEqual(before);
  });

  it('an account id that is no account: a denial, answered directly as Apollo Server answers it', async () => {
    const token = await contextTokenOf('admin@acme.example');
    const { directly, byApollo, wasDirect } = await bothWays({ [CONTEXT_HEADER]: token }, { query: AUTHORIZE_QUERY, variables: { c: [{ permission: 'tickets:read', accountId: 'no-such-account' }] } });
    expect(wasDirect).toEqual([true]);
    expect(directly).toEqual(byApollo);
    expect(directly.body).toEqual({ data: { authorize: [expect.objectContaining({ allowed: false })] } });
  });

  it('takes only authorize: viewer goes through Apollo Server, where the context token refuses it; a bearer token goes to the gateway', async () => {
    const token = await contextTokenOf('admin@acme.example');
    const viewer = await send({ [CONTEXT_HEADER]: token }, { query: '{ viewer { user { email } } }' }, 'viewer-1');
    expect(viewer).toMatchObject({ status: 403, body: { errors: [{ extensions: { code: 'FORBIDDEN' } }] } });
    expect(direct).toEqual([]);
    // An empty context header names nobody: the request is the gateway's, as without one.
    const empty = await send({ [CONTEXT_HEADER]: '' }, { query: AUTHORIZE_QUERY, variables: { c: [{ permission: 'tickets:read', accountId: ids.acme }] } }, 'empty-1');
    expect(direct).toEqual([]);
    const none = await send({}, { query: AUTHORIZE_QUERY, variables: { c: [{ permission: 'tickets:read', accountId: ids.acme }] } }, 'none-1');
    expect(direct).toEqual([]);
    expect({ ...empty, requestId: undefined }).toEqual({ ...none, requestId: undefined });
    const bearer = await t.token('admin@acme.example');
    const client = await send({ authorization: `Bearer ${bearer}` }, { query: AUTHORIZE_QUERY, variables: { c: [{ permission: 'tickets:read', accountId: ids.acme }] } }, 'client-1');
    expect(client).toMatchObject({ status: 200, body: { data: { authorize: [{ allowed: true }] } } });
    expect(direct).toEqual([]);
  });

  it("refuses another subgraph's field asked with a context token, as before: FORBIDDEN, nothing answered", async () => {
    const token = await contextTokenOf('admin@acme.example');
    const served = tickets.requests();
    const refused = await send({ [CONTEXT_HEADER]: token }, { query: 'query($a: ID!) { authorize(checks: [{ permission: "tickets:read", accountId: $a }]) { allowed } tickets(accountId: $a) { number } }', variables: { a: ids.acme } }, 'mixed-1');
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })] });
    expect(direct).toEqual([]);
    // The whole document is read, not only the operation run: another operation in it asking viewer refuses the call.
    const beside = await send({ [CONTEXT_HEADER]: token }, { query: `${AUTHORIZE_QUERY} query Other { viewer { roles } }`, operationName: 'PorticoAuthorize', variables: { c: [] } }, 'beside-1');
    expect(beside).toMatchObject({ status: 403, body: { errors: [{ extensions: { code: 'FORBIDDEN' }, message: expect.stringMatching(/the field viewer is refused$/) }] } });
    expect(direct).toEqual([]);
    expect(tickets.requests()).toBe(served);
  });
});
