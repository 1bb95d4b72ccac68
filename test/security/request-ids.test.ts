import { PrincipalsInFlight } from '../../src/gateway/context';
import { databaseKinds } from '../support/databases';
import { logSink } from '../support/logs';
import { ok, startTestPortico, type TestPortico } from '../support/portico';

const ADMIN = 'admin@acme.example';
const CONTACT_ROLES = 'mutation($u: ID!, $roles: [ContactRole!]!) { setContactRoles(userId: $u, roles: $roles) { contactRoles } }';
const AUDIT = 'query($a: ID!) { auditEvents(accountId: $a, first: 50) { nodes { action requestId } } }';

/**
 * The request id is Portico's: made for every request, whatever the client sends. A client's own x-request-id is
 * logged beside it as clientRequestId and is the key of nothing: not the audit event's requestId, not the principal
 * held for the request's subgraph calls.
 */
describe.each(databaseKinds())('request ids are made by Portico, on %s', (kind) => {
  let t: TestPortico;
  const logs = logSink();
  let acme: string;
  let billing: string;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny', { logLevel: 'info' }, { logDestination: logs.stream });
    acme = (await t.account('Acme Logistics')).id;
    billing = (await t.user('billing@acme.example')).id;
  });
  afterAll(() => t?.stop());

  const send = async (query: string, variables: Record<string, unknown>, clientRequestId: string) => {
    const response = await t.raw({ token: await t.token(ADMIN), body: JSON.stringify({ query, variables }), headers: { 'x-request-id': clientRequestId } });
    return { requestId: response.headers.get('x-request-id'), body: (await response.json()) as { data?: Record<string, any>; errors?: unknown[] } };
  };

  it("a client's x-request-id is kept as its clientRequestId only: the audit event and the response carry Portico's own", async () => {
    const { requestId, body } = await send(CONTACT_ROLES, { u: billing, roles: ['BILLING_CONTACT'] }, 'chosen-by-the-client');
    expect(body.errors).toBeUndefined();
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const events = ok(await t.gql(ADMIN, AUDIT, { a: acme })).auditEvents.nodes as Array<{ action: string; requestId: string }>;
    expect(events.filter((event) => event.requestId === requestId).map((event) => event.action)).toEqual(['user.setContactRoles']);
    expect(events.filter((event) => event.requestId === 'chosen-by-the-client')).toEqual([]);
    const [line] = logs.records().filter((record) => record.msg === 'graphql request' && record.clientRequestId === 'chosen-by-the-client');
    expect(line).toMatchObject({ requestId, clientRequestId: 'chosen-by-the-client', operationType: 'mutation' });
  });

  it('two requests sending the same id get two ids, and the principal held for each is held under its own', async () => {
    const hold = jest.spyOn(PrincipalsInFlight.prototype, 'hold');
    try {
      const [first, second] = await Promise.all([send('{ viewer { roles } }', {}, 'same-id'), send('{ viewer { roles } }', {}, 'same-id')]);
      expect(first.requestId).not.toBe(second.requestId);
      expect(hold.mock.calls.map(([requestId]) => requestId).sort()).toEqual([first.requestId, second.requestId].sort());
    } finally {
      hold.mockRestore();
    }
  });
});
