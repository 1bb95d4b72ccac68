import { randomUUID } from 'crypto';
import { AccountEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';

const NODE = 'id name type status parent { id name } ancestors { id name }';
const ACCOUNT = `query($id: ID!) { account(id: $id) { ${NODE} } }`;
const ACCOUNTS = 'query($filter: AccountFilter) { accounts(filter: $filter, first: 100) { nodes { id name } } }';
const CHILDREN = 'query($id: ID!) { account(id: $id) { children(first: 100) { nodes { id name } } } }';
const USER = 'query($id: ID!) { user(id: $id) { id email } }';
const CREATE = `mutation($input: CreateAccountInput!) { createAccount(input: $input) { ${NODE} } }`;
const MOVE = `mutation($id: ID!, $parentId: ID!) { moveAccount(id: $id, parentId: $parentId) { ${NODE} } }`;
const SET_STATUS = 'mutation($id: ID!, $status: AccountStatus!) { setAccountStatus(id: $id, status: $status) { id status } }';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id email roles } }';
const ASSIGN = 'mutation($userId: ID!, $role: String!) { assignRole(userId: $userId, role: $role) { id roles } }';
const AUDIT = 'query($accountId: ID!) { auditEvents(accountId: $accountId, first: 100) { nodes { action actorUserId targetType targetId details } } }';

interface AccountView {
  id: string;
  name: string;
  type: string;
  status: string;
  parent: { id: string; name: string } | null;
  ancestors: Array<{ id: string; name: string }>;
}

interface AuditView {
  action: string;
  actorUserId: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown> | null;
}

const tag = () => randomUUID().slice(0, 8);
const em = (t: TestPortico) => t.portico.services.db.manager;
const platformOf = (t: TestPortico) => em(t).findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
const entity = (t: TestPortico, id: string) => em(t).findOneByOrFail(AccountEntity, { id });

async function createAccount(t: TestPortico, as: string, type: string, name: string, parentId: string): Promise<AccountView> {
  return ok(await t.gql(as, CREATE, { input: { type, name, parentId } })).createAccount;
}

async function invite(t: TestPortico, accountId: string, email: string, roles: string[]): Promise<string> {
  return ok(await t.gql(OPERATOR, INVITE, { input: { accountId, email, name: email.split('@')[0], roles } })).inviteUser.id;
}

/** The account as `as` reads it through `account(id)`: null when they cannot reach it. */
async function reach(t: TestPortico, as: string, id: string): Promise<AccountView | null> {
  return ok(await t.gql(as, ACCOUNT, { id })).account;
}

async function listed(t: TestPortico, as: string, filter: Record<string, unknown> = {}): Promise<string[]> {
  return ok(await t.gql(as, ACCOUNTS, { filter })).accounts.nodes.map((a: { id: string }) => a.id);
}

async function childrenOf(t: TestPortico, as: string, id: string): Promise<string[]> {
  return ok(await t.gql(as, CHILDREN, { id })).account.children.nodes.map((a: { id: string }) => a.id);
}

/** The account's audit trail as the platform operator reads it. */
async function auditTrail(t: TestPortico, accountId: string): Promise<AuditView[]> {
  return ok(await t.gql(OPERATOR, AUDIT, { accountId })).auditEvents.nodes;
}

/** The actions recorded on the account, sorted (events of the same millisecond have no order between them). */
async function auditActions(t: TestPortico, accountId: string): Promise<string[]> {
  return (await auditTrail(t, accountId)).map((e) => e.action).sort();
}

describe.each(databaseKinds())('account lifecycle on %s', (kind) => {
  describe('dstny', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
    });
    afterAll(() => t?.stop());

    describe('createAccount', () => {
      it('the platform operator creates a partner and a customer below it, placed in the tree and recorded', async () => {
        const platform = await platformOf(t);
        const operator = await t.user(OPERATOR);
        const partner = await createAccount(t, OPERATOR, 'PARTNER', `Partner ${tag()}`, platform.id);
        expect(partner).toMatchObject({ type: 'PARTNER', status: 'ACTIVE', parent: { id: platform.id }, ancestors: [{ id: platform.id, name: 'MyDstny' }] });
        const customer = await createAccount(t, OPERATOR, 'CUSTOMER', `Customer ${tag()}`, partner.id);
        expect(customer).toMatchObject({ type: 'CUSTOMER', status: 'ACTIVE', parent: { id: partner.id, name: partner.name } });
        expect(customer.ancestors.map((a) => a.id)).toEqual([platform.id, partner.id]);

        const stored = await entity(t, customer.id);
        expect(stored).toMatchObject({ parentId: partner.id, path: `${platform.path}${partner.id}/${customer.id}/`, depth: 2, settings: {} });
        expect(await reach(t, OPERATOR, customer.id)).toEqual(customer);
        expect(await listed(t, OPERATOR, { parentId: partner.id })).toEqual([customer.id]);
        expect(await childrenOf(t, OPERATOR, partner.id)).toEqual([customer.id]);
        expect(await listed(t, OPERATOR, { parentId: platform.id, type: 'PARTNER' })).toContain(partner.id);

        const [created] = await auditTrail(t, customer.id);
        expect(created).toEqual({ action: 'account.create', actorUserId: operator.id, targetType: 'Account', targetId: customer.id, details: { type: 'CUSTOMER', name: customer.name, parentId: partner.id } });
        expect(await auditActions(t, partner.id)).toEqual(['account.create']);
      });

      it('the partner\'s users reach a customer created below it; its own users see no further up; other tenants see nothing', async () => {
        const northwind = await t.account('Northwind Telecom');
        const customer = await createAccount(t, OPERATOR, 'CUSTOMER', `Customer ${tag()}`, northwind.id);
        for (const partnerUser of ['ppa@northwind.example', 'ppm@northwind.example', 'ppu@northwind.example']) {
          expect(await reach(t, partnerUser, customer.id)).toEqual({ ...customer, ancestors: [{ id: northwind.id, name: northwind.name }] });
          expect(await listed(t, partnerUser, { parentId: northwind.id })).toContain(customer.id);
          expect(await childrenOf(t, partnerUser, northwind.id)).toContain(customer.id);
        }
        for (const outsider of ['ppa@contoso.example', 'admin@acme.example', 'admin@umbrella.example']) {
          expect(await reach(t, outsider, customer.id)).toBeNull();
          expect(await listed(t, outsider)).not.toContain(customer.id);
        }
        expect(await reach(t, 'admin@acme.example', northwind.id)).toBeNull();

        const email = `pa-${tag()}@customer.example`;
        await invite(t, customer.id, email, ['PORTAL_ADMINISTRATOR']);
        expect(await reach(t, email, customer.id)).toEqual({ ...customer, parent: null, ancestors: [] });
        expect(await listed(t, email)).toEqual([customer.id]);
        expect(await auditActions(t, customer.id)).toEqual(['account.create', 'user.acceptInvitation', 'user.invite']);
      });

      it.each([
        // A Partner Portal Administrator creates customers under its own partner (test/graph/seed-rows.test.ts), nothing else.
        { title: 'a Partner Portal Administrator may not create a partner', actor: 'ppa@northwind.example', parent: 'Northwind Telecom', code: 'BAD_USER_INPUT', message: /a PARTNER account cannot sit under a PARTNER account/, type: 'PARTNER' },
        { title: 'a Partner Portal User may not', actor: 'ppu@northwind.example', parent: 'Northwind Telecom', code: 'FORBIDDEN', message: /no role grants accounts:create/ },
        { title: 'a Portal Administrator may not create under their own customer', actor: 'admin@acme.example', parent: 'Acme Logistics', code: 'FORBIDDEN', message: /no role grants accounts:create/ },
        { title: 'a Portal Administrator cannot even see their partner to create under it', actor: 'admin@acme.example', parent: 'Northwind Telecom', code: 'NOT_FOUND', message: /was not found/ },
        { title: 'another partner\'s administrator cannot see Northwind to create under it', actor: 'ppa@contoso.example', parent: 'Northwind Telecom', code: 'NOT_FOUND', message: /was not found/ },
        { title: 'another partner\'s administrator cannot see Northwind\'s customer either', actor: 'ppa@contoso.example', parent: 'Globex', code: 'NOT_FOUND', message: /was not found/ },
        { title: 'an anonymous caller may not', actor: null, parent: 'Northwind Telecom', code: 'UNAUTHENTICATED', message: /sign in/ },
      ])('$title', async ({ actor, parent, code, message, type }: { actor: string | null; parent: string; code: string; message: RegExp; type?: string }) => {
        const parentId = (await t.account(parent)).id;
        await refused(t, actor, CREATE, { input: { type: type ?? 'CUSTOMER', name: `Refused ${tag()}`, parentId } }, code, message);
      });
    });

    describe('moveAccount', () => {
      it('moves a customer and its users to another partner: the old partner loses it, the new one reaches it', async () => {
        const platform = await platformOf(t);
        const northwind = await t.account('Northwind Telecom');
        const contoso = await t.account('Contoso Networks');
        const operator = await t.user(OPERATOR);
        const mover = await createAccount(t, OPERATOR, 'CUSTOMER', `Mover ${tag()}`, northwind.id);
        const admin = `pa-${tag()}@mover.example`;
        const adminId = await invite(t, mover.id, admin, ['PORTAL_ADMINISTRATOR']);
        const fleetId = await invite(t, mover.id, `fleet-${tag()}@mover.example`, ['FLEET_ADMINISTRATOR']);
        expect(await reach(t, 'ppu@northwind.example', mover.id)).not.toBeNull();
        expect(await reach(t, 'ppa@contoso.example', mover.id)).toBeNull();

        const moved = ok(await t.gql(OPERATOR, MOVE, { id: mover.id, parentId: contoso.id })).moveAccount;
        expect(moved).toMatchObject({ id: mover.id, parent: { id: contoso.id }, ancestors: [{ id: platform.id }, { id: contoso.id }] });
        expect(await entity(t, mover.id)).toMatchObject({ parentId: contoso.id, path: `${contoso.path}${mover.id}/`, depth: 2 });
        expect((await em(t).findBy(UserEntity, { accountId: mover.id })).map((u) => u.id).sort()).toEqual([adminId, fleetId].sort());

        for (const before of ['ppa@northwind.example', 'ppm@northwind.example', 'ppu@northwind.example']) {
          expect(await reach(t, before, mover.id)).toBeNull();
          expect(await listed(t, before)).not.toContain(mover.id);
          expect(await childrenOf(t, before, northwind.id)).not.toContain(mover.id);
        }
        expect(await reach(t, 'ppa@contoso.example', mover.id)).toMatchObject({ id: mover.id, parent: { id: contoso.id }, ancestors: [{ id: contoso.id }] });
        expect(await childrenOf(t, 'ppa@contoso.example', contoso.id)).toContain(mover.id);
        expect(await listed(t, 'ppa@contoso.example', { parentId: contoso.id })).toContain(mover.id);

        // The customer's own users keep their account and their rights in it.
        expect(await reach(t, admin, mover.id)).toMatchObject({ id: mover.id, parent: null, ancestors: [] });
        expect(ok(await t.gql(admin, USER, { id: fleetId })).user).toMatchObject({ id: fleetId });

        const move = (await auditTrail(t, mover.id)).filter((e) => e.action === 'account.move');
        expect(move).toEqual([{ action: 'account.move', actorUserId: operator.id, targetType: 'Account', targetId: mover.id, details: { from: northwind.id, to: contoso.id } }]);
      });

      it('moving an account under the parent it already has changes nothing and records nothing', async () => {
        const globex = await t.account('Globex');
        const before = await t.snapshot();
        const result = ok(await t.gql(OPERATOR, MOVE, { id: globex.id, parentId: globex.parentId })).moveAccount;
        expect(result).toMatchObject({ id: globex.id, parent: { id: globex.parentId } });
        expect(await t.snapshot()).toEqual(before);
      });

      it.each([
        { title: 'a Partner Portal Administrator may not move its customers', actor: 'ppa@northwind.example', id: 'Globex', parent: 'Contoso Networks', code: 'FORBIDDEN' },
        { title: 'a Partner Portal Administrator cannot see another partner\'s customer to move it', actor: 'ppa@contoso.example', id: 'Globex', parent: 'Contoso Networks', code: 'NOT_FOUND' },
        { title: 'a Portal Administrator may not move their own account', actor: 'admin@acme.example', id: 'Acme Logistics', parent: 'Acme Logistics', code: 'FORBIDDEN' },
        { title: 'a Portal Administrator of a direct customer may not move it under a partner', actor: 'admin@umbrella.example', id: 'Umbrella Direct', parent: 'Contoso Networks', code: 'FORBIDDEN' },
      ])('$title', async ({ actor, id, parent, code }) => {
        const account = await t.account(id);
        await refused(t, actor, MOVE, { id: account.id, parentId: (await t.account(parent)).id }, code);
        expect((await t.account(id)).path).toBe(account.path);
      });
    });

    describe('setAccountStatus', () => {
      it('a suspended customer\'s users read only their viewer until the account is reactivated', async () => {
        const northwind = await t.account('Northwind Telecom');
        const sleeper = await createAccount(t, OPERATOR, 'CUSTOMER', `Sleeper ${tag()}`, northwind.id);
        const admin = `pa-${tag()}@sleeper.example`;
        await invite(t, sleeper.id, admin, ['PORTAL_ADMINISTRATOR']);
        const fleet = `fleet-${tag()}@sleeper.example`;
        const fleetId = await invite(t, sleeper.id, fleet, ['FLEET_ADMINISTRATOR']);
        const colleague = await invite(t, sleeper.id, `staff-${tag()}@sleeper.example`, []);

        const suspended = ok(await t.gql(OPERATOR, SET_STATUS, { id: sleeper.id, status: 'SUSPENDED' })).setAccountStatus;
        expect(suspended).toEqual({ id: sleeper.id, status: 'SUSPENDED' });
        expect((await entity(t, sleeper.id)).status).toBe('SUSPENDED');

        for (const user of [admin, fleet]) {
          const viewer = ok(await t.gql(user, '{ viewer { user { email } account { id status } roles permissions { permission } } }')).viewer;
          expect(viewer).toMatchObject({ user: { email: user }, account: { id: sleeper.id, status: 'SUSPENDED' }, permissions: [] });
          expect(viewer.roles).toHaveLength(1);
          expect(await reach(t, user, sleeper.id)).toBeNull();
          expect(await listed(t, user)).toEqual([]);
          expect(ok(await t.gql(user, USER, { id: colleague })).user).toBeNull();
          const decisions = ok(await t.gql(user, 'query($id: ID!) { authorize(checks: [{ permission: "fleet:read", accountId: $id }]) { allowed reason } }', { id: sleeper.id })).authorize;
          expect(decisions).toEqual([{ allowed: false, reason: expect.stringMatching(/no role grants fleet:read/) }]);
        }
        const auditRead = await t.gql(admin, AUDIT, { accountId: sleeper.id });
        expect(codes(auditRead)).toEqual(['NOT_FOUND']);
        const recipients = await t.gql(admin, 'query($id: ID!) { communicationRecipients(accountId: $id, topic: MAINTENANCE) { id } }', { id: sleeper.id });
        expect(codes(recipients)).toEqual(['NOT_FOUND']);
        await refused(t, admin, INVITE, { input: { accountId: sleeper.id, email: `late-${tag()}@sleeper.example`, name: 'Late', roles: [] } }, 'NOT_FOUND');
        await refused(t, admin, ASSIGN, { userId: colleague, role: 'INSIGHT_USER' }, 'NOT_FOUND');
        await refused(t, admin, SET_STATUS, { id: sleeper.id, status: 'ACTIVE' }, 'NOT_FOUND');

        // The partner still sees that its customer is suspended.
        expect(await reach(t, 'ppu@northwind.example', sleeper.id)).toMatchObject({ id: sleeper.id, status: 'SUSPENDED' });

        const reactivated = ok(await t.gql(OPERATOR, SET_STATUS, { id: sleeper.id, status: 'ACTIVE' })).setAccountStatus;
        expect(reactivated).toEqual({ id: sleeper.id, status: 'ACTIVE' });
        expect(await reach(t, admin, sleeper.id)).toMatchObject({ id: sleeper.id, status: 'ACTIVE' });
        expect(await listed(t, fleet)).toEqual([sleeper.id]);
        expect(ok(await t.gql(admin, USER, { id: colleague })).user).toMatchObject({ id: colleague });
        expect(ok(await t.gql(admin, AUDIT, { accountId: sleeper.id })).auditEvents.nodes.length).toBeGreaterThan(0);
        expect(ok(await t.gql(admin, ASSIGN, { userId: colleague, role: 'INSIGHT_USER' })).assignRole.roles).toEqual(['INSIGHT_USER']);
        expect(ok(await t.gql(fleet, USER, { id: fleetId })).user).toMatchObject({ id: fleetId });

        const statusChanges = (await auditTrail(t, sleeper.id)).filter((e) => e.action === 'account.setStatus').map((e) => e.details);
        expect(statusChanges).toHaveLength(2);
        expect(statusChanges).toEqual(expect.arrayContaining([
          { from: 'ACTIVE', to: 'SUSPENDED' },
          { from: 'SUSPENDED', to: 'ACTIVE' },
        ]));
        expect(await auditActions(t, sleeper.id)).toEqual(['account.create', 'account.setStatus', 'account.setStatus', 'user.acceptInvitation', 'user.acceptInvitation', 'user.assignRole', 'user.invite', 'user.invite', 'user.invite']);
      });

      it('a suspended partner locks out its own users, not its customers\' users', async () => {
        const platform = await platformOf(t);
        const partner = await createAccount(t, OPERATOR, 'PARTNER', `Dormant ${tag()}`, platform.id);
        const customer = await createAccount(t, OPERATOR, 'CUSTOMER', `Client ${tag()}`, partner.id);
        const partnerAdmin = `ppa-${tag()}@dormant.example`;
        await invite(t, partner.id, partnerAdmin, ['PARTNER_PORTAL_ADMINISTRATOR']);
        const customerAdmin = `pa-${tag()}@client.example`;
        await invite(t, customer.id, customerAdmin, ['PORTAL_ADMINISTRATOR']);
        expect(await reach(t, partnerAdmin, customer.id)).not.toBeNull();

        ok(await t.gql(OPERATOR, SET_STATUS, { id: partner.id, status: 'SUSPENDED' }));
        expect(await reach(t, partnerAdmin, partner.id)).toBeNull();
        expect(await reach(t, partnerAdmin, customer.id)).toBeNull();
        expect(await reach(t, customerAdmin, customer.id)).toMatchObject({ status: 'ACTIVE' });

        ok(await t.gql(OPERATOR, SET_STATUS, { id: partner.id, status: 'ACTIVE' }));
        expect(await reach(t, partnerAdmin, customer.id)).toMatchObject({ id: customer.id });
        expect(await auditActions(t, partner.id)).toEqual(['account.create', 'account.setStatus', 'account.setStatus', 'user.acceptInvitation', 'user.invite']);
      });

      it('setting the status an account already has changes nothing and records nothing', async () => {
        const globex = await t.account('Globex');
        const before = await t.snapshot();
        expect(ok(await t.gql(OPERATOR, SET_STATUS, { id: globex.id, status: 'ACTIVE' })).setAccountStatus).toEqual({ id: globex.id, status: 'ACTIVE' });
        expect(await t.snapshot()).toEqual(before);
      });

      it.each([
        { title: 'the platform operator cannot suspend the platform', actor: OPERATOR, id: null, code: 'CONFLICT', message: /the platform account cannot be suspended/ },
        { title: 'a Partner Portal Administrator may not suspend its customers', actor: 'ppa@northwind.example', id: 'Globex', code: 'FORBIDDEN', message: /not allowed/ },
        { title: 'a Partner Portal Administrator may not suspend its own account', actor: 'ppa@northwind.example', id: 'Northwind Telecom', code: 'FORBIDDEN', message: /not allowed/ },
        { title: 'a Portal Administrator may not suspend their own account', actor: 'admin@acme.example', id: 'Acme Logistics', code: 'FORBIDDEN', message: /not allowed/ },
        { title: 'another partner\'s administrator cannot see the account to suspend it', actor: 'ppa@contoso.example', id: 'Acme Logistics', code: 'NOT_FOUND', message: /was not found/ },
      ])('$title', async ({ actor, id, code, message }) => {
        const accountId = id ? (await t.account(id)).id : (await platformOf(t)).id;
        await refused(t, actor, SET_STATUS, { id: accountId, status: 'SUSPENDED' }, code, message);
        expect((await entity(t, accountId)).status).toBe('ACTIVE');
      });
    });
  });

  describe('appdirect', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'appdirect');
    });
    afterAll(() => t?.stop());

    it.each([
      { title: 'an Account Manager creates a customer under their partner', actor: 'am@northwind.example', type: 'CUSTOMER', parent: 'Northwind Cloud' },
      { title: 'an Account Manager creates a customer under their sub-partner', actor: 'am@northwind.example', type: 'CUSTOMER', parent: 'Northwind East' },
      { title: 'an Account Manager creates a sub-partner under their partner', actor: 'am@northwind.example', type: 'SUB_PARTNER', parent: 'Northwind Cloud' },
      { title: 'a Technical Manager creates a customer under their partner', actor: 'tech@northwind.example', type: 'CUSTOMER', parent: 'Northwind Cloud' },
      { title: 'a sub-partner\'s Account Manager creates a customer under it', actor: 'am@east.example', type: 'CUSTOMER', parent: 'Northwind East' },
    ])('$title', async ({ actor, type, parent }) => {
      const parentAccount = await t.account(parent);
      const creator = await t.user(actor);
      const created = await createAccount(t, actor, type, `Created ${tag()}`, parentAccount.id);
      expect(created).toMatchObject({ type, parent: { id: parentAccount.id } });
      expect(await entity(t, created.id)).toMatchObject({ parentId: parentAccount.id, path: `${parentAccount.path}${created.id}/`, depth: parentAccount.depth + 1 });
      expect(await childrenOf(t, actor, parentAccount.id)).toContain(created.id);
      expect(await reach(t, 'am@northwind.example', created.id)).not.toBeNull();
      expect(await reach(t, 'am@contoso.example', created.id)).toBeNull();
      const [event] = await auditTrail(t, created.id);
      expect(event).toMatchObject({ action: 'account.create', actorUserId: creator.id, targetId: created.id });
    });

    it.each([
      { title: 'a Billing Manager may not create accounts', actor: 'billing@northwind.example', type: 'CUSTOMER', parent: 'Northwind Cloud', code: 'FORBIDDEN' },
      { title: 'a Subscription Manager may not create accounts', actor: 'subs@northwind.example', type: 'CUSTOMER', parent: 'Northwind Cloud', code: 'FORBIDDEN' },
      { title: 'another partner\'s Account Manager cannot see Northwind to create under it', actor: 'am@contoso.example', type: 'CUSTOMER', parent: 'Northwind Cloud', code: 'NOT_FOUND' },
      { title: 'a sub-partner\'s Account Manager cannot see its parent partner to create under it', actor: 'am@east.example', type: 'CUSTOMER', parent: 'Northwind Cloud', code: 'NOT_FOUND' },
      { title: 'a customer\'s Account Manager may create, but not a customer under a customer', actor: 'am@acme.example', type: 'CUSTOMER', parent: 'Acme Retail', code: 'BAD_USER_INPUT' },
      { title: 'a partner may not create a partner under itself', actor: 'am@northwind.example', type: 'PARTNER', parent: 'Northwind Cloud', code: 'BAD_USER_INPUT' },
    ])('$title', async ({ actor, type, parent, code }) => {
      await refused(t, actor, CREATE, { input: { type, name: `Refused ${tag()}`, parentId: (await t.account(parent)).id } }, code);
    });

    it('moving a sub-partner to another partner moves its customers and users, and rewrites every path below it', async () => {
      const northwind = await t.account('Northwind Cloud');
      const contoso = await t.account('Contoso Cloud');
      const sub = await createAccount(t, OPERATOR, 'SUB_PARTNER', `Wanderer ${tag()}`, northwind.id);
      const first = await createAccount(t, OPERATOR, 'CUSTOMER', `Wanderer Client A ${tag()}`, sub.id);
      const second = await createAccount(t, OPERATOR, 'CUSTOMER', `Wanderer Client B ${tag()}`, sub.id);
      const subManager = `am-${tag()}@wanderer.example`;
      const subManagerId = await invite(t, sub.id, subManager, ['ACCOUNT_MANAGER']);
      const clientManagerId = await invite(t, first.id, `am-${tag()}@client-a.example`, ['ACCOUNT_MANAGER']);
      const subtree = [sub.id, first.id, second.id];
      for (const id of subtree) expect(await reach(t, 'am@northwind.example', id)).not.toBeNull();
      expect(ok(await t.gql('am@northwind.example', USER, { id: clientManagerId })).user).not.toBeNull();
      const unrelated = await Promise.all(['Northwind East', 'Eastside Dental', 'Acme Retail', 'Initech'].map((name) => t.account(name)));

      const moved = ok(await t.gql(OPERATOR, MOVE, { id: sub.id, parentId: contoso.id })).moveAccount;
      expect(moved).toMatchObject({ id: sub.id, parent: { id: contoso.id } });

      expect(await entity(t, sub.id)).toMatchObject({ parentId: contoso.id, path: `${contoso.path}${sub.id}/`, depth: 2 });
      for (const customer of [first, second]) {
        expect(await entity(t, customer.id)).toMatchObject({ parentId: sub.id, path: `${contoso.path}${sub.id}/${customer.id}/`, depth: 3 });
      }
      for (const account of unrelated) expect(await entity(t, account.id)).toMatchObject({ path: account.path, depth: account.depth, parentId: account.parentId });

      for (const id of subtree) {
        expect(await reach(t, 'am@northwind.example', id)).toBeNull();
        expect(await reach(t, 'am@contoso.example', id)).not.toBeNull();
      }
      expect(await listed(t, 'am@northwind.example')).toEqual(expect.not.arrayContaining(subtree));
      expect(await listed(t, 'am@contoso.example')).toEqual(expect.arrayContaining(subtree));
      expect(await childrenOf(t, 'am@northwind.example', northwind.id)).not.toContain(sub.id);
      expect(await childrenOf(t, 'am@contoso.example', contoso.id)).toContain(sub.id);
      expect(ok(await t.gql('am@northwind.example', USER, { id: clientManagerId })).user).toBeNull();
      expect(ok(await t.gql('am@northwind.example', USER, { id: subManagerId })).user).toBeNull();
      expect(ok(await t.gql('am@contoso.example', USER, { id: clientManagerId })).user).toMatchObject({ id: clientManagerId });
      expect(await reach(t, 'am@contoso.example', first.id)).toMatchObject({ ancestors: [{ id: contoso.id }, { id: sub.id }] });

      // The sub-partner's own manager still runs it and what is below it.
      expect((await childrenOf(t, subManager, sub.id)).sort()).toEqual([first.id, second.id].sort());
      expect(await reach(t, subManager, sub.id)).toMatchObject({ parent: null, ancestors: [] });

      expect((await auditTrail(t, sub.id)).filter((e) => e.action === 'account.move').map((e) => e.details)).toEqual([{ from: northwind.id, to: contoso.id }]);
      expect(await auditActions(t, first.id)).toEqual(['account.create', 'user.invite']);
    });

    it('moving an affiliate from the platform under a partner takes its subtree one level down', async () => {
      const platform = await platformOf(t);
      const northwind = await t.account('Northwind Cloud');
      const affiliate = await createAccount(t, OPERATOR, 'AFFILIATE', `Affiliate ${tag()}`, platform.id);
      const client = await createAccount(t, OPERATOR, 'CUSTOMER', `Affiliate Client ${tag()}`, affiliate.id);
      expect(await reach(t, 'am@northwind.example', client.id)).toBeNull();

      const moved = ok(await t.gql(OPERATOR, MOVE, { id: affiliate.id, parentId: northwind.id })).moveAccount;
      expect(moved.ancestors.map((a: { id: string }) => a.id)).toEqual([platform.id, northwind.id]);
      expect(await entity(t, affiliate.id)).toMatchObject({ path: `${northwind.path}${affiliate.id}/`, depth: 2 });
      expect(await entity(t, client.id)).toMatchObject({ path: `${northwind.path}${affiliate.id}/${client.id}/`, depth: 3 });
      expect(await reach(t, 'am@northwind.example', client.id)).toMatchObject({ ancestors: [{ id: northwind.id }, { id: affiliate.id }] });
      expect(await auditActions(t, affiliate.id)).toEqual(['account.create', 'account.move']);
    });

    it('an Account Manager moves a customer within their own subtree, not out of it', async () => {
      const northwind = await t.account('Northwind Cloud');
      const east = await t.account('Northwind East');
      const contoso = await t.account('Contoso Cloud');
      const manager = await t.user('am@northwind.example');
      const customer = await createAccount(t, 'am@northwind.example', 'CUSTOMER', `Relocated ${tag()}`, northwind.id);

      const moved = ok(await t.gql('am@northwind.example', MOVE, { id: customer.id, parentId: east.id })).moveAccount;
      expect(moved).toMatchObject({ parent: { id: east.id }, ancestors: [{ id: northwind.id }, { id: east.id }] });
      expect(await entity(t, customer.id)).toMatchObject({ parentId: east.id, path: `${east.path}${customer.id}/`, depth: 3 });
      expect(await reach(t, 'am@east.example', customer.id)).not.toBeNull();
      expect((await auditTrail(t, customer.id)).filter((e) => e.action === 'account.move')).toEqual([
        { action: 'account.move', actorUserId: manager.id, targetType: 'Account', targetId: customer.id, details: { from: northwind.id, to: east.id } },
      ]);

      await refused(t, 'am@northwind.example', MOVE, { id: customer.id, parentId: contoso.id }, 'NOT_FOUND', new RegExp(`account ${contoso.id} was not found`));
      await refused(t, 'am@east.example', MOVE, { id: (await t.account('Acme Retail')).id, parentId: east.id }, 'NOT_FOUND');
      await refused(t, 'billing@northwind.example', MOVE, { id: customer.id, parentId: northwind.id }, 'FORBIDDEN');
      expect((await entity(t, customer.id)).parentId).toBe(east.id);
    });

    it('an Account Manager suspends and reactivates a customer below them', async () => {
      const northwind = await t.account('Northwind Cloud');
      const customer = await createAccount(t, 'am@northwind.example', 'CUSTOMER', `Paused ${tag()}`, northwind.id);
      const email = `am-${tag()}@paused.example`;
      await invite(t, customer.id, email, ['ACCOUNT_MANAGER']);

      expect(ok(await t.gql('am@northwind.example', SET_STATUS, { id: customer.id, status: 'SUSPENDED' })).setAccountStatus.status).toBe('SUSPENDED');
      expect(await reach(t, email, customer.id)).toBeNull();
      expect(await reach(t, 'am@northwind.example', customer.id)).toMatchObject({ status: 'SUSPENDED' });
      await refused(t, 'am@contoso.example', SET_STATUS, { id: customer.id, status: 'ACTIVE' }, 'NOT_FOUND');
      await refused(t, email, SET_STATUS, { id: customer.id, status: 'ACTIVE' }, 'NOT_FOUND');

      expect(ok(await t.gql('am@northwind.example', SET_STATUS, { id: customer.id, status: 'ACTIVE' })).setAccountStatus.status).toBe('ACTIVE');
      expect(await reach(t, email, customer.id)).toMatchObject({ status: 'ACTIVE' });
      expect(await auditActions(t, customer.id)).toEqual(['account.create', 'account.setStatus', 'account.setStatus', 'user.acceptInvitation', 'user.invite']);
    });

    it('an Account Manager may not suspend their own account', async () => {
      const northwind = await t.account('Northwind Cloud');
      await refused(t, 'am@northwind.example', SET_STATUS, { id: northwind.id, status: 'SUSPENDED' }, 'CONFLICT', /you cannot suspend your own account/);
    });
  });
});
