import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { IsNull } from 'typeorm';
import { ImpersonationGrantEntity, ImpersonationSessionEntity, type AccountEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { type Caller, codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const CUSTOMER_ADMIN = 'admin@acme.example';
const MANAGER = 'ppm@northwind.example';
const PARTNER_ADMIN = 'ppa@northwind.example';
const PORTAL_USER = 'ppu@northwind.example';

const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id status rights permissions expiresAt partnerAccountId customerAccountId } }';
const REVOKE = 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { id status revokedAt } }';
const START = 'mutation($customer: ID!, $reason: String!) { startImpersonation(customerAccountId: $customer, reason: $reason) { token session { id status reason expiresAt actor { email } } } }';
const END = 'mutation($id: ID!) { endImpersonation(sessionId: $id) { id status endedAt } }';
const VIEWER = '{ viewer { user { email } actor { email } account { name } roles impersonation { id reason status } permissions { permission reason } } }';
const AUTHORIZE = 'query($checks: [AuthorizationCheckInput!]!) { authorize(checks: $checks) { permission accountId allowed reason } }';
const CONTACT_ROLES = 'mutation($userId: ID!, $roles: [ContactRole!]!) { setContactRoles(userId: $userId, roles: $roles) { email contactRoles } }';
const ASSIGN = 'mutation($userId: ID!, $role: String!) { assignRole(userId: $userId, role: $role) { roles } }';
const AUDIT = 'query($accountId: ID!) { auditEvents(accountId: $accountId, first: 100) { nodes { action actorUserId subjectAccountId targetType targetId impersonationSessionId requestId } } }';
const CAN = 'query($id: ID!) { account(id: $id) { name viewerCanImpersonate impersonationGrants { nodes { id status sessions { nodes { id status actor { email } } } } } } }';

/** The permissions the demo grant carries: a right the customer names as a role, and two permissions. */
const RIGHTS = ['FLEET_ADMINISTRATOR', 'tickets:create', 'contactRoles:manage'];
const FLEET = ['deliveries:manage', 'deliveries:read', 'fleet:manage', 'fleet:read', 'insights:read', 'installations:manage', 'processes:read', 'providerContacts:read'];
const GRANTED = [...FLEET, 'contactRoles:manage', 'tickets:create'].sort();

describe.each(databaseKinds())('impersonation on %s', (kind) => {
  let t: TestPortico;
  let acme: AccountEntity;
  let globex: AccountEntity;
  let initech: AccountEntity;
  let northwind: AccountEntity;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
    [acme, globex, initech, northwind] = await Promise.all(['Acme Logistics', 'Globex', 'Initech', 'Northwind Telecom'].map((name) => t.account(name)));
  });
  afterAll(() => t?.stop());

  const em = () => t.portico.services.db.manager;
  const grant = async (customer: AccountEntity, rights = RIGHTS, as = CUSTOMER_ADMIN, expiresAt?: Date) =>
    ok(await t.gql(as, GRANT, { input: { customerAccountId: customer.id, partnerAccountId: northwind.id, rights, expiresAt } })).grantImpersonation;
  const start = async (customer: AccountEntity, as: Caller = MANAGER) => ok(await t.gql(as, START, { customer: customer.id, reason: 'ticket 4711: number porting' })).startImpersonation;
  /** Revokes every grant left active by a test, so the next starts from a customer that has granted nothing. */
  const revokeAll = async () => {
    for (const g of await em().findBy(ImpersonationGrantEntity, {})) if (!g.revokedAt) await em().update(ImpersonationGrantEntity, { id: g.id }, { revokedAt: new Date() });
  };
  afterEach(revokeAll);

  it('grant → start → act → end, end to end', async () => {
    const granted = await grant(acme);
    expect(granted).toMatchObject({ status: 'ACTIVE', rights: RIGHTS, expiresAt: null, customerAccountId: acme.id, partnerAccountId: northwind.id });
    expect([...granted.permissions].sort()).toEqual(GRANTED);

    // Both sides see the grant; the manager sees the button on Acme only.
    expect(ok(await t.gql(CUSTOMER_ADMIN, CAN, { id: acme.id })).account.impersonationGrants.nodes.map((g: { id: string }) => g.id)).toEqual([granted.id]);
    expect(ok(await t.gql(MANAGER, CAN, { id: northwind.id })).account.impersonationGrants.nodes.map((g: { id: string }) => g.id)).toEqual([granted.id]);
    expect(ok(await t.gql(MANAGER, CAN, { id: acme.id })).account.viewerCanImpersonate).toBe(true);
    expect(ok(await t.gql(MANAGER, CAN, { id: globex.id })).account.viewerCanImpersonate).toBe(false);
    expect(ok(await t.gql(PORTAL_USER, CAN, { id: acme.id })).account.viewerCanImpersonate).toBe(false);

    const before = Date.now();
    const { token, session } = await start(acme);
    expect(session).toMatchObject({ status: 'ACTIVE', reason: 'ticket 4711: number porting', actor: { email: MANAGER } });
    const manager = await t.user(MANAGER);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: manager.id, sid: session.id, acct: acme.id, act: { sub: manager.id, acct: northwind.id } });
    // The configured maximum (60 minutes) is shorter than a grant without expiry.
    expect(claims.exp! * 1000).toBeGreaterThanOrEqual(before + 59 * 60_000);
    expect(claims.exp! * 1000).toBeLessThanOrEqual(Date.now() + 60 * 60_000);

    const as = { token };
    const viewer = ok(await t.gql(as, VIEWER)).viewer;
    expect(viewer).toMatchObject({ user: { email: MANAGER }, actor: { email: MANAGER }, account: { name: 'Acme Logistics' }, roles: RIGHTS, impersonation: { id: session.id, status: 'ACTIVE' } });
    expect(viewer.permissions.map((p: { permission: string }) => p.permission)).toEqual(GRANTED);
    expect(viewer.permissions[0].reason).toContain(`impersonation grant ${granted.id}`);

    const decisions = ok(await t.gql(as, AUTHORIZE, {
      checks: [
        { permission: 'tickets:create', accountId: acme.id },
        { permission: 'invoices:read', accountId: acme.id },
        { permission: 'tickets:create', accountId: globex.id },
        { permission: 'customers:read', accountId: acme.id },
      ],
    })).authorize;
    expect(decisions.map((d: { allowed: boolean }) => d.allowed)).toEqual([true, false, false, false]);

    // Act: a change allowed by the grant, audited with both identities.
    const billing = await t.user('billing@acme.example');
    const acted = await t.gql(as, CONTACT_ROLES, { userId: billing.id, roles: ['BILLING_CONTACT', 'TECHNICAL_CONTACT'] });
    const changed = ok(acted).setContactRoles;
    expect(changed.contactRoles).toEqual(['BILLING_CONTACT', 'TECHNICAL_CONTACT']);
    const events = ok(await t.gql(CUSTOMER_ADMIN, AUDIT, { accountId: acme.id })).auditEvents.nodes;
    expect(events.find((e: { requestId: string }) => e.requestId === acted.requestId)).toMatchObject({
      action: 'user.setContactRoles',
      actorUserId: manager.id,
      subjectAccountId: acme.id,
      impersonationSessionId: session.id,
    });
    expect(events.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['impersonation.grant', 'impersonation.start']));

    const ended = ok(await t.gql(as, END, { id: session.id })).endImpersonation;
    expect(ended.status).toBe('ENDED');
    const after = await t.gql(as, VIEWER);
    expect(codes(after)).toEqual(['UNAUTHENTICATED']);
    expect(after.errors![0].message).toMatch(/session has ended/);
    // The customer sees the session it held, ended, with who acted.
    const held = ok(await t.gql(CUSTOMER_ADMIN, CAN, { id: acme.id })).account.impersonationGrants.nodes[0].sessions.nodes;
    expect(held).toEqual([{ id: session.id, status: 'ENDED', actor: { email: MANAGER } }]);
  });

  it('ten concurrent grants to the same partner leave exactly one active grant', async () => {
    const input = { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:create'] };
    const results = await Promise.all(Array.from({ length: 10 }, () => t.gql(CUSTOMER_ADMIN, GRANT, { input })));
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => r.errors).map((r) => codes(r)[0])).toEqual(Array(9).fill('CONFLICT'));
    expect(await em().countBy(ImpersonationGrantEntity, { customerAccountId: acme.id, revokedAt: IsNull() })).toBe(1);
  });

  it('a session never outlives its grant', async () => {
    const expiresAt = new Date(Date.now() + 10 * 60_000);
    await grant(acme, RIGHTS, CUSTOMER_ADMIN, expiresAt);
    const { token, session } = await start(acme);
    expect(new Date(session.expiresAt).getTime()).toBe(expiresAt.getTime());
    expect(decodeJwt(token).exp).toBe(Math.floor(expiresAt.getTime() / 1000));
  });

  describe('escalation attempts are refused and change nothing', () => {
    it('starting a session without a grant', async () => {
      await refused(t, MANAGER, START, { customer: globex.id, reason: 'x' }, 'FORBIDDEN', /has not granted impersonation/);
    });

    it('starting a session under an expired grant', async () => {
      const g = await grant(acme);
      await em().update(ImpersonationGrantEntity, { id: g.id }, { expiresAt: new Date(Date.now() - 1000) });
      await refused(t, MANAGER, START, { customer: acme.id, reason: 'x' }, 'FORBIDDEN', /grant is expired/);
    });

    it('starting a session under a revoked grant', async () => {
      const g = await grant(acme);
      ok(await t.gql(CUSTOMER_ADMIN, REVOKE, { id: g.id }));
      await refused(t, MANAGER, START, { customer: acme.id, reason: 'x' }, 'FORBIDDEN', /grant is revoked/);
    });

    it('a Partner Portal User, who does not hold customers:impersonate', async () => {
      await grant(acme);
      await refused(t, PORTAL_USER, START, { customer: acme.id, reason: 'x' }, 'FORBIDDEN', /customers:impersonate/);
    });

    it("a customer of another partner: it reads as not found", async () => {
      await refused(t, MANAGER, START, { customer: initech.id, reason: 'x' }, 'NOT_FOUND');
    });

    it('granting rights the customer does not have', async () => {
      await refused(t, CUSTOMER_ADMIN, GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['customers:impersonate'] } }, 'BAD_USER_INPUT', /not a right of CUSTOMER accounts/);
      await refused(t, CUSTOMER_ADMIN, GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['PARTNER_PORTAL_MANAGER'] } }, 'BAD_USER_INPUT');
    });

    it('without naming the partner, the grant goes to the partner the customer sits under', async () => {
      const g = ok(await t.gql(CUSTOMER_ADMIN, GRANT.replace('partnerAccountId', 'partnerAccountId partnerAccountName partnerAccount { id }'), { input: { customerAccountId: acme.id, rights: ['tickets:create'] } })).grantImpersonation;
      // The customer cannot look its partner up, but sees whom it let in.
      expect(g).toMatchObject({ partnerAccountId: northwind.id, partnerAccountName: 'Northwind Telecom', partnerAccount: null });
      const umbrella = await t.account('Umbrella Direct');
      await refused(t, 'admin@umbrella.example', GRANT, { input: { customerAccountId: umbrella.id, rights: ['tickets:create'] } }, 'BAD_USER_INPUT', /direct customer has no partner/);
    });

    it('granting to an account that does not manage the customer', async () => {
      const contoso = await t.account('Contoso Networks');
      await refused(t, CUSTOMER_ADMIN, GRANT, { input: { customerAccountId: acme.id, partnerAccountId: contoso.id, rights: ['tickets:create'] } }, 'BAD_USER_INPUT', /does not manage/);
    });

    it('consent by anyone but the customer: the partner, the platform operator, a Fleet Administrator', async () => {
      const input = { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:create'] };
      await refused(t, PARTNER_ADMIN, GRANT, { input }, 'FORBIDDEN');
      await refused(t, OPERATOR, GRANT, { input }, 'FORBIDDEN', /customer's own administrators/);
      await refused(t, 'fleet@acme.example', GRANT, { input }, 'FORBIDDEN');
    });

    it('a second active grant to the same partner', async () => {
      await grant(acme);
      await refused(t, CUSTOMER_ADMIN, GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:create'] } }, 'CONFLICT');
    });

    it('acting beyond the granted rights, or on another account, inside a session', async () => {
      await grant(acme);
      const as = { token: (await start(acme)).token };
      const fleet = await t.user('fleet@acme.example');
      const gina = await t.user('admin@globex.example');
      // rights:assign was not granted: no rights administration.
      await refused(t, as, ASSIGN, { userId: fleet.id, role: 'INSIGHT_USER' }, 'FORBIDDEN');
      // Another customer of the same partner does not exist for the session.
      await refused(t, as, CONTACT_ROLES, { userId: gina.id, roles: [] }, 'NOT_FOUND');
      expect(ok(await t.gql(as, 'query($id: ID!) { account(id: $id) { name } }', { id: globex.id })).account).toBeNull();
      expect(ok(await t.gql(as, '{ accounts { nodes { name } } }')).accounts.nodes).toEqual([{ name: 'Acme Logistics' }]);
    });

    it('starting a session or creating a grant from inside a session', async () => {
      await grant(acme);
      const as = { token: (await start(acme)).token };
      await refused(t, as, START, { customer: acme.id, reason: 'nested' }, 'FORBIDDEN', /cannot start another/);
      await refused(t, as, GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:create'] } }, 'FORBIDDEN');
    });

    it('a token whose session was ended, one request later', async () => {
      await grant(acme);
      const { token, session } = await start(acme);
      expect(ok(await t.gql({ token }, VIEWER)).viewer.impersonation.id).toBe(session.id);
      ok(await t.gql(CUSTOMER_ADMIN, END, { id: session.id }));
      await refused(t, { token }, VIEWER, {}, 'UNAUTHENTICATED', /session has ended/);
    });

    it('a token whose grant was revoked, one request later', async () => {
      const g = await grant(acme);
      const { token } = await start(acme);
      expect(ok(await t.gql({ token }, VIEWER)).viewer.account.name).toBe('Acme Logistics');
      const revoked = ok(await t.gql(CUSTOMER_ADMIN, REVOKE, { id: g.id })).revokeImpersonationGrant;
      expect(revoked.status).toBe('REVOKED');
      // Its sessions end with it; the session's own check would refuse the token either way.
      await refused(t, { token }, VIEWER, {}, 'UNAUTHENTICATED', /session has ended|grant was revoked/);
      expect((await em().findOneByOrFail(ImpersonationSessionEntity, { grantId: g.id })).endedAt).not.toBeNull();
    });

    it.each([
      { title: 'the actor is suspended', suspend: async (t: TestPortico) => ({ as: PARTNER_ADMIN, query: 'mutation($id: ID!, $s: UserStatus!) { setUserStatus(id: $id, status: $s) { status } }', id: (await t.user(MANAGER)).id, status: 'SUSPENDED', undo: 'ACTIVE' }) },
      { title: 'the customer account is suspended', suspend: async (t: TestPortico) => ({ as: OPERATOR, query: 'mutation($id: ID!, $s: AccountStatus!) { setAccountStatus(id: $id, status: $s) { status } }', id: (await t.account('Acme Logistics')).id, status: 'SUSPENDED', undo: 'ACTIVE' }) },
      { title: 'the partner account is suspended', suspend: async (t: TestPortico) => ({ as: OPERATOR, query: 'mutation($id: ID!, $s: AccountStatus!) { setAccountStatus(id: $id, status: $s) { status } }', id: (await t.account('Northwind Telecom')).id, status: 'SUSPENDED', undo: 'ACTIVE' }) },
    ])('a session token, once $title, one request later', async ({ suspend }) => {
      await grant(acme);
      const { token } = await start(acme);
      const change = await suspend(t);
      ok(await t.gql(change.as, change.query, { id: change.id, s: change.status }));
      try {
        await refused(t, { token }, VIEWER, {}, 'UNAUTHENTICATED', /suspended/);
      } finally {
        ok(await t.gql(change.as, change.query, { id: change.id, s: change.undo }));
      }
      // Reactivated, the same session works again until it ends or expires.
      expect(ok(await t.gql({ token }, VIEWER)).viewer.account.name).toBe('Acme Logistics');
    });

    it('a session token signed with another key, or naming a session of someone else', async () => {
      await grant(acme);
      const { session } = await start(acme);
      const { privateKey } = await generateKeyPair('ES256');
      const manager = await t.user(MANAGER);
      const forge = (sub: string, key = privateKey) =>
        new SignJWT({ sid: session.id, acct: acme.id, act: { sub } }).setProtectedHeader({ alg: 'ES256' }).setSubject(sub).setIssuer('portico').setAudience('portico').setExpirationTime('5m').sign(key);
      await refused(t, { token: await forge(manager.id) }, VIEWER, {}, 'UNAUTHENTICATED', /not valid/);
      const other = await t.user(PARTNER_ADMIN);
      const misused = await forge(other.id, t.portico.services.signingKeys.privateKey);
      await refused(t, { token: misused }, VIEWER, {}, 'UNAUTHENTICATED', /does not exist/);
    });
  });

  describe('requestImpersonation and approveImpersonationGrant', () => {
    const REQUEST = 'mutation($input: RequestImpersonationInput!) { requestImpersonation(input: $input) { id status rights permissions requestedByUserId requestReason approvedAt grantedByUserId } }';
    const APPROVE = 'mutation($id: ID!) { approveImpersonationGrant(id: $id) { id status rights permissions approvedAt grantedByUserId } }';
    const ask = async (as: string = MANAGER, rights = ['FLEET_ADMINISTRATOR', 'tickets:create']) =>
      ok(await t.gql(as, REQUEST, { input: { customerAccountId: acme.id, rights, reason: 'ticket 4711: number porting' } })).requestImpersonation;

    it('a partner manager asks, the customer approves, and only then may the manager start a session; both audited', async () => {
      const manager = await t.user(MANAGER);
      const requested = await ask();
      expect(requested).toMatchObject({ status: 'PENDING', rights: ['FLEET_ADMINISTRATOR', 'tickets:create'], permissions: [], requestedByUserId: manager.id, requestReason: 'ticket 4711: number porting', approvedAt: null });
      // Pending: nobody gets in yet.
      await refused(t, MANAGER, START, { customer: acme.id, reason: 'too early' }, 'FORBIDDEN');
      const admin = await t.user(CUSTOMER_ADMIN);
      const approved = ok(await t.gql(CUSTOMER_ADMIN, APPROVE, { id: requested.id })).approveImpersonationGrant;
      expect(approved).toMatchObject({ id: requested.id, status: 'ACTIVE', grantedByUserId: admin.id, approvedAt: expect.any(String) });
      expect([...approved.permissions].sort()).toEqual([...FLEET, 'tickets:create'].sort());
      expect((await start(acme)).session.status).toBe('ACTIVE');
      const actions = ok(await t.gql(CUSTOMER_ADMIN, AUDIT, { accountId: acme.id })).auditEvents.nodes.filter((e: { targetId: string }) => e.targetId === requested.id).map((e: { action: string }) => e.action);
      expect(actions.sort()).toEqual(['impersonation.approve', 'impersonation.request']);
    });

    it('a second request while one is pending is a conflict', async () => {
      await ask();
      await refused(t, MANAGER, REQUEST, { input: { customerAccountId: acme.id, rights: ['tickets:create'], reason: 'again' } }, 'CONFLICT');
    });

    it.each([
      { title: 'a Partner Portal User, who may not impersonate, may not ask', as: PORTAL_USER, customer: 'Acme Logistics', rights: ['tickets:create'], reason: 'why', code: 'FORBIDDEN' },
      { title: 'a partner may not ask a customer of another partner', as: 'ppa@contoso.example', customer: 'Acme Logistics', rights: ['tickets:create'], reason: 'why', code: 'NOT_FOUND' },
      { title: 'a right the customer\'s type does not have is bad input', as: MANAGER, customer: 'Acme Logistics', rights: ['customers:impersonate'], reason: 'why', code: 'BAD_USER_INPUT' },
      { title: 'an unknown right is bad input', as: MANAGER, customer: 'Acme Logistics', rights: ['teleport'], reason: 'why', code: 'BAD_USER_INPUT' },
      { title: 'no rights is bad input', as: MANAGER, customer: 'Acme Logistics', rights: [], reason: 'why', code: 'BAD_USER_INPUT' },
      { title: 'an empty reason is bad input', as: MANAGER, customer: 'Acme Logistics', rights: ['tickets:create'], reason: '  ', code: 'BAD_USER_INPUT' },
      { title: 'the partner\'s own account is not a customer to ask', as: MANAGER, customer: 'Northwind Telecom', rights: ['tickets:create'], reason: 'why', code: 'BAD_USER_INPUT' },
    ])('request: $title', async ({ as, customer, rights, reason, code }) => {
      const { id } = await t.account(customer);
      await refused(t, as, REQUEST, { input: { customerAccountId: id, rights, reason } }, code);
    });

    it.each([
      { title: 'the requesting side may not approve its own request', as: PARTNER_ADMIN, code: 'FORBIDDEN' },
      { title: 'the operator above the customer may not consent for it', as: OPERATOR, code: 'FORBIDDEN' },
      { title: 'a Fleet Administrator of the customer may not approve', as: 'fleet@acme.example', code: 'NOT_FOUND' },
      { title: 'another customer does not learn the request exists', as: 'admin@globex.example', code: 'NOT_FOUND' },
    ])('approve: $title', async ({ as, code }) => {
      const requested = await ask();
      await refused(t, as, APPROVE, { id: requested.id }, code);
    });

    it('an approved or revoked request is a conflict to approve; an unknown one not found', async () => {
      const requested = await ask();
      ok(await t.gql(CUSTOMER_ADMIN, APPROVE, { id: requested.id }));
      await refused(t, CUSTOMER_ADMIN, APPROVE, { id: requested.id }, 'CONFLICT');
      await revokeAll();
      const declined = await ask();
      ok(await t.gql(CUSTOMER_ADMIN, REVOKE, { id: declined.id }));
      await refused(t, CUSTOMER_ADMIN, APPROVE, { id: declined.id }, 'CONFLICT');
      await refused(t, CUSTOMER_ADMIN, APPROVE, { id: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND');
    });
  });
});

