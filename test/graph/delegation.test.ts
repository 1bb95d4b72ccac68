import { AuditEventEntity, DelegatedAdminRelationshipEntity, type AccountEntity, type UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const ADVISOR = 'advisor@northwind.example';
const PARTNER_MANAGER = 'am@northwind.example';
const PARTNER_TECH = 'tech@northwind.example';
const CUSTOMER_MANAGER = 'am@acme.example';
const CUSTOMER_BILLING = 'billing@acme.example';

const FIELDS = 'id status roles durationDays partnerAccountId customerAccountId delegateUserId approvedAt expiresAt terminatedAt delegate { email }';
const REQUEST = `mutation($input: RequestDelegatedAdminInput!) { requestDelegatedAdmin(input: $input) { ${FIELDS} } }`;
const APPROVE = `mutation($id: ID!) { approveDelegatedAdmin(id: $id) { ${FIELDS} } }`;
const TERMINATE = `mutation($id: ID!) { terminateDelegatedAdmin(id: $id) { ${FIELDS} } }`;
const ACCOUNT = 'query($id: ID!) { account(id: $id) { name viewerCanManage } }';
const LIST = `query($id: ID!) { account(id: $id) { delegatedAdminRelationships { nodes { ${FIELDS} } } } }`;
const PERMISSIONS = 'query($id: ID!) { viewer { permissions(accountId: $id) { permission reason } } }';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id email } }';
const AUDIT = 'query($accountId: ID!) { auditEvents(accountId: $accountId, first: 100) { nodes { action actorUserId targetId delegatedRelationshipId requestId } } }';

const DAY = 24 * 60 * 60 * 1000;

describe.each(databaseKinds())('delegated administration on %s', (kind) => {
  let t: TestPortico;
  let acme: AccountEntity;
  let initech: AccountEntity;
  let northwind: AccountEntity;
  let advisor: UserEntity;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'appdirect');
    [acme, initech, northwind] = await Promise.all(['Acme Retail', 'Initech', 'Northwind Cloud'].map((name) => t.account(name)));
    advisor = await t.user(ADVISOR);
  });
  afterAll(() => t?.stop());

  const em = () => t.portico.services.db.manager;
  const request = async (input: Record<string, unknown> = {}, as = ADVISOR) =>
    ok(await t.gql(as, REQUEST, { input: { customerAccountId: acme.id, delegateUserId: advisor.id, roles: ['ACCOUNT_MANAGER'], durationDays: 90, ...input } })).requestDelegatedAdmin;
  const approve = async (id: string) => ok(await t.gql(CUSTOMER_MANAGER, APPROVE, { id })).approveDelegatedAdmin;
  const canManage = async (as: string) => (await t.gql(as, ACCOUNT, { id: acme.id })).data?.account?.viewerCanManage ?? null;
  /** Ends whatever a test left active, so each starts with no relationship in force. */
  afterEach(async () => {
    await em().update(DelegatedAdminRelationshipEntity, { status: 'ACTIVE' }, { status: 'TERMINATED', terminatedAt: new Date() });
    await em().update(DelegatedAdminRelationshipEntity, { status: 'PENDING' }, { status: 'TERMINATED', terminatedAt: new Date() });
  });

  it('request → approve → manage → terminate, end to end', async () => {
    // Before: the advisor holds nothing on the customer and cannot see it.
    expect(await canManage(ADVISOR)).toBeNull();

    const requested = await request();
    expect(requested).toMatchObject({ status: 'PENDING', roles: ['ACCOUNT_MANAGER'], durationDays: 90, partnerAccountId: northwind.id, customerAccountId: acme.id, delegate: { email: ADVISOR }, approvedAt: null, expiresAt: null });
    // Pending grants nothing.
    expect(await canManage(ADVISOR)).toBeNull();
    // The customer sees the request; so does the partner side.
    expect(ok(await t.gql(CUSTOMER_MANAGER, LIST, { id: acme.id })).account.delegatedAdminRelationships.nodes.map((r: { id: string }) => r.id)).toContain(requested.id);
    expect(ok(await t.gql(ADVISOR, LIST, { id: northwind.id })).account.delegatedAdminRelationships.nodes.map((r: { id: string }) => r.id)).toContain(requested.id);

    const before = Date.now();
    const approved = await approve(requested.id);
    expect(approved.status).toBe('ACTIVE');
    const expiresAt = new Date(approved.expiresAt).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 90 * DAY - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 90 * DAY);

    // Manage: the delegate's own identity, the relationship's roles, on that customer.
    expect(await canManage(ADVISOR)).toBe(true);
    const permissions = ok(await t.gql(ADVISOR, PERMISSIONS, { id: acme.id })).viewer.permissions;
    expect(permissions.find((p: { permission: string }) => p.permission === 'users:manage').reason).toContain(`delegated relationship ${requested.id}`);
    const invitation = await t.gql(ADVISOR, INVITE, { input: { accountId: acme.id, email: `delegated-${kind}@acme.example`, name: 'Dee Legated', roles: ['BILLING_MANAGER'] } });
    const invited = ok(invitation).inviteUser;
    const events = ok(await t.gql(CUSTOMER_MANAGER, AUDIT, { accountId: acme.id })).auditEvents.nodes;
    expect(events.find((e: { requestId: string }) => e.requestId === invitation.requestId)).toMatchObject({ action: 'user.invite', actorUserId: advisor.id, targetId: invited.id, delegatedRelationshipId: requested.id });
    // Other customers of the partner are not part of it.
    expect(codes(await t.gql(ADVISOR, INVITE, { input: { accountId: initech.id, email: `x-${kind}@initech.example`, name: 'X', roles: [] } }))).toEqual(['NOT_FOUND']);

    const terminated = ok(await t.gql(CUSTOMER_MANAGER, TERMINATE, { id: requested.id })).terminateDelegatedAdmin;
    expect(terminated.status).toBe('TERMINATED');
    expect(await canManage(ADVISOR)).toBeNull();
    await refused(t, ADVISOR, INVITE, { input: { accountId: acme.id, email: `late-${kind}@acme.example`, name: 'Too Late', roles: [] } }, 'NOT_FOUND');
  });

  it('ten concurrent approvals approve once, audited once', async () => {
    const r = await request();
    const results = await Promise.all(Array.from({ length: 10 }, () => t.gql(CUSTOMER_MANAGER, APPROVE, { id: r.id })));
    expect(results.filter((x) => !x.errors).length).toBe(1);
    expect(results.filter((x) => x.errors).map((x) => codes(x)[0])).toEqual(Array(9).fill('CONFLICT'));
    expect(await em().countBy(AuditEventEntity, { targetId: r.id, action: 'delegation.approve' })).toBe(1);
  });

  it('the partner side, or the delegate, may terminate too', async () => {
    const first = await request();
    await approve(first.id);
    expect(ok(await t.gql(ADVISOR, TERMINATE, { id: first.id })).terminateDelegatedAdmin.status).toBe('TERMINATED');
    const second = await request();
    await approve(second.id);
    expect(ok(await t.gql(PARTNER_MANAGER, TERMINATE, { id: second.id })).terminateDelegatedAdmin.status).toBe('TERMINATED');
    expect(await canManage(ADVISOR)).toBeNull();
  });

  it('without a delegate, the roles apply to every user of the partner', async () => {
    expect(await canManage(PARTNER_TECH)).toBe(false);
    const whole = await request({ delegateUserId: null });
    await approve(whole.id);
    expect(await canManage(PARTNER_TECH)).toBe(true);
    expect(await canManage(ADVISOR)).toBe(true);
  });

  it('expires by itself: reads EXPIRED and grants nothing once past its end', async () => {
    const r = await request();
    await approve(r.id);
    expect(await canManage(ADVISOR)).toBe(true);
    await em().update(DelegatedAdminRelationshipEntity, { id: r.id }, { expiresAt: new Date(Date.now() - 1000) });
    expect(await canManage(ADVISOR)).toBeNull();
    const listed = ok(await t.gql(CUSTOMER_MANAGER, LIST, { id: acme.id })).account.delegatedAdminRelationships.nodes.find((n: { id: string }) => n.id === r.id);
    expect(listed.status).toBe('EXPIRED');
    await refused(t, CUSTOMER_MANAGER, TERMINATE, { id: r.id }, 'CONFLICT', /already EXPIRED/);
  });

  describe('refused, changing nothing', () => {
    it("approving one's own request from the partner side", async () => {
      const r = await request();
      // The partner's Account Manager holds delegatedAdmin:approve on the customer only through the partner account.
      await refused(t, PARTNER_MANAGER, APPROVE, { id: r.id }, 'FORBIDDEN', /only the administrators of account/);
      await refused(t, ADVISOR, APPROVE, { id: r.id }, 'FORBIDDEN');
      // Nor a customer user without delegatedAdmin:approve.
      await refused(t, CUSTOMER_BILLING, APPROVE, { id: r.id }, 'NOT_FOUND');
    });

    it.each([731, 0, 10_000])('a delegation of %s days', async (durationDays) => {
      await refused(t, ADVISOR, REQUEST, { input: { customerAccountId: acme.id, roles: ['ACCOUNT_MANAGER'], durationDays } }, 'BAD_USER_INPUT', /from 1 to 730/);
    });

    it('730 days is the longest accepted', async () => {
      expect((await request({ durationDays: 730 })).durationDays).toBe(730);
    });

    it('a customer that is not below the partner', async () => {
      await refused(t, ADVISOR, REQUEST, { input: { customerAccountId: initech.id, roles: ['ACCOUNT_MANAGER'], durationDays: 30 } }, 'NOT_FOUND');
    });

    it('a partner user who may not request delegated administration', async () => {
      await refused(t, PARTNER_TECH, REQUEST, { input: { customerAccountId: acme.id, roles: ['ACCOUNT_MANAGER'], durationDays: 30 } }, 'FORBIDDEN');
    });

    it('a role the customer type does not have, and a delegate from another account', async () => {
      await refused(t, ADVISOR, REQUEST, { input: { customerAccountId: acme.id, roles: ['DELEGATED_ACCOUNT_ADMINISTRATOR'], durationDays: 30 } }, 'BAD_USER_INPUT', /does not exist for account type CUSTOMER/);
      const outsider = await t.user('am@contoso.example');
      await refused(t, ADVISOR, REQUEST, { input: { customerAccountId: acme.id, delegateUserId: outsider.id, roles: ['ACCOUNT_MANAGER'], durationDays: 30 } }, 'BAD_USER_INPUT', /delegate must be a user/);
    });

    it('approving twice, and strangers', async () => {
      const r = await request();
      await approve(r.id);
      await refused(t, CUSTOMER_MANAGER, APPROVE, { id: r.id }, 'CONFLICT', /not PENDING/);
      // Another tenant does not learn the relationship exists.
      await refused(t, 'am@initech.example', TERMINATE, { id: r.id }, 'NOT_FOUND');
    });
  });

  describe('extendDelegatedAdmin', () => {
    const EXTEND = `mutation($id: ID!, $expiresAt: DateTimeISO!) { extendDelegatedAdmin(id: $id, expiresAt: $expiresAt) { ${FIELDS} } }`;
    const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

    it('the customer\'s approver moves the end later, audited with both ends', async () => {
      const r = await approve((await request()).id);
      const expiresAt = inDays(365);
      const extended = ok(await t.gql(CUSTOMER_MANAGER, EXTEND, { id: r.id, expiresAt })).extendDelegatedAdmin;
      expect(extended).toMatchObject({ status: 'ACTIVE', expiresAt });
      const event = await em().findOneOrFail(AuditEventEntity, { where: { action: 'delegation.extend', targetId: r.id } });
      expect(event.details).toEqual({ from: r.expiresAt, to: expiresAt });
    });

    it('up to exactly the longest a relationship may last from now', async () => {
      const r = await approve((await request()).id);
      ok(await t.gql(CUSTOMER_MANAGER, EXTEND, { id: r.id, expiresAt: new Date(Date.now() + 730 * DAY - 60_000).toISOString() }));
    });

    it.each([
      { title: 'past the longest duration from now is bad input', as: CUSTOMER_MANAGER, days: 731, approved: true, code: 'BAD_USER_INPUT' },
      { title: 'an end earlier than the current one is bad input', as: CUSTOMER_MANAGER, days: 30, approved: true, code: 'BAD_USER_INPUT' },
      { title: 'a PENDING relationship is a conflict', as: CUSTOMER_MANAGER, days: 365, approved: false, code: 'CONFLICT' },
      { title: 'the partner side may not extend its own relationship', as: PARTNER_MANAGER, days: 365, approved: true, code: 'FORBIDDEN' },
      { title: 'the delegate may not extend it', as: ADVISOR, days: 365, approved: true, code: 'FORBIDDEN' },
      { title: 'a customer user who may not approve does not learn it exists', as: CUSTOMER_BILLING, days: 365, approved: true, code: 'NOT_FOUND' },
      { title: 'another tenant does not learn it exists', as: 'am@initech.example', days: 365, approved: true, code: 'NOT_FOUND' },
    ])('$title', async ({ as, days, approved, code }) => {
      const requested = await request();
      const r = approved ? await approve(requested.id) : requested;
      await refused(t, as, EXTEND, { id: r.id, expiresAt: inDays(days) }, code);
    });

    it('a terminated relationship is a conflict, an unknown one not found', async () => {
      const r = await approve((await request()).id);
      ok(await t.gql(CUSTOMER_MANAGER, TERMINATE, { id: r.id }));
      await refused(t, CUSTOMER_MANAGER, EXTEND, { id: r.id, expiresAt: inDays(365) }, 'CONFLICT');
      await refused(t, CUSTOMER_MANAGER, EXTEND, { id: '00000000-0000-4000-8000-000000000000', expiresAt: inDays(365) }, 'NOT_FOUND');
    });
  });
});

