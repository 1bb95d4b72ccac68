import { loadPolicy } from '../../src/config';
import type { CompiledPolicy } from '../../src/policy';
import { AccountEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const SUPPLIER = 'supplier@platform.local';
const ROLE = 'name title accountType custom administrator canLogin assignableBy permissions { permission descendants scope module }';
const CREATE = `mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { ${ROLE} } }`;
const ROLES = `query { roles(accountType: PARTNER) { ${ROLE} } }`;
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id roles } }';
const ASSIGN = 'mutation($userId: ID!, $role: String!) { assignRole(userId: $userId, role: $role) { id roles } }';
const VIEWER = '{ viewer { roles user { status canLogin } permissions { permission scope reason } } }';
const AUTHORIZE = 'query($checks: [AuthorizationCheckInput!]!) { authorize(checks: $checks) { permission allowed reason } }';
const AUDIT = 'query($accountId: ID!) { auditEvents(accountId: $accountId, first: 100) { nodes { action actorUserId targetType details } } }';

interface RoleView {
  name: string;
  title: string;
  accountType: string;
  custom: boolean;
  administrator: boolean;
  canLogin: boolean;
  assignableBy: string[];
  permissions: Array<{ permission: string; descendants: boolean; scope: string | null; module: string | null }>;
}

describe.each(databaseKinds())('custom roles on %s', (kind) => {
  let t: TestPortico;
  let policy: CompiledPolicy;
  let northwind: AccountEntity;
  let contoso: AccountEntity;
  let platform: AccountEntity;

  beforeAll(async () => {
    policy = loadPolicy('unifyr');
    t = await startTestPortico(kind, 'unifyr');
    northwind = await t.account('Northwind Solutions');
    contoso = await t.account('Contoso Resellers');
    platform = await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
  });
  afterAll(() => t?.stop());

  /** What a custom role with these permissions carries: them, and the policy's base permissions of every custom role. */
  const carried = (chosen: string[]) => [...new Set([...chosen, ...policy.customRoles!.baseGrants.map((g) => g.permission)])].sort();
  const rolesAs = async (email: string): Promise<RoleView[]> => ok(await t.gql(email, ROLES)).roles;
  const customNames = async (email: string) => (await rolesAs(email)).filter((r) => r.custom).map((r) => r.name);

  it('the policy lets the supplier define roles for partner accounts, and partner Administrators assign them', () => {
    expect(policy.actions.get('customRoles.manage')).toEqual(['customRoles:manage']);
    expect(policy.customRoles!.accountTypes).toEqual(['PARTNER']);
    expect(policy.customRoles!.assignableBy).toEqual(['SUPPLIER_ADMINISTRATOR', 'ADMINISTRATOR']);
    expect(policy.accountTypes.get('PARTNER')!.permissions).not.toContain('customRoles:manage');
  });

  describe('a role the supplier defines for one partner', () => {
    const chosen = ['deals:read', 'deals:manage', 'content:read'];
    let role: RoleView;
    let holderId: string;

    it('is created with the permissions asked and the base permissions, and audited', async () => {
      const before = await t.snapshot();
      const result = await t.gql(SUPPLIER, CREATE, { input: { accountId: northwind.id, accountType: 'PARTNER', name: 'DEAL_DESK', title: ' Deal desk ', permissions: chosen.map((permission) => ({ permission })) } });
      role = ok(result).createCustomRole;
      expect(role).toMatchObject({ name: 'DEAL_DESK', title: 'Deal desk', accountType: 'PARTNER', custom: true, administrator: false, canLogin: true, assignableBy: ['SUPPLIER_ADMINISTRATOR', 'ADMINISTRATOR'] });
      expect(role.permissions.map((p) => p.permission)).toEqual(carried(chosen));
      expect(role.permissions.every((p) => !p.descendants)).toBe(true);

      const after = await t.snapshot();
      expect(after).toEqual({ ...before, customRoles: before.customRoles + 1, audits: before.audits + 1 });
      const supplier = await t.user(SUPPLIER);
      const events = ok(await t.gql(OPERATOR, AUDIT, { accountId: northwind.id })).auditEvents.nodes.filter((e: { action: string }) => e.action === 'customRole.create');
      expect(events).toEqual([{ action: 'customRole.create', actorUserId: supplier.id, targetType: 'CustomRole', details: { name: 'DEAL_DESK' } }]);
    });

    it('appears with custom: true in roles(accountType: PARTNER) inside that partner, and nowhere else', async () => {
      for (const email of ['admin@northwind.example', 'sales@northwind.example']) {
        const listed = (await rolesAs(email)).filter((r) => r.name === 'DEAL_DESK');
        expect(listed).toEqual([role]);
      }
      expect(await customNames('admin@contoso.example')).not.toContain('DEAL_DESK');
      // The policy's own roles are never custom.
      expect((await rolesAs('admin@northwind.example')).filter((r) => !r.custom).map((r) => r.name).sort()).toEqual(['ADMINISTRATOR', 'MARKETING', 'SALES', 'SALES_REP']);
    });

    it('is given by the partner\'s Administrator to a new user, and its holder gets exactly its permissions', async () => {
      const before = await t.snapshot();
      // adminsMayAssignRoles is on at Northwind: its Administrator gives roles to new users, at invitation.
      const invited = ok(await t.gql('admin@northwind.example', INVITE, { input: { accountId: northwind.id, email: 'desk@northwind.example', name: 'Desk', roles: ['DEAL_DESK'] } })).inviteUser;
      expect(invited.roles).toEqual(['DEAL_DESK']);
      holderId = invited.id;
      expect(await t.snapshot()).toMatchObject({ users: before.users + 1, roles: before.roles + 1, audits: before.audits + 1 });
      expect(await t.rolesOf('desk@northwind.example')).toEqual(['DEAL_DESK']);

      const { viewer } = ok(await t.gql('desk@northwind.example', VIEWER));
      expect(viewer.roles).toEqual(['DEAL_DESK']);
      expect(viewer.user).toEqual({ status: 'ACTIVE', canLogin: true });
      expect(viewer.permissions.map((p: { permission: string }) => p.permission)).toEqual(carried(chosen));
      for (const decision of viewer.permissions) expect(decision.reason).toBe(`role DEAL_DESK on account ${northwind.id}`);

      const denied = policy.accountTypes.get('PARTNER')!.permissions.filter((p) => !carried(chosen).includes(p));
      const checks = [...carried(chosen), ...denied].map((permission) => ({ permission, accountId: northwind.id }));
      const decisions = ok(await t.gql('desk@northwind.example', AUTHORIZE, { checks })).authorize;
      expect(decisions.filter((d: { allowed: boolean }) => d.allowed).map((d: { permission: string }) => d.permission).sort()).toEqual(carried(chosen));
      expect(decisions.filter((d: { allowed: boolean }) => !d.allowed).map((d: { permission: string }) => d.permission).sort()).toEqual([...denied].sort());
      // Nothing on another partner.
      const elsewhere = ok(await t.gql('desk@northwind.example', AUTHORIZE, { checks: chosen.map((permission) => ({ permission, accountId: contoso.id })) })).authorize;
      expect(elsewhere.every((d: { allowed: boolean }) => !d.allowed)).toBe(true);
    });

    it('cannot be assigned in another partner, where it does not exist', async () => {
      const target = await t.user('sales@contoso.example');
      await refused(t, SUPPLIER, ASSIGN, { userId: target.id, role: 'DEAL_DESK' }, 'BAD_USER_INPUT');
    });
  });

  it('a role the supplier defines on the platform account is listed for the supplier and in every partner', async () => {
    const result = await t.gql(SUPPLIER, CREATE, { input: { accountId: platform.id, accountType: 'PARTNER', name: 'CONTENT_READER', title: 'Content reader', permissions: [{ permission: 'content:read' }] } });
    expect(ok(result).createCustomRole).toMatchObject({ name: 'CONTENT_READER', custom: true });
    for (const email of [SUPPLIER, 'admin@northwind.example', 'admin@contoso.example']) {
      const listed = (await rolesAs(email)).find((r) => r.name === 'CONTENT_READER');
      expect(listed).toMatchObject({ custom: true, accountType: 'PARTNER' });
      expect(listed!.permissions.map((p) => p.permission)).toEqual(carried(['content:read']));
    }
    const target = await t.user('sales@contoso.example');
    expect(ok(await t.gql(SUPPLIER, ASSIGN, { userId: target.id, role: 'CONTENT_READER' })).assignRole.roles).toEqual(['CONTENT_READER', 'SALES']);
  });

  it.each([
    { title: 'a partner Administrator, for their own partner', actor: 'admin@northwind.example', account: 'Northwind Solutions', code: 'FORBIDDEN' },
    { title: 'a partner Marketing user, for their own partner', actor: 'marketing@northwind.example', account: 'Northwind Solutions', code: 'FORBIDDEN' },
    { title: 'a partner Administrator, for another partner', actor: 'admin@northwind.example', account: 'Contoso Resellers', code: 'NOT_FOUND' },
  ])('is refused to $title: $code, and nothing changes', async ({ actor, account, code }) => {
    const rolesBefore = await customNames(actor);
    const accountId = (await t.account(account)).id;
    const result = await refused(t, actor, CREATE, { input: { accountId, accountType: 'PARTNER', name: 'SELF_MADE', title: 'Self made', permissions: [{ permission: 'content:read' }] } }, code);
    expect(result.data ?? null).toBeNull();
    expect(await customNames(actor)).toEqual(rolesBefore);
  });

  it.each([
    { title: 'an unknown permission', name: 'UNKNOWN_PERM', account: 'Northwind Solutions', permissions: [{ permission: 'foo:bar' }], code: 'BAD_USER_INPUT', message: /foo:bar is not a permission of PARTNER accounts/ },
    { title: 'a permission of another account type', name: 'PLATFORM_PERM', account: 'Northwind Solutions', permissions: [{ permission: 'accounts:create' }], code: 'BAD_USER_INPUT', message: /accounts:create is not a permission of PARTNER accounts/ },
    { title: 'a permission the supplier does not hold there (its module is off in that partner)', name: 'CAMPAIGNS', account: 'Contoso Resellers', permissions: [{ permission: 'content:read' }, { permission: 'campaigns:read' }], code: 'FORBIDDEN', message: /cannot grant campaigns:read: not held/ },
    { title: 'a scope the permission does not have', name: 'WIDE_LEADS', account: 'Northwind Solutions', permissions: [{ permission: 'leads:read', scope: 'everything' }], code: 'BAD_USER_INPUT', message: /everything is not a scope of leads:read/ },
    { title: 'a scope on an unscoped permission', name: 'SCOPED_DEALS', account: 'Northwind Solutions', permissions: [{ permission: 'deals:read', scope: 'all' }], code: 'BAD_USER_INPUT', message: /all is not a scope of deals:read/ },
    { title: 'the name of a role of the policy', name: 'SALES', account: 'Northwind Solutions', permissions: [{ permission: 'content:read' }], code: 'BAD_USER_INPUT', message: /SALES is a role of the policy/ },
    { title: 'a name that is not UPPER_SNAKE_CASE', name: 'deal desk', account: 'Northwind Solutions', permissions: [{ permission: 'content:read' }], code: 'BAD_USER_INPUT', message: /UPPER_SNAKE_CASE/ },
  ])('the supplier is refused $title: $code, and nothing changes', async ({ name, account, permissions, code, message }) => {
    const accountId = (await t.account(account)).id;
    await refused(t, SUPPLIER, CREATE, { input: { accountId, accountType: 'PARTNER', name, title: 'Refused', permissions } }, code, message);
    expect((await rolesAs('admin@northwind.example')).filter((r) => r.title === 'Refused')).toEqual([]);
  });

  it('a name is taken once per account: a second role of that name there is a CONFLICT, in a sibling partner it is not', async () => {
    const input = (accountId: string) => ({ input: { accountId, accountType: 'PARTNER', name: 'TWICE', title: 'Twice', permissions: [{ permission: 'content:read' }] } });
    ok(await t.gql(SUPPLIER, CREATE, input(northwind.id)));
    await refused(t, SUPPLIER, CREATE, input(northwind.id), 'CONFLICT', /already has a custom role TWICE/);
    expect((await customNames('admin@northwind.example')).filter((n) => n === 'TWICE')).toEqual(['TWICE']);

    expect(ok(await t.gql(SUPPLIER, CREATE, input(contoso.id))).createCustomRole.name).toBe('TWICE');
    expect((await customNames('admin@contoso.example')).filter((n) => n === 'TWICE')).toEqual(['TWICE']);
  });

  it('the supplier is refused a custom role for an account type the policy does not allow one for: BAD_USER_INPUT', async () => {
    await refused(t, SUPPLIER, CREATE, { input: { accountId: platform.id, accountType: 'PLATFORM', name: 'PLATFORM_HELPER', title: 'Helper', permissions: [] } }, 'BAD_USER_INPUT');
  });

  describe('updateCustomRole and deleteCustomRole', () => {
    const UPDATE = 'mutation($id: ID!, $input: UpdateCustomRoleInput!) { updateCustomRole(id: $id, input: $input) { id name title custom permissions { permission } } }';
    const DELETE = 'mutation($id: ID!) { deleteCustomRole(id: $id) }';
    const REVOKE = 'mutation($userId: ID!, $role: String!) { revokeRole(userId: $userId, role: $role) { id roles } }';
    let serial = 0;
    /** A fresh custom role of Northwind with content:read, by the supplier. */
    const fresh = async () => {
      const name = `EDITABLE_${++serial}`;
      const created = ok(await t.gql(SUPPLIER, CREATE.replace('createCustomRole(input: $input) {', 'createCustomRole(input: $input) { id'), { input: { accountId: northwind.id, accountType: 'PARTNER', name, title: 'Editable', permissions: [{ permission: 'content:read' }] } })).createCustomRole;
      return { id: created.id as string, name };
    };
    const allowed = async (email: string, permission: string) => ok(await t.gql(email, AUTHORIZE, { checks: [{ permission, accountId: northwind.id }] })).authorize[0].allowed as boolean;

    it('the supplier retitles a role and replaces its permissions; its holder\'s rights follow at once, audited', async () => {
      const { id, name } = await fresh();
      const sales = await t.user('sales@northwind.example');
      ok(await t.gql(SUPPLIER, ASSIGN, { userId: sales.id, role: name }));
      expect(await allowed('sales@northwind.example', 'socialAccount:useCompany')).toBe(false);
      const updated = ok(await t.gql(SUPPLIER, UPDATE, { id, input: { title: 'Social desk', permissions: [{ permission: 'socialAccount:useCompany' }] } })).updateCustomRole;
      expect(updated).toMatchObject({ id, name, title: 'Social desk', custom: true });
      expect(updated.permissions.map((p: { permission: string }) => p.permission)).toEqual(carried(['socialAccount:useCompany']));
      expect(await allowed('sales@northwind.example', 'socialAccount:useCompany')).toBe(true);
      const events = ok(await t.gql(OPERATOR, AUDIT, { accountId: northwind.id })).auditEvents.nodes.filter((e: { action: string }) => e.action === 'customRole.update');
      expect(events[0].details).toEqual({ title: { from: 'Editable', to: 'Social desk' }, permissions: { from: ['content:read'], to: ['socialAccount:useCompany'] } });
      ok(await t.gql(SUPPLIER, REVOKE, { userId: sales.id, role: name }));
    });

    it.each([
      { title: 'a partner Administrator, without customRoles:manage, is forbidden', as: 'admin@northwind.example', input: { title: 'Mine' }, code: 'FORBIDDEN' },
      { title: 'another partner does not learn the role exists', as: 'admin@contoso.example', input: { title: 'Mine' }, code: 'NOT_FOUND' },
      { title: 'nothing to change is bad input', as: SUPPLIER, input: {}, code: 'BAD_USER_INPUT' },
      { title: 'an empty title is bad input', as: SUPPLIER, input: { title: '  ' }, code: 'BAD_USER_INPUT' },
      { title: 'a permission of another account type is bad input', as: SUPPLIER, input: { permissions: [{ permission: 'accounts:create' }] }, code: 'BAD_USER_INPUT' },
    ])('update: $title', async ({ as, input, code }) => {
      const { id } = await fresh();
      await refused(t, as, UPDATE, { id, input }, code);
    });

    it('deleting a held role is a conflict; once nobody holds it, it goes, audited', async () => {
      const { id, name } = await fresh();
      const sales = await t.user('sales@northwind.example');
      ok(await t.gql(SUPPLIER, ASSIGN, { userId: sales.id, role: name }));
      await refused(t, SUPPLIER, DELETE, { id }, 'CONFLICT', /held by 1 user/);
      ok(await t.gql(SUPPLIER, REVOKE, { userId: sales.id, role: name }));
      expect(ok(await t.gql(SUPPLIER, DELETE, { id })).deleteCustomRole).toBe(id);
      expect((await rolesAs(SUPPLIER)).map((r) => r.name)).not.toContain(name);
      const events = ok(await t.gql(OPERATOR, AUDIT, { accountId: northwind.id })).auditEvents.nodes.filter((e: { action: string }) => e.action === 'customRole.delete');
      expect(events[0].details).toEqual({ name });
      await refused(t, SUPPLIER, DELETE, { id }, 'NOT_FOUND');
    });

    it.each([
      { title: 'a partner Administrator, without customRoles:manage, is forbidden', as: 'admin@northwind.example', code: 'FORBIDDEN' },
      { title: 'another partner does not learn the role exists', as: 'admin@contoso.example', code: 'NOT_FOUND' },
    ])('delete: $title', async ({ as, code }) => {
      const { id } = await fresh();
      await refused(t, as, DELETE, { id }, code);
    });

    it('an unknown role is not found', async () => {
      await refused(t, SUPPLIER, UPDATE, { id: '00000000-0000-4000-8000-000000000000', input: { title: 'Ghost' } }, 'NOT_FOUND');
      await refused(t, SUPPLIER, DELETE, { id: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND');
    });
  });
});

