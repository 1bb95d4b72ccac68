import { randomUUID } from 'crypto';
import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import { loadPrincipal } from '../../src/domain/principal';
import { contextClaimsOf } from '../../src/gateway/context';
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

  /** The token the gateway sends the tickets subgraph for this user: the claims it would send. */
  async function contextTokenOf(email: string, subgraph = 'tickets'): Promise<string> {
    const { services } = t.portico;
    const principal = await loadPrincipal(services.db, services.engine, { subject: (await t.user(email)).id, claims: {} }, 'test');
    return signer.sign(contextClaimsOf(principal, new Set()), subgraph);
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
    // What the kit needs of its caller is in the token's claims: viewer is refused, however it is reached.
    { title: 'viewer alone', query: '{ viewer { user { email } } }', variables: () => ({}) },
    { title: 'viewer traversing to every tenant, their users and tickets', query: '{ viewer { account { children { nodes { name children { nodes { name tickets { subject } } } } } users { nodes { email roles } } } } }', variables: () => ({}) },
    { title: 'viewer beside authorize, under an alias', query: 'query($a: ID!) { authorize(checks: [{ permission: "tickets:read", accountId: $a }]) { allowed } me: viewer { roles } }', variables: (i) => ({ a: i.acme }) },
    { title: 'viewer in an inline fragment', query: '{ ... on Query { viewer { roles } } }', variables: () => ({}) },
    { title: 'viewer in a named fragment beside authorize', query: 'query($a: ID!) { ...F } fragment F on Query { authorize(checks: [{ permission: "tickets:read", accountId: $a }]) { allowed } viewer { account { name } } }', variables: (i) => ({ a: i.acme }) },
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
    expect(result.errors![0].message).toMatch(/^a context token may run only the query authorize \(what a subgraph needs of its caller is in the token's claims\): .+ is refused$/);
    expect(result.data).toBeUndefined();
    expect(tickets.requests()).toBe(served);
    expect(await t.snapshot()).toEqual(before);
  });

  it('answers what a subgraph needs, authorize, through aliases and fragments too', async () => {
    const token = await contextTokenOf(ACME_ADMIN);
    const result = await sendTo(t.portico.url, { [CONTEXT_HEADER]: token }, 'query($a: ID!) { __typename mine: authorize(checks: [{ permission: "tickets:read", accountId: $a }]) { ...D } } fragment D on AuthorizationDecision { allowed ... on AuthorizationDecision { permission } }', { a: ids.acme });
    expect(result).toEqual({ status: 200, data: { __typename: 'Query', mine: [{ allowed: true, permission: 'tickets:read' }] } });
  });

  it.each([
    { title: 'a subgraph this supergraph does not have (offers)', subgraph: 'offers' },
    { title: 'a name no subgraph has', subgraph: 'nobody' },
    { title: 'the access-control graph itself (it is never sent one)', subgraph: 'access-control' },
  ])('a context token whose audience names $title: UNAUTHENTICATED, nothing answered', async ({ subgraph }) => {
    const token = await contextTokenOf(ACME_ADMIN, subgraph);
    const result = await sendTo(t.portico.url, { [CONTEXT_HEADER]: token }, 'query($a: ID!) { authorize(checks: [{ permission: "tickets:read", accountId: $a }]) { allowed } }', { a: ids.acme });
    expect(result.status).toBe(401);
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.data ?? null).toBeNull();
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
    // Logged under an id Portico made, the client's beside it; no decision call was made under that id.
    const [line] = logs.records().filter((record) => record.clientRequestId === requestId);
    expect(line).toMatchObject({ status: 200, principal: { userId: ids.acmeAdmin }, requestId: expect.not.stringMatching(requestId) });
    const lines = logs.records().filter((record) => record.requestId === line.requestId);
    expect(lines.map((record) => record.operationName ?? null)).toEqual([null]);
  });

  it('without decisions handed to it, the kit asks Portico and sends the request id back on its decision call (a request Portico is not serving: kept as its clientRequestId)', async () => {
    const requestId = `rid-${randomUUID()}`;
    const own = await sendTo(tickets.url, { [CONTEXT_HEADER]: await contextTokenOf(ACME_ADMIN), 'x-request-id': requestId }, TICKETS, { a: ids.acme });
    expect(own.errors).toBeUndefined();
    expect(own.data!.tickets.length).toBeGreaterThan(0);
    const decisionCalls = logs.records().filter((line) => line.clientRequestId === requestId && line.operationName === 'PorticoAuthorize');
    expect(decisionCalls.length).toBeGreaterThanOrEqual(1);
    for (const call of decisionCalls) expect(call).toMatchObject({ status: 200, outcome: expect.any(String), principal: { userId: ids.acmeAdmin } });
  });
});
