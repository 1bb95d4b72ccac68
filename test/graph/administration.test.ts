import { randomUUID } from 'crypto';
import { addAccount, addUser } from '../../src/storage/bootstrap';
import { AccountEntity, AuditEventEntity, RoleAssignmentEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const UPDATE_ACCOUNT = 'mutation($id: ID!, $input: UpdateAccountInput!) { updateAccount(id: $id, input: $input) { id name settings } }';
const DELETE_ACCOUNT = 'mutation($id: ID!) { deleteAccount(id: $id) }';
const UPDATE_USER = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id name email } }';
const REMOVE_USER = 'mutation($id: ID!) { removeUser(id: $id) }';
const RESEND = 'mutation($userId: ID!) { resendInvitation(userId: $userId) { id status } }';
const SET_ROLES = 'mutation($userId: ID!, $roles: [String!]!) { setRoles(userId: $userId, roles: $roles) { id roles } }';
const TRANSFER = 'mutation($role: String!, $from: ID!, $to: ID!) { transferRole(role: $role, fromUserId: $from, toUserId: $to) { email roles } }';
const REVOKE = 'mutation($userId: ID!, $role: String!) { revokeRole(userId: $userId, role: $role) { id roles } }';
const AUTHORIZE = 'query($c: [AuthorizationCheckInput!]!) { authorize(checks: $c) { allowed reason } }';

/** The newest audit event of an action, or undefined. */
async function lastAudit(t: TestPortico, action: string): Promise<AuditEventEntity | undefined> {
  return (await t.portico.services.db.manager.find(AuditEventEntity, { where: { action }, order: { occurredAt: 'DESC' }, take: 1 }))[0];
}

/** A fresh customer account under the parent with one administrator and `others` colleagues. */
async function customer(t: TestPortico, parentName: string, adminRole: string, others: number) {
  const em = t.portico.services.db.manager;
  const account = await addAccount(em, await t.account(parentName), 'CUSTOMER', `Customer ${randomUUID().slice(0, 8)}`);
  const tag = account.id.slice(0, 8);
  const admin = await addUser(em, account, { email: `admin-${tag}@example.test`, name: 'Admin', roles: [adminRole] });
  const colleagues: UserEntity[] = [];
  for (let i = 0; i < others; i++) colleagues.push(await addUser(em, account, { email: `user${i}-${tag}@example.test`, name: `User ${i}`, roles: [] }));
  return { account, admin, colleagues };
}

const holdersOf = (t: TestPortico, accountId: string, role: string) =>
  t.portico.services.db.manager
    .createQueryBuilder(RoleAssignmentEntity, 'r')
    .innerJoin(UserEntity, 'u', 'u.id = r.userId')
    .where('r.accountId = :accountId AND r.role = :role', { accountId, role })
    .getCount();

describe.each(databaseKinds())('administration on %s', (kind) => {
  describe('dstny', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
    });
    afterAll(() => t?.stop());

    describe('updateAccount', () => {
      it('the operator renames an account, audited with the change', async () => {
        const account = await t.account('Initech');
        const data = ok(await t.gql(OPERATOR, UPDATE_ACCOUNT, { id: account.id, input: { name: 'Initech Global' } }));
        expect(data.updateAccount.name).toBe('Initech Global');
        expect((await lastAudit(t, 'account.update'))?.details).toEqual({ name: { from: 'Initech', to: 'Initech Global' } });
      });

      it('switching a partner\'s commercial module on allows customerOrders:create from the next request', async () => {
        const partner = await t.account('Contoso Networks');
        const check = { c: [{ permission: 'customerOrders:create', accountId: partner.id }] };
        expect(ok(await t.gql('ppa@contoso.example', AUTHORIZE, check)).authorize[0].allowed).toBe(false);
        const data = ok(await t.gql(OPERATOR, UPDATE_ACCOUNT, { id: partner.id, input: { settings: { modules: ['commercial'] } } }));
        expect(data.updateAccount.settings).toEqual({ modules: ['commercial'] });
        expect(ok(await t.gql('ppa@contoso.example', AUTHORIZE, check)).authorize[0].allowed).toBe(true);
      });

      it.each([
        { title: 'a Partner Portal Administrator cannot rename its customer', as: 'ppa@northwind.example', account: 'Acme Logistics', input: { name: 'Mine' }, code: 'FORBIDDEN' },
        { title: 'a Portal Administrator cannot switch its own modules', as: 'admin@acme.example', account: 'Acme Logistics', input: { settings: { modules: [] } }, code: 'FORBIDDEN' },
        { title: 'a partner cannot touch another partner\'s customer', as: 'ppa@contoso.example', account: 'Acme Logistics', input: { name: 'Taken' }, code: 'NOT_FOUND' },
        { title: 'an unknown module is bad input', as: OPERATOR, account: 'Acme Logistics', input: { settings: { modules: ['teleportation'] } }, code: 'BAD_USER_INPUT' },
        { title: 'an empty name is bad input', as: OPERATOR, account: 'Acme Logistics', input: { name: '  ' }, code: 'BAD_USER_INPUT' },
        { title: 'nothing to change is bad input', as: OPERATOR, account: 'Acme Logistics', input: {}, code: 'BAD_USER_INPUT' },
      ])('$title', async ({ as, account, input, code }) => {
        const { id } = await t.account(account);
        await refused(t, as, UPDATE_ACCOUNT, { id, input }, code);
      });

      it('an unknown account is not found', async () => {
        await refused(t, OPERATOR, UPDATE_ACCOUNT, { id: randomUUID(), input: { name: 'Ghost' } }, 'NOT_FOUND');
      });
    });

    describe('deleteAccount', () => {
      it('the operator deletes a customer: its users stop signing in, its audit trail stays, the deletion is audited on the parent', async () => {
        const { account, admin } = await customer(t, 'Northwind Telecom', 'PORTAL_ADMINISTRATOR', 1);
        ok(await t.gql(OPERATOR, UPDATE_ACCOUNT, { id: account.id, input: { name: 'Doomed Ltd' } }));
        const token = await t.token(admin.email);
        const trail = await t.portico.services.db.manager.countBy(AuditEventEntity, { subjectAccountId: account.id });
        expect(trail).toBeGreaterThan(0);
        expect(ok(await t.gql(OPERATOR, DELETE_ACCOUNT, { id: account.id })).deleteAccount).toBe(account.id);
        expect(await t.portico.services.db.manager.countBy(UserEntity, { accountId: account.id })).toBe(0);
        expect(codes(await t.gql({ token }, '{ viewer { user { email } } }'))).toEqual(['UNAUTHENTICATED']);
        expect(await t.portico.services.db.manager.countBy(AuditEventEntity, { subjectAccountId: account.id })).toBe(trail);
        const event = await lastAudit(t, 'account.delete');
        expect(event).toMatchObject({ subjectAccountId: account.parentId, targetId: account.id });
      });

      it.each([
        { title: 'an account with child accounts is a conflict', as: OPERATOR, account: 'Northwind Telecom', code: 'CONFLICT' },
        { title: 'a Partner Portal Administrator cannot delete its customer', as: 'ppa@northwind.example', account: 'Acme Logistics', code: 'FORBIDDEN' },
        { title: 'a Portal Administrator cannot delete its own account', as: 'admin@acme.example', account: 'Acme Logistics', code: 'FORBIDDEN' },
        { title: 'a customer cannot see another to delete it', as: 'admin@acme.example', account: 'Globex', code: 'NOT_FOUND' },
      ])('$title', async ({ as, account, code }) => {
        const { id } = await t.account(account);
        await refused(t, as, DELETE_ACCOUNT, { id }, code);
      });

      it('the platform account cannot be deleted', async () => {
        const platform = await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
        await refused(t, OPERATOR, DELETE_ACCOUNT, { id: platform.id }, 'CONFLICT', /root/);
      });
    });

    describe('updateUser, removeUser, resendInvitation', () => {
      it('a Portal Administrator renames a colleague and changes their email, audited', async () => {
        const { admin, colleagues } = await customer(t, 'Northwind Telecom', 'PORTAL_ADMINISTRATOR', 1);
        const email = `renamed-${colleagues[0].id.slice(0, 8)}@example.test`;
        const data = ok(await t.gql(admin.email, UPDATE_USER, { id: colleagues[0].id, input: { name: 'Renamed', email: email.toUpperCase() } }));
        expect(data.updateUser).toEqual({ id: colleagues[0].id, name: 'Renamed', email });
        expect((await lastAudit(t, 'user.update'))?.targetId).toBe(colleagues[0].id);
      });

      it.each([
        { title: 'an email another user has is a conflict', as: 'admin@acme.example', target: 'billing@acme.example', input: { email: 'fleet@acme.example' }, code: 'CONFLICT' },
        { title: 'an email that is no email is bad input', as: 'admin@acme.example', target: 'billing@acme.example', input: { email: 'not-an-email' }, code: 'BAD_USER_INPUT' },
        { title: 'a Fleet Administrator may not see colleagues to edit', as: 'fleet@acme.example', target: 'billing@acme.example', input: { name: 'X' }, code: 'NOT_FOUND' },
        { title: 'a Partner Portal User may not edit its colleagues', as: 'ppu@northwind.example', target: 'ppm@northwind.example', input: { name: 'X' }, code: 'NOT_FOUND' },
        { title: 'a Portal Administrator may not edit another customer\'s user', as: 'admin@acme.example', target: 'admin@globex.example', input: { name: 'X' }, code: 'NOT_FOUND' },
      ])('updateUser: $title', async ({ as, target, input, code }) => {
        const user = await t.user(target);
        await refused(t, as, UPDATE_USER, { id: user.id, input }, code);
      });

      it('a Portal Administrator removes a colleague: gone, their token names nobody, audited', async () => {
        const { admin, colleagues } = await customer(t, 'Northwind Telecom', 'PORTAL_ADMINISTRATOR', 1);
        const token = await t.token(colleagues[0].email);
        expect(ok(await t.gql(admin.email, REMOVE_USER, { id: colleagues[0].id })).removeUser).toBe(colleagues[0].id);
        expect(await t.portico.services.db.manager.existsBy(UserEntity, { id: colleagues[0].id })).toBe(false);
        expect(codes(await t.gql({ token }, '{ viewer { user { email } } }'))).toEqual(['UNAUTHENTICATED']);
        expect((await lastAudit(t, 'user.remove'))?.targetId).toBe(colleagues[0].id);
      });

      it('removeUser: the last administrator cannot be removed while others use the account', async () => {
        const { admin } = await customer(t, 'Northwind Telecom', 'PORTAL_ADMINISTRATOR', 1);
        await refused(t, OPERATOR, REMOVE_USER, { id: admin.id }, 'CONFLICT', /last Portal Administrator/);
      });

      it('removeUser: a Fleet Administrator may not remove anyone', async () => {
        const user = await t.user('insight@acme.example');
        await refused(t, 'fleet@acme.example', REMOVE_USER, { id: user.id }, 'NOT_FOUND');
      });

      it('resendInvitation: an invited user is invited again, audited; a user who signed in is a conflict', async () => {
        const { admin, account } = await customer(t, 'Northwind Telecom', 'PORTAL_ADMINISTRATOR', 0);
        const invited = await addUser(t.portico.services.db.manager, account, { email: `invited-${account.id.slice(0, 8)}@example.test`, name: 'Invited', roles: [], status: 'INVITED' });
        expect(ok(await t.gql(admin.email, RESEND, { userId: invited.id })).resendInvitation).toEqual({ id: invited.id, status: 'INVITED' });
        expect((await lastAudit(t, 'user.resendInvitation'))?.targetId).toBe(invited.id);
        await refused(t, OPERATOR, RESEND, { userId: admin.id }, 'CONFLICT', /accepted/);
        await refused(t, 'insight@acme.example', RESEND, { userId: invited.id }, 'NOT_FOUND');
      });
    });

    describe('setRoles', () => {
      it('a Portal Administrator replaces a colleague\'s rights at once, audited', async () => {
        const { admin, colleagues } = await customer(t, 'Northwind Telecom', 'PORTAL_ADMINISTRATOR', 1);
        const [user] = colleagues;
        ok(await t.gql(admin.email, SET_ROLES, { userId: user.id, roles: ['FLEET_ADMINISTRATOR'] }));
        const data = ok(await t.gql(admin.email, SET_ROLES, { userId: user.id, roles: ['INSIGHT_USER', 'INSIGHT_USER'] }));
        expect(data.setRoles.roles).toEqual(['INSIGHT_USER']);
        expect((await lastAudit(t, 'user.setRoles'))?.details).toEqual({ from: ['FLEET_ADMINISTRATOR'], to: ['INSIGHT_USER'] });
      });

      it.each([
        { title: 'a role the actor may not assign is a conflict, and nothing of the rest is applied', as: 'admin@acme.example', target: 'insight@acme.example', roles: ['FLEET_ADMINISTRATOR', 'PORTAL_ADMINISTRATOR'], code: 'CONFLICT' },
        { title: 'an unknown role is bad input', as: 'admin@acme.example', target: 'insight@acme.example', roles: ['WIZARD'], code: 'BAD_USER_INPUT' },
        { title: 'a Fleet Administrator may not set rights', as: 'fleet@acme.example', target: 'fleet@acme.example', roles: [], code: 'FORBIDDEN' },
        { title: 'the last Portal Administrator cannot be left without the role while others use the account', as: OPERATOR, target: 'admin@acme.example', roles: [], code: 'CONFLICT' },
        { title: 'a Portal Administrator cannot take away its own role by setting rights', as: 'admin@acme.example', target: 'admin@acme.example', roles: ['FLEET_ADMINISTRATOR'], code: 'CONFLICT' },
      ])('$title', async ({ as, target, roles, code }) => {
        const user = await t.user(target);
        await refused(t, as, SET_ROLES, { userId: user.id, roles }, code);
      });
    });

    describe('transferRole', () => {
      it('the last Portal Administrator hands over to a colleague in one step, where revoking first is refused', async () => {
        const { account, admin, colleagues } = await customer(t, 'Northwind Telecom', 'PORTAL_ADMINISTRATOR', 2);
        await refused(t, admin.email, REVOKE, { userId: admin.id, role: 'PORTAL_ADMINISTRATOR' }, 'CONFLICT');
        const data = ok(await t.gql(admin.email, TRANSFER, { role: 'PORTAL_ADMINISTRATOR', from: admin.id, to: colleagues[0].id }));
        expect(data.transferRole).toEqual([
          { email: admin.email, roles: [] },
          { email: colleagues[0].email, roles: ['PORTAL_ADMINISTRATOR'] },
        ]);
        expect(await holdersOf(t, account.id, 'PORTAL_ADMINISTRATOR')).toBe(1);
        expect((await lastAudit(t, 'user.transferRole'))?.details).toEqual({ role: 'PORTAL_ADMINISTRATOR', from: admin.id, to: colleagues[0].id });
      });

      it('a holder hands over their own role to a colleague they may not even list', async () => {
        const em = t.portico.services.db.manager;
        const partner = await t.account('Northwind Telecom');
        const tag = randomUUID().slice(0, 8);
        const manager = await addUser(em, partner, { email: `ppm-${tag}@northwind.example`, name: 'Manager', roles: ['PARTNER_PORTAL_MANAGER'] });
        const user = await addUser(em, partner, { email: `ppu-${tag}@northwind.example`, name: 'User', roles: ['PARTNER_PORTAL_USER'] });
        const data = ok(await t.gql(manager.email, TRANSFER, { role: 'PARTNER_PORTAL_MANAGER', from: manager.id, to: user.id }));
        expect(data.transferRole.map((u: { roles: string[] }) => u.roles)).toEqual([[], ['PARTNER_PORTAL_MANAGER', 'PARTNER_PORTAL_USER']]);
      });

      it.each([
        { title: 'a Partner Portal Administrator cannot move another administrator\'s role', as: 'ppa@northwind.example', from: 'second-ppa', to: 'ppu@northwind.example', role: 'PARTNER_PORTAL_ADMINISTRATOR', code: 'CONFLICT' },
        { title: 'a Fleet Administrator cannot move someone else\'s role', as: 'fleet@acme.example', from: 'insight@acme.example', to: 'fleet@acme.example', role: 'INSIGHT_USER', code: 'NOT_FOUND' },
        { title: 'users of different accounts are bad input', as: OPERATOR, from: 'admin@acme.example', to: 'admin@globex.example', role: 'PORTAL_ADMINISTRATOR', code: 'BAD_USER_INPUT' },
        { title: 'a role the giver does not hold is bad input', as: 'admin@acme.example', from: 'billing@acme.example', to: 'insight@acme.example', role: 'FLEET_ADMINISTRATOR', code: 'BAD_USER_INPUT' },
        { title: 'an unknown role is bad input', as: 'admin@acme.example', from: 'admin@acme.example', to: 'insight@acme.example', role: 'WIZARD', code: 'BAD_USER_INPUT' },
        { title: 'the same user twice is bad input', as: 'admin@acme.example', from: 'admin@acme.example', to: 'admin@acme.example', role: 'PORTAL_ADMINISTRATOR', code: 'BAD_USER_INPUT' },
      ])('$title', async ({ as, from, to, role, code }) => {
        if (from === 'second-ppa' && !(await t.portico.services.db.manager.existsBy(UserEntity, { email: 'second-ppa@northwind.example' }))) {
          await addUser(t.portico.services.db.manager, await t.account('Northwind Telecom'), { email: 'second-ppa@northwind.example', name: 'Second', roles: ['PARTNER_PORTAL_ADMINISTRATOR'] });
        }
        const giver = await t.user(from === 'second-ppa' ? 'second-ppa@northwind.example' : from);
        await refused(t, as, TRANSFER, { role, from: giver.id, to: (await t.user(to)).id }, code);
      });
    });

    it('handing over, removing the receiver and revoking the giver at the same moment leave exactly one Portal Administrator', async () => {
      for (let round = 0; round < 3; round++) {
        const { account, admin, colleagues } = await customer(t, 'Northwind Telecom', 'PORTAL_ADMINISTRATOR', 2);
        const [receiver] = colleagues;
        const results = await Promise.all([
          t.gql(admin.email, TRANSFER, { role: 'PORTAL_ADMINISTRATOR', from: admin.id, to: receiver.id }),
          t.gql(OPERATOR, REMOVE_USER, { id: receiver.id }),
          t.gql(OPERATOR, REVOKE, { userId: admin.id, role: 'PORTAL_ADMINISTRATOR' }),
        ]);
        expect(results.every((r) => r.errors === undefined || ['CONFLICT', 'NOT_FOUND', 'BAD_USER_INPUT'].includes(codes(r)[0]))).toBe(true);
        expect(await holdersOf(t, account.id, 'PORTAL_ADMINISTRATOR')).toBe(1);
      }
    });
  });

  describe('unifyr', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'unifyr');
    });
    afterAll(() => t?.stop());

    it('turning the leads module off denies leads at once, and on again allows them', async () => {
      const partner = await t.account('Northwind Solutions');
      const check = { c: [{ permission: 'leads:read', accountId: partner.id }] };
      expect(ok(await t.gql('sales@northwind.example', AUTHORIZE, check)).authorize[0].allowed).toBe(true);
      ok(await t.gql('supplier@platform.local', UPDATE_ACCOUNT, { id: partner.id, input: { settings: { modules: ['deals', 'campaigns', 'contactLists', 'content', 'social'] } } }));
      const denied = ok(await t.gql('sales@northwind.example', AUTHORIZE, check)).authorize[0];
      expect(denied).toEqual({ allowed: false, reason: expect.stringMatching(/module leads is off/) });
      ok(await t.gql('supplier@platform.local', UPDATE_ACCOUNT, { id: partner.id, input: { settings: { modules: null } } }));
      expect(ok(await t.gql('sales@northwind.example', AUTHORIZE, check)).authorize[0].allowed).toBe(true);
    });

    it('an Administrator changes its own integrations, keeping the settings it may not change', async () => {
      const partner = await t.account('Contoso Resellers');
      const data = ok(await t.gql('admin@contoso.example', UPDATE_ACCOUNT, { id: partner.id, input: { settings: { crm: 'salesforce', modules: ['leads', 'deals', 'content'] } } }));
      expect(data.updateAccount.settings).toEqual({ modules: ['leads', 'deals', 'content'], crm: 'salesforce' });
    });

    it.each([
      { title: 'an Administrator cannot let itself assign roles', as: 'admin@contoso.example', account: 'Contoso Resellers', settings: { adminsMayAssignRoles: true }, code: 'FORBIDDEN' },
      { title: 'an Administrator cannot switch modules on for itself', as: 'admin@contoso.example', account: 'Contoso Resellers', settings: { modules: ['leads', 'deals', 'content', 'social'] }, code: 'FORBIDDEN' },
      { title: 'an Administrator cannot widen its Sales\' leads', as: 'admin@northwind.example', account: 'Northwind Solutions', settings: { leadsVisibilityByRole: { SALES: 'all' } }, code: 'FORBIDDEN' },
      { title: 'Sales change no settings', as: 'sales@northwind.example', account: 'Northwind Solutions', settings: { crm: 'hubspot' }, code: 'FORBIDDEN' },
      { title: 'a scope that leads:read has not is bad input', as: 'supplier@platform.local', account: 'Northwind Solutions', settings: { leadsVisibilityByRole: { SALES: 'everything' } }, code: 'BAD_USER_INPUT' },
      { title: 'a switch that is no boolean is bad input', as: 'supplier@platform.local', account: 'Northwind Solutions', settings: { adminsMayAssignRoles: 'yes' }, code: 'BAD_USER_INPUT' },
    ])('$title', async ({ as, account, settings, code }) => {
      const { id } = await t.account(account);
      await refused(t, as, UPDATE_ACCOUNT, { id, input: { settings } }, code);
    });

    it('the supplier widens a partner\'s Sales leads to all', async () => {
      const partner = await t.account('Northwind Solutions');
      ok(await t.gql('supplier@platform.local', UPDATE_ACCOUNT, { id: partner.id, input: { settings: { leadsVisibilityByRole: { SALES: 'all' } } } }));
      const decision = ok(await t.gql('sales@northwind.example', 'query($c: [AuthorizationCheckInput!]!) { authorize(checks: $c) { scope } }', { c: [{ permission: 'leads:read', accountId: partner.id }] }));
      expect(decision.authorize[0].scope).toBe('all');
    });
  });
});
