import { randomUUID } from 'crypto';
import { addAccount, addUser } from '../../src/storage/bootstrap';
import { AccountEntity, RoleAssignmentEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, refused, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const ASSIGN = 'mutation($userId: ID!, $role: String!) { assignRole(userId: $userId, role: $role) { id roles } }';
const REVOKE = 'mutation($userId: ID!, $role: String!) { revokeRole(userId: $userId, role: $role) { id roles } }';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id email roles } }';
const SET_STATUS = 'mutation($id: ID!, $status: UserStatus!) { setUserStatus(id: $id, status: $status) { id status } }';

/** A customer account with `admins` holders of the administrator role and `others` plain users, built directly. */
async function customerWith(t: TestPortico, parentName: string, adminRole: string, admins: number, others: number) {
  const em = t.portico.services.db.manager;
  const parent = await t.account(parentName);
  const account = await addAccount(em, parent, 'CUSTOMER', `Customer ${randomUUID().slice(0, 8)}`);
  const adminUsers: UserEntity[] = [];
  for (let i = 0; i < admins; i++) adminUsers.push(await addUser(em, account, { email: `admin${i}-${account.id.slice(0, 8)}@example.test`, name: `Admin ${i}`, roles: [adminRole] }));
  for (let i = 0; i < others; i++) await addUser(em, account, { email: `user${i}-${account.id.slice(0, 8)}@example.test`, name: `User ${i}`, roles: [] });
  return { account, adminUsers };
}

const holders = (t: TestPortico, account: AccountEntity, role: string) => t.portico.services.db.manager.countBy(RoleAssignmentEntity, { accountId: account.id, role });

describe.each(databaseKinds())('invariants on %s', (kind) => {
  describe('dstny', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
    });
    afterAll(() => t?.stop());

    it('the last Portal Administrator cannot be removed while the account has other active users', async () => {
      const admin = await t.user('admin@globex.example');
      await addUser(t.portico.services.db.manager, await t.account('Globex'), { email: 'colleague@globex.example', name: 'Colleague', roles: [] });
      await refused(t, OPERATOR, REVOKE, { userId: admin.id, role: 'PORTAL_ADMINISTRATOR' }, 'CONFLICT', /last Portal Administrator/);
      expect(await t.rolesOf('admin@globex.example')).toEqual(['PORTAL_ADMINISTRATOR']);
    });

    it('the last Portal Administrator cannot be suspended either, but can once a second one exists', async () => {
      const admin = await t.user('admin@initech.example');
      await addUser(t.portico.services.db.manager, await t.account('Initech'), { email: 'staff@initech.example', name: 'Staff', roles: [] });
      await refused(t, OPERATOR, SET_STATUS, { id: admin.id, status: 'SUSPENDED' }, 'CONFLICT');
      const second = await t.user('staff@initech.example');
      expect((await t.gql(OPERATOR, ASSIGN, { userId: second.id, role: 'PORTAL_ADMINISTRATOR' })).errors).toBeUndefined();
      const suspended = await t.gql(OPERATOR, SET_STATUS, { id: admin.id, status: 'SUSPENDED' });
      expect(suspended.errors).toBeUndefined();
      expect(suspended.data!.setUserStatus.status).toBe('SUSPENDED');
    });

    it('an Insight User can exist only once a Portal Administrator has been appointed', async () => {
      const { account } = await customerWith(t, 'Northwind Telecom', 'PORTAL_ADMINISTRATOR', 0, 1);
      const invite = { input: { accountId: account.id, email: `insight-${account.id.slice(0, 6)}@example.test`, name: 'Insight', roles: ['INSIGHT_USER'] } };
      await refused(t, OPERATOR, INVITE, invite, 'CONFLICT', /once account .* has a PORTAL_ADMINISTRATOR/);

      const admin = await t.gql(OPERATOR, INVITE, { input: { accountId: account.id, email: `pa-${account.id.slice(0, 6)}@example.test`, name: 'PA', roles: ['PORTAL_ADMINISTRATOR'] } });
      expect(admin.errors).toBeUndefined();
      const allowed = await t.gql(OPERATOR, INVITE, invite);
      expect(allowed.errors).toBeUndefined();
      expect(allowed.data!.inviteUser.roles).toEqual(['INSIGHT_USER']);
    });

    it.each([
      { title: 'a Partner Portal Administrator assigns PARTNER_PORTAL_MANAGER', actor: 'ppa@northwind.example', target: 'ppu@northwind.example', role: 'PARTNER_PORTAL_MANAGER', code: undefined },
      { title: 'a Partner Portal Administrator cannot assign PARTNER_PORTAL_ADMINISTRATOR', actor: 'ppa@northwind.example', target: 'ppm@northwind.example', role: 'PARTNER_PORTAL_ADMINISTRATOR', code: 'CONFLICT' },
      { title: 'a Partner Portal Manager cannot assign rights, even to themselves', actor: 'ppm@northwind.example', target: 'ppm@northwind.example', role: 'PARTNER_PORTAL_ADMINISTRATOR', code: 'FORBIDDEN' },
      { title: 'a Partner Portal Manager cannot even see a colleague to assign to', actor: 'ppm@northwind.example', target: 'ppu@northwind.example', role: 'PARTNER_PORTAL_MANAGER', code: 'NOT_FOUND' },
      { title: 'a Portal Administrator assigns FLEET_ADMINISTRATOR', actor: 'admin@acme.example', target: 'billing@acme.example', role: 'FLEET_ADMINISTRATOR', code: undefined },
      { title: 'a Portal Administrator cannot appoint another PORTAL_ADMINISTRATOR', actor: 'admin@acme.example', target: 'insight@acme.example', role: 'PORTAL_ADMINISTRATOR', code: 'CONFLICT' },
      { title: 'a Fleet Administrator cannot assign rights, even to themselves', actor: 'fleet@acme.example', target: 'fleet@acme.example', role: 'INSIGHT_USER', code: 'FORBIDDEN' },
      { title: 'a partner cannot assign rights in another partner', actor: 'ppa@contoso.example', target: 'ppu@northwind.example', role: 'PARTNER_PORTAL_MANAGER', code: 'NOT_FOUND' },
      { title: 'a customer role does not exist on a partner user', actor: OPERATOR, target: 'ppu@northwind.example', role: 'FLEET_ADMINISTRATOR', code: 'BAD_USER_INPUT' },
    ])('$title', async ({ actor, target, role, code }) => {
      const user = await t.user(target);
      const before = await t.snapshot();
      const rolesBefore = await t.rolesOf(target);
      const result = await t.gql(actor, ASSIGN, { userId: user.id, role });
      if (code === undefined) {
        expect(result.errors).toBeUndefined();
        expect(await t.rolesOf(target)).toEqual([...rolesBefore, role].sort());
      } else {
        expect(codes(result)).toEqual([code]);
        expect(await t.snapshot()).toEqual(before);
      }
    });
  });

  describe('appdirect', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'appdirect');
    });
    afterAll(() => t?.stop());

    it('a Billing Manager grants nothing: it holds no users:manage', async () => {
      const user = await t.user('tech@northwind.example');
      await refused(t, 'billing@northwind.example', ASSIGN, { userId: user.id, role: 'BILLING_MANAGER' }, 'FORBIDDEN');
    });

    it('two Account Managers revoking each other at the same moment leave one', async () => {
      const { account, adminUsers } = await customerWith(t, 'Northwind Cloud', 'ACCOUNT_MANAGER', 2, 1);
      const [a, b] = adminUsers;
      const results = await Promise.all([
        t.gql(a.email, REVOKE, { userId: b.id, role: 'ACCOUNT_MANAGER' }),
        t.gql(b.email, REVOKE, { userId: a.id, role: 'ACCOUNT_MANAGER' }),
      ]);
      expect(results.filter((r) => r.errors === undefined)).toHaveLength(1);
      expect(await holders(t, account, 'ACCOUNT_MANAGER')).toBe(1);
    });
  });

  describe('unifyr', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'unifyr');
    });
    afterAll(() => t?.stop());

    it('the first user added to a partner account becomes its Administrator, the second does not', async () => {
      const platform = await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
      const created = await t.gql(OPERATOR, 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }', { input: { type: 'PARTNER', name: 'Fresh Partner', parentId: platform.id } });
      expect(created.errors).toBeUndefined();
      const accountId = created.data!.createAccount.id;
      const first = await t.gql(OPERATOR, INVITE, { input: { accountId, email: 'first@fresh.example', name: 'First', roles: [] } });
      const second = await t.gql(OPERATOR, INVITE, { input: { accountId, email: 'second@fresh.example', name: 'Second', roles: ['SALES'] } });
      expect(first.data!.inviteUser.roles).toEqual(['ADMINISTRATOR']);
      expect(second.data!.inviteUser.roles).toEqual(['SALES']);
    });

    it.each([
      // adminsMayAssignRoles governs roles for new users only: an existing user's standard roles are the supplier's.
      { title: 'an Administrator gives an existing user no standard role, even where adminsMayAssignRoles is on', actor: 'admin@northwind.example', target: 'sales@northwind.example', role: 'MARKETING', code: 'FORBIDDEN', message: /gives roles to new users only, at invitation \(as adminsMayAssignRoles allows\)/ },
      { title: 'an Administrator assigns nothing where adminsMayAssignRoles is off', actor: 'admin@contoso.example', target: 'sales@contoso.example', role: 'MARKETING', code: 'FORBIDDEN', message: /adminsMayAssignRoles/ },
      { title: 'the supplier assigns roles in any partner', actor: 'supplier@platform.local', target: 'sales@contoso.example', role: 'MARKETING', code: undefined, message: undefined },
      // Seed 004: "Admin partner users can change partner users' Administrative access", whatever the setting says.
      { title: 'an Administrator gives Administrative access where adminsMayAssignRoles is on', actor: 'admin@northwind.example', target: 'sales@northwind.example', role: 'ADMINISTRATOR', code: undefined, message: undefined },
      { title: 'an Administrator gives Administrative access where adminsMayAssignRoles is off', actor: 'admin@contoso.example', target: 'sales@contoso.example', role: 'ADMINISTRATOR', code: undefined, message: undefined },
      // Marketing does not even see the partner's team (no users:read): the user reads as not found.
      { title: 'a Marketing user gives no Administrative access', actor: 'marketing@northwind.example', target: 'sales@northwind.example', role: 'ADMINISTRATOR', code: 'NOT_FOUND', message: /user/ },
    ])('$title', async ({ actor, target, role, code, message }) => {
      const user = await t.user(target);
      const before = await t.snapshot();
      const result = await t.gql(actor, ASSIGN, { userId: user.id, role });
      if (code === undefined) {
        expect(result.errors).toBeUndefined();
        expect(await t.rolesOf(target)).toContain(role);
      } else {
        expect(codes(result)).toEqual([code]);
        expect(result.errors![0].message).toMatch(message!);
        expect(await t.snapshot()).toEqual(before);
      }
    });

    it('an Administrator takes Administrative access back where adminsMayAssignRoles is off, and cannot take a standard role', async () => {
      const sales = await t.user('sales@contoso.example');
      // The row above made Sue an Administrator of Contoso Resellers.
      expect(await t.rolesOf('sales@contoso.example')).toContain('ADMINISTRATOR');
      const revoke = 'mutation($userId: ID!, $role: String!) { revokeRole(userId: $userId, role: $role) { roles } }';
      const taken = await t.gql('admin@contoso.example', revoke, { userId: sales.id, role: 'ADMINISTRATOR' });
      expect(taken.errors).toBeUndefined();
      expect(await t.rolesOf('sales@contoso.example')).not.toContain('ADMINISTRATOR');
      const before = await t.snapshot();
      expect(codes(await t.gql('admin@contoso.example', revoke, { userId: sales.id, role: 'SALES' }))).toEqual(['FORBIDDEN']);
      expect(await t.snapshot()).toEqual(before);
    });

    it.each([
      { title: 'where adminsMayAssignRoles is on, with any role', actor: 'admin@northwind.example', account: 'Northwind Solutions', email: 'new-mkt@northwind.example', roles: ['MARKETING'], code: undefined },
      { title: 'where adminsMayAssignRoles is off, with a standard role', actor: 'admin@contoso.example', account: 'Contoso Resellers', email: 'new-mkt@contoso.example', roles: ['MARKETING'], code: 'FORBIDDEN' },
      { title: 'where adminsMayAssignRoles is off, with Administrative access', actor: 'admin@contoso.example', account: 'Contoso Resellers', email: 'new-admin@contoso.example', roles: ['ADMINISTRATOR'], code: undefined },
    ])('an Administrator invites a new user $title', async ({ actor, account, email, roles, code }) => {
      const accountId = (await t.account(account)).id;
      const before = await t.snapshot();
      const result = await t.gql(actor, INVITE, { input: { accountId, email, name: 'New User', roles } });
      if (code === undefined) {
        expect(result.errors).toBeUndefined();
        expect(result.data!.inviteUser.roles).toEqual(roles);
      } else {
        expect(codes(result)).toEqual([code]);
        expect(await t.snapshot()).toEqual(before);
      }
    });

    it('ten concurrent invitations into an empty partner account make exactly one Administrator', async () => {
      const platform = await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
      const created = await t.gql(OPERATOR, 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }', { input: { type: 'PARTNER', name: 'Race Partner', parentId: platform.id } });
      const accountId = created.data!.createAccount.id as string;
      const token = await t.token(OPERATOR);
      const results = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const body = JSON.stringify({ query: INVITE, variables: { input: { accountId, email: `racer${i}@race.example`, name: `Racer ${i}`, roles: [] } } });
          return (await (await t.raw({ token, body })).json()) as { errors?: unknown[] };
        }),
      );
      expect(results.filter((r) => r.errors !== undefined)).toEqual([]);
      const account = await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { id: accountId });
      expect(await holders(t, account, 'ADMINISTRATOR')).toBe(1);
    });

    it('a Sales Rep cannot log in: their token is refused', async () => {
      const result = await t.gql('rep@northwind.example', '{ viewer { user { email } } }');
      expect(result.status).toBe(401);
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
      const sales = await t.gql('sales@northwind.example', '{ viewer { user { email canLogin } } }');
      expect(sales.data!.viewer.user).toEqual({ email: 'sales@northwind.example', canLogin: true });
      const rep = await t.user('rep@northwind.example');
      const listed = await t.gql('admin@northwind.example', 'query($id: ID!) { user(id: $id) { email canLogin } }', { id: rep.id });
      expect(listed.data!.user).toEqual({ email: 'rep@northwind.example', canLogin: false });
    });
  });

  describe('dstny under concurrency', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
    });
    afterAll(() => t?.stop());

    it('50 concurrent attempts to revoke every Portal Administrator leave exactly one', async () => {
      const { account, adminUsers } = await customerWith(t, 'Northwind Telecom', 'PORTAL_ADMINISTRATOR', 50, 3);
      const token = await t.token(OPERATOR);
      const results = await Promise.all(
        adminUsers.map(async (admin) => {
          const response = await t.raw({ token, body: JSON.stringify({ query: REVOKE, variables: { userId: admin.id, role: 'PORTAL_ADMINISTRATOR' } }) });
          return (await response.json()) as { errors?: Array<{ extensions: { code: string } }> };
        }),
      );
      const refused = results.filter((r) => r.errors !== undefined);
      expect(refused.map((r) => r.errors![0].extensions.code)).toEqual(['CONFLICT']);
      expect(await holders(t, account, 'PORTAL_ADMINISTRATOR')).toBe(1);
    });
  });
});
