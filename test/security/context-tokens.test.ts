import { randomUUID } from 'crypto';
import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { CONTEXT_HEADER, loadOrCreateContextSigner, type ContextSigner } from '../../src/identity/context-token';
import { databaseKinds } from '../support/databases';
import { logSink } from '../support/logs';
import { codes, startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const ACME_ADMIN = 'admin@acme.example';
const TICKETS = 'query($a: ID!) { tickets(accountId: $a) { number } }';

describe.each(databaseKinds())('a context token sent back to Portico in production on %s', (kind) => {
  let t: TestPortico;
  let tickets: DemoSubgraph;
  let offers: DemoSubgraph;
  let signer: ContextSigner;
  const logs = logSink();
  let ids: { acme: string; globex: string; acmeAdmin: string; fleet: string };

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const kitOptions = { porticoUrl: `${base}/graphql`, contextJwksUrl: `${base}${CONTEXT_JWKS_PATH}` };
    tickets = await startDemoSubgraph('tickets', kitOptions);
    offers = await startDemoSubgraph('offers', kitOptions);
    t = await startTestPortico(kind, 'dstny', { port, environment: 'production', logLevel: 'info', subgraphs: [{ name: tickets.name, url: tickets.url }] }, { logDestination: logs.stream });
    // The gateway's own signer: the tokens are exactly those it sends its subgraphs.
    signer = await loadOrCreateContextSigner(t.dataDir, t.portico.services.config.contextSigningKey);
    ids = {
      acme: (await t.account('Acme Logistics')).id,
      globex: (await t.account('Globex')).id,
      acmeAdmin: (await t.user(ACME_ADMIN)).id,
      fleet: (await t.user('fleet@acme.example')).id,
    };
  });
  afterAll(async () => {
    await t.stop();
    await tickets.stop();
    await offers.stop();
  });

  /** The token the gateway sends the tickets subgraph for this user. */
  async function contextTokenOf(email: string, subgraph = 'tickets'): Promise<string> {
    const user = await t.user(email);
    return signer.sign({ sub: user.id, acct: user.accountId, email: user.email }, subgraph);
  }

  async function sendTo(url: string, headers: Record<string, string>, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
    return { ...((await response.json()) as GraphQLResult), status: response.status };
  }

  it.each<{ title: string; query: string; variables: (i: typeof ids) => Record<string, unknown> }>([
    { title: 'assignRole', query: 'mutation($u: ID!) { assignRole(userId: $u, role: "PORTAL_ADMINISTRATOR") { id } }', variables: (i) => ({ u: i.fleet }) },
    { title: 'inviteUser', query: 'mutation($a: ID!) { inviteUser(input: { accountId: $a, email: "planted@acme.example", name: "Planted", roles: ["PORTAL_ADMINISTRATOR"] }) { id } }', variables: (i) => ({ a: i.acme }) },
    { title: 'setAccountStatus', query: 'mutation($a: ID!) { setAccountStatus(id: $a, status: SUSPENDED) { status } }', variables: (i) => ({ a: i.globex }) },
    { title: 'a mutation behind a viewer query in one document', query: 'mutation M($a: ID!) { setAccountStatus(id: $a, status: SUSPENDED) { status } } query Q { viewer { roles } }', variables: (i) => ({ a: i.globex }) },
    { title: 'reading an account', query: 'query($a: ID!) { account(id: $a) { name users { nodes { email } } } }', variables: (i) => ({ a: i.globex }) },
    { title: 'listing accounts', query: '{ accounts { nodes { id name } } }', variables: () => ({}) },
    { title: 'reading the audit trail', query: 'query($a: ID!) { auditEvents(accountId: $a) { nodes { id } } }', variables: (i) => ({ a: i.acme }) },
    { title: 'viewer and accounts together', query: '{ viewer { roles } accounts { nodes { id } } }', variables: () => ({}) },
    { title: 'accounts hidden in a fragment', query: '{ ...Everything } fragment Everything on Query { viewer { roles } ... on Query { accounts { nodes { id } } } }', variables: () => ({}) },
    { title: "another subgraph's field through the gateway", query: TICKETS, variables: (i) => ({ a: i.acme }) },
  ])("the operator's context token running $title: FORBIDDEN, nothing runs, nothing changes", async ({ query, variables }) => {
    const token = await contextTokenOf(OPERATOR);
    const before = await t.snapshot();
    const served = tickets.requests();
    const body: Record<string, unknown> = { query, variables: variables(ids) };
    if (query.startsWith('mutation M')) body.operationName = 'M';
    const response = await fetch(t.portico.url, { method: 'POST', headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: token }, body: JSON.stringify(body) });
    const result = (await response.json()) as GraphQLResult;
    expect(response.status).toBe(403);
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.errors![0].message).toBe('a context token answers only the decision queries authorize and viewer');
    expect(result.data).toBeUndefined();
    expect(tickets.requests()).toBe(served);
    expect(await t.snapshot()).toEqual(before);
  });

  it('answers the decision queries a subgraph needs, authorize and viewer', async () => {
    const token = await contextTokenOf(ACME_ADMIN);
    const result = await sendTo(t.portico.url, { [CONTEXT_HEADER]: token }, 'query($a: ID!) { viewer { user { email } } authorize(checks: [{ permission: "tickets:read", accountId: $a }]) { allowed } }', { a: ids.acme });
    expect(result).toEqual({ status: 200, data: { viewer: { user: { email: ACME_ADMIN } }, authorize: [{ allowed: true }] } });
  });

  it('a token signed for one subgraph is refused by another: UNAUTHENTICATED, and that subgraph asks Portico nothing', async () => {
    const forTickets = await contextTokenOf(ACME_ADMIN, 'tickets');
    const replayed = await sendTo(offers.url, { [CONTEXT_HEADER]: forTickets }, 'query($a: ID!) { invoices(accountId: $a) { number } }', { a: ids.acme });
    expect(replayed.status).toBe(401);
    expect(codes(replayed)).toEqual(['UNAUTHENTICATED']);
    expect(replayed.data ?? null).toBeNull();
    // The same token where it belongs: answered.
    const own = await sendTo(tickets.url, { [CONTEXT_HEADER]: forTickets }, TICKETS, { a: ids.acme });
    expect(own.errors).toBeUndefined();
    expect(own.data!.tickets.length).toBeGreaterThan(0);
  });

  it('a request through the gateway carries its id and the decisions the gateway made: the subgraph answers without calling back', async () => {
    const requestId = `rid-${randomUUID()}`;
    const bearer = await t.token(ACME_ADMIN);
    const response = await fetch(t.portico.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}`, 'x-request-id': requestId },
      body: JSON.stringify({ query: TICKETS, variables: { a: ids.acme } }),
    });
    const result = (await response.json()) as GraphQLResult;
    expect(result.errors).toBeUndefined();
    expect(result.data!.tickets.length).toBeGreaterThan(0);
    const lines = logs.records().filter((line) => line.requestId === requestId);
    expect(lines.map((line) => line.operationName ?? null)).toEqual([null]);
    expect(lines[0]).toMatchObject({ status: 200, principal: { userId: ids.acmeAdmin } });
  });

  it('without decisions handed to it, the kit asks Portico and sends the request id back on its decision call', async () => {
    const requestId = `rid-${randomUUID()}`;
    const own = await sendTo(tickets.url, { [CONTEXT_HEADER]: await contextTokenOf(ACME_ADMIN), 'x-request-id': requestId }, TICKETS, { a: ids.acme });
    expect(own.errors).toBeUndefined();
    expect(own.data!.tickets.length).toBeGreaterThan(0);
    const decisionCalls = logs.records().filter((line) => line.requestId === requestId && line.operationName === 'PorticoAuthorize');
    expect(decisionCalls.length).toBeGreaterThanOrEqual(1);
    for (const call of decisionCalls) expect(call).toMatchObject({ status: 200, outcome: expect.any(String), principal: { userId: ids.acmeAdmin } });
  });
});
