import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import { DECISIONS_HEADER } from '../../src/identity/context-token';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { databaseKinds } from '../support/databases';
import { logSink } from '../support/logs';
import { codes, ok, startTestPortico, type Caller, type TestPortico } from '../support/portico';

const ACME_ADMIN = 'admin@acme.example';
const OPEN = (alias: string, subject: string) => `${alias}: openTicket(input: { accountId: $a, subject: "${subject}" }) { number }`;
const TICKETS = 'query($a: ID!) { tickets(accountId: $a) { subject } }';

/**
 * In front of the tickets subgraph: passes every call through, and holds a mutation's call until `beforeMutation`
 * has run (another request, made while this one is in flight), recording the headers the gateway sent with it.
 */
async function startHoldingProxy(target: string) {
  const state: { beforeMutation?: () => Promise<void>; mutationHeaders: IncomingHttpHeaders[] } = { mutationHeaders: [] };
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (/^\s*mutation\b/.test((JSON.parse(body) as { query: string }).query)) {
      state.mutationHeaders.push(req.headers);
      const hook = state.beforeMutation;
      state.beforeMutation = undefined;
      await hook?.();
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && name !== 'host' && name !== 'content-length' && name !== 'connection') headers[name] = value;
    const response = await fetch(target, { method: 'POST', headers, body });
    res.writeHead(response.status, { 'content-type': 'application/json' });
    res.end(await response.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, state, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * A request that changes its own rights. Mutation root fields run in order; once one of them changes the caller's
 * session, grants, roles or status (or another request does while this one runs), nothing later in the request runs
 * on what was read before: the downstream write that follows is decided again, and refused.
 */
describe.each(databaseKinds())('a request that changes its own rights, through the gateway, on %s', (kind) => {
  let t: TestPortico;
  let tickets: DemoSubgraph;
  let proxy: Awaited<ReturnType<typeof startHoldingProxy>>;
  const logs = logSink();
  let acme: string;
  let northwind: string;

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    tickets = await startDemoSubgraph('tickets', { porticoUrl: `${base}/graphql`, contextJwksUrl: `${base}${CONTEXT_JWKS_PATH}` });
    proxy = await startHoldingProxy(tickets.url);
    t = await startTestPortico(kind, 'dstny', { port, logLevel: 'info', subgraphs: [{ name: tickets.name, url: proxy.url }] }, { logDestination: logs.stream });
    acme = (await t.account('Acme Logistics')).id;
    northwind = (await t.account('Northwind Telecom')).id;
    // The demo rows of Acme are seeded the first time one of its users comes by.
    expect(ok(await t.gql(ACME_ADMIN, TICKETS, { a: acme })).tickets.length).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await t?.stop();
    await proxy?.stop();
    await tickets?.stop();
  });

  const subjects = async (): Promise<string[]> => ok(await t.gql(ACME_ADMIN, TICKETS, { a: acme })).tickets.map((ticket: { subject: string }) => ticket.subject);

  /** The grant the last session was started under: one grant per partner at a time, so the next session revokes it. */
  let lastGrant: string | undefined;

  /** A partner user in a session on Acme, granted tickets:create and tickets:read: its session token and id. */
  async function session(): Promise<{ as: Caller; sessionId: string; grantId: string }> {
    if (lastGrant) await t.gql(ACME_ADMIN, 'mutation($g: ID!) { revokeImpersonationGrant(id: $g) { revokedAt } }', { g: lastGrant });
    const granted = ok(await t.gql(ACME_ADMIN, 'mutation($c: ID!, $p: ID!) { grantImpersonation(input: { customerAccountId: $c, partnerAccountId: $p, rights: ["tickets:create", "tickets:read"] }) { id } }', { c: acme, p: northwind }));
    const started = ok(await t.gql('ppm@northwind.example', 'mutation($c: ID!) { startImpersonation(customerAccountId: $c, reason: "a ticket for the customer") { token session { id } } }', { c: acme }));
    lastGrant = granted.grantImpersonation.id;
    return { as: { token: started.startImpersonation.token }, sessionId: started.startImpersonation.session.id, grantId: granted.grantImpersonation.id };
  }

  /** Makes a user of Acme a second Portal Administrator, so that the last-administrator rules let them change themselves. */
  async function secondAdministrator(email: string): Promise<string> {
    const user = await t.user(email);
    ok(await t.gql('admin@platform.local', 'mutation($u: ID!) { assignRole(userId: $u, role: "PORTAL_ADMINISTRATOR") { id } }', { u: user.id }));
    // Allowed before the change: the write below is refused for the change alone.
    expect(ok(await t.gql(email, 'query($c: [AuthorizationCheckInput!]!) { authorize(checks: $c) { allowed } }', { c: [{ permission: 'tickets:create', accountId: acme }] })).authorize).toEqual([{ allowed: true }]);
    return user.id;
  }

  it('endImpersonation, then openTicket in the same request: the session is over for the write too, nothing is stored', async () => {
    const { as, sessionId } = await session();
    const result = await t.gql(as, `mutation($s: ID!, $a: ID!) { e: endImpersonation(sessionId: $s) { status } ${OPEN('t', 'After the session ended')} }`, { s: sessionId, a: acme });
    expect(result.data).toEqual({ e: { status: 'ENDED' }, t: null });
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(await subjects()).not.toContain('After the session ended');
  });

  it('revokeImpersonationGrant by the customer while the request runs: its write, after the revocation, is decided again and refused', async () => {
    const { as, grantId } = await session();
    proxy.state.beforeMutation = async () => {
      ok(await t.gql(ACME_ADMIN, 'mutation($g: ID!) { revokeImpersonationGrant(id: $g) { revokedAt } }', { g: grantId }));
    };
    const result = await t.gql(as, `mutation($a: ID!) { ${OPEN('t', 'After the grant was revoked')} }`, { a: acme });
    // The gateway let the write through as the request started; the subgraph asked again, after the revocation.
    expect(proxy.state.mutationHeaders.at(-1)?.[DECISIONS_HEADER]).toBeUndefined();
    expect(result.data).toEqual({ t: null });
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    expect(await subjects()).not.toContain('After the grant was revoked');
  });

  it('setUserStatus SUSPENDED on oneself, then openTicket: a suspended user writes nothing', async () => {
    const insight = await secondAdministrator('insight@acme.example');
    const result = await t.gql('insight@acme.example', `mutation($u: ID!, $a: ID!) { s: setUserStatus(id: $u, status: SUSPENDED) { status } ${OPEN('t', 'After suspending myself')} }`, { u: insight, a: acme });
    expect(result.data).toEqual({ s: { status: 'SUSPENDED' }, t: null });
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.errors![0].extensions).toMatchObject({ permission: 'tickets:create' });
    expect(await subjects()).not.toContain('After suspending myself');
  });

  it("the access-control graph's own later mutations run on the caller read again: suspending oneself, then assigning a role, is refused", async () => {
    const fleet = await secondAdministrator('fleet@acme.example');
    const target = (await t.user('billing@acme.example')).id;
    const before = await t.rolesOf('billing@acme.example');
    const result = await t.gql('fleet@acme.example', 'mutation($u: ID!, $b: ID!) { s: setUserStatus(id: $u, status: SUSPENDED) { status } a: assignRole(userId: $b, role: "FLEET_ADMINISTRATOR") { id } }', { u: fleet, b: target });
    // The suspended caller sees no user of the account any more: assignRole finds none (and its null empties data).
    expect(result.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['a'], 'NOT_FOUND']]);
    expect((await t.user('fleet@acme.example')).status).toBe('SUSPENDED');
    expect(await t.rolesOf('billing@acme.example')).toEqual(before);
  });

  it('a request that changes nothing of its own still writes: openTicket alone, by a Portal Administrator', async () => {
    const result = await t.gql(ACME_ADMIN, `mutation($a: ID!) { ${OPEN('t', 'An ordinary ticket')} }`, { a: acme });
    expect(result.errors).toBeUndefined();
    expect(await subjects()).toContain('An ordinary ticket');
  });

  // Last: the platform operator revokes their own role (a customer's Portal Administrator cannot: only the operator
  // assigns and revokes that role), and is no operator after it.
  it('revokeRole on oneself, then openTicket: the write is decided on the rights left, and refused', async () => {
    const operator = await t.user('admin@platform.local');
    expect(ok(await t.gql(operator.email, 'query($c: [AuthorizationCheckInput!]!) { authorize(checks: $c) { allowed } }', { c: [{ permission: 'tickets:create', accountId: acme }] })).authorize).toEqual([{ allowed: true }]);
    const result = await t.gql(operator.email, `mutation($u: ID!, $a: ID!) { r: revokeRole(userId: $u, role: "PLATFORM_OPERATOR") { id } ${OPEN('t', 'After revoking my own role')} }`, { u: operator.id, a: acme });
    expect(result.data).toEqual({ r: { id: operator.id }, t: null });
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.errors![0].extensions).toMatchObject({ permission: 'tickets:create' });
    expect(await subjects()).not.toContain('After revoking my own role');
  });
});
