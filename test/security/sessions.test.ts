import { ImpersonationGrantEntity, type AccountEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';

const CUSTOMER_ADMIN = 'admin@acme.example';
const MANAGER = 'ppm@northwind.example';
const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }';
const START = 'mutation($customer: ID!) { startImpersonation(customerAccountId: $customer, reason: "ticket 4711") { token session { id } } }';
const NEVER = /an impersonation session never administers impersonation grants or sessions/;

describe.each(databaseKinds())('what an impersonation session may consent to on %s', (kind) => {
  let t: TestPortico;
  let acme: AccountEntity;
  let northwind: AccountEntity;
  let fleetUserId: string;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
    [acme, northwind] = await Promise.all(['Acme Logistics', 'Northwind Telecom'].map((name) => t.account(name)));
    fleetUserId = (await t.user('fleet@acme.example')).id;
  });
  afterAll(() => t?.stop());
  afterEach(async () => {
    const em = t.portico.services.db.manager;
    for (const g of await em.findBy(ImpersonationGrantEntity, {})) if (!g.revokedAt) await em.update(ImpersonationGrantEntity, { id: g.id }, { revokedAt: new Date() });
  });

  /** A time-limited grant naming impersonationGrants:manage (the customer's own administration of consent), and a session under it. */
  async function session(): Promise<{ grantId: string; sessionId: string; token: string }> {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const granted = ok(await t.gql(CUSTOMER_ADMIN, GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['impersonationGrants:manage', 'contactRoles:manage'], expiresAt } }));
    const started = ok(await t.gql(MANAGER, START, { customer: acme.id })).startImpersonation;
    return { grantId: granted.grantImpersonation.id, sessionId: started.session.id, token: started.token };
  }

  const inSession = (token: string, query: string, variables: Record<string, unknown>) => t.gql({ token }, query, variables);

  it('the attack: revoking its own time-limited grant and granting itself one without expiry, in one request: both FORBIDDEN, nothing changes', async () => {
    const { grantId, token } = await session();
    const before = await t.snapshot();
    const result = await inSession(
      token,
      'mutation($id: ID!, $input: GrantImpersonationInput!) { revoke: revokeImpersonationGrant(id: $id) { id } forever: grantImpersonation(input: $input) { id } }',
      { id: grantId, input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['impersonationGrants:manage'] } },
    );
    // The first refusal nulls the (non-null) mutation result: the second field never runs.
    expect(result.data ?? null).toBeNull();
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.errors![0]).toMatchObject({ path: ['revoke'], message: expect.stringMatching(NEVER) });
    expect(await t.snapshot()).toEqual(before);
  });

  it.each<{ title: string; query: string; variables: (s: { grantId: string; sessionId: string }) => Record<string, unknown>; message: RegExp }>([
    { title: 'granting impersonation', query: GRANT, variables: () => ({ input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['contactRoles:manage'] } }), message: NEVER },
    { title: 'revoking its grant', query: 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { id } }', variables: ({ grantId }) => ({ id: grantId }), message: NEVER },
    { title: 'starting a nested session', query: START, variables: () => ({ customer: acme.id }), message: /an impersonation session cannot start another one/ },
  ])('a session $title: FORBIDDEN, whatever its grant names, nothing changes', async ({ query, variables, message }) => {
    const s = await session();
    const before = await t.snapshot();
    const result = await inSession(s.token, query, variables(s));
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.errors![0].message).toMatch(message);
    expect(await t.snapshot()).toEqual(before);
  });

  it('a session ending itself stops the fields after it in the same request: FORBIDDEN, only the end is recorded', async () => {
    const { sessionId, token } = await session();
    const before = await t.snapshot();
    const result: GraphQLResult = await inSession(
      token,
      'mutation($s: ID!, $u: ID!) { end: endImpersonation(sessionId: $s) { status } after: setContactRoles(userId: $u, roles: [BILLING_CONTACT]) { id } }',
      { s: sessionId, u: fleetUserId },
    );
    // `after` is non-null: its refusal nulls the whole result, though `end` ran and committed.
    expect(result.data ?? null).toBeNull();
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.errors![0]).toMatchObject({ path: ['after'], message: 'the impersonation session or its grant has ended: nothing more is done under it' });
    const after = await t.snapshot();
    // One audit event and the session's end; no contact role.
    expect(after).toEqual({ ...before, audits: before.audits + 1, consentHash: after.consentHash });
    expect(after.consentHash).not.toBe(before.consentHash);
  });

  it("a grant revoked by the customer between two of the session's requests stops the next one", async () => {
    const { grantId, token } = await session();
    ok(await t.gql(CUSTOMER_ADMIN, 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { id } }', { id: grantId }));
    const before = await t.snapshot();
    const result = await inSession(token, 'mutation($u: ID!) { setContactRoles(userId: $u, roles: [BILLING_CONTACT]) { id } }', { u: fleetUserId });
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    expect(await t.snapshot()).toEqual(before);
  });
});
