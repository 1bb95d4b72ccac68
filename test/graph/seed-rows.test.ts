import { randomUUID } from 'crypto';
import { CustomRoleEntity, RoleAssignmentEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, startTestPortico, type TestPortico } from '../support/portico';

// The seed rows the policies now decide, each allowed and refused through the GraphQL API.
const OPERATOR = 'admin@platform.local';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id roles canLogin } }';
const ROLES = '{ roles { name } }';
const AUTHORIZE = 'query($checks: [AuthorizationCheckInput!]!) { authorize(checks: $checks) { permission allowed } }';
const AUDIT = 'query($accountId: ID!, $filter: AuditEventFilter) { auditEvents(accountId: $accountId, filter: $filter, first: 100) { nodes { action subjectAccountId } } }';
const CREATE_ACCOUNT = 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id type } }';
const CREATE_ROLE = 'mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { name permissions { permission } } }';

describe.each(databaseKinds())('appdirect seed rows on %s', (kind) => {
  let t: TestPortico;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'appdirect');
  });
  afterAll(() => t?.stop());

  describe('only holders of a portal role use the portal', () => {
    let noRole: string;
    beforeAll(async () => {
      const acme = await t.account('Acme Retail');
      const invited = ok(await t.gql('am@acme.example', INVITE, { input: { accountId: acme.id, email: 'norole@acme.example', name: 'No Role', roles: [] } })).inviteUser;
      expect(invited).toMatchObject({ roles: [], canLogin: false });
      noRole = invited.id;
    });

    it.each([
      { title: 'viewer', query: '{ viewer { user { email } } }' },
      { title: 'the role catalogue', query: ROLES },
    ])('a user with no role is refused at sign-in (UNAUTHENTICATED, saying why): $title', async ({ query }) => {
      const result = await t.gql('norole@acme.example', query);
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
      expect(result.errors![0].message).toMatch(/holds no role of the appdirect portal: only users holding one may sign in/);
      expect(result.data ?? null).toBeNull();
      // The invitation is not accepted by a refused sign-in.
      expect((await t.user('norole@acme.example')).status).toBe('INVITED');
    });

    it('once given a role, the same user signs in and reads the role catalogue', async () => {
      ok(await t.gql('am@acme.example', 'mutation($u: ID!) { assignRole(userId: $u, role: "SUBSCRIPTION_MANAGER") { id } }', { u: noRole }));
      const roles = ok(await t.gql('norole@acme.example', ROLES)).roles.map((r: { name: string }) => r.name);
      expect(roles).toContain('SUBSCRIPTION_MANAGER');
      expect((await t.user('norole@acme.example')).status).toBe('ACTIVE');
    });
  });

  describe("the partner's Technical Manager reads the event logs of the organizations it creates, changes, suspends and deletes", () => {
    let orgId: string;
    let northwindId: string;
    beforeAll(async () => {
      northwindId = (await t.account('Northwind Cloud')).id;
      orgId = ok(await t.gql('tech@northwind.example', CREATE_ACCOUNT, { input: { type: 'CUSTOMER', name: 'Tech Made Org', parentId: northwindId } })).createAccount.id;
      ok(await t.gql('tech@northwind.example', 'mutation($id: ID!) { updateAccount(id: $id, input: { name: "Tech Made Org Ltd" }) { id } }', { id: orgId }));
      ok(await t.gql('tech@northwind.example', 'mutation($id: ID!) { setAccountStatus(id: $id, status: SUSPENDED) { id } }', { id: orgId }));
      ok(await t.gql('tech@northwind.example', 'mutation($id: ID!) { setAccountStatus(id: $id, status: ACTIVE) { id } }', { id: orgId }));
    });
    const actions = (result: Record<string, any>) =>
      (result.auditEvents.nodes as Array<{ action: string; subjectAccountId: string }>).filter((n) => n.subjectAccountId === orgId).map((n) => n.action).sort();

    it('while the organization exists', async () => {
      expect(actions(ok(await t.gql('tech@northwind.example', AUDIT, { accountId: orgId })))).toEqual(['account.create', 'account.setStatus', 'account.setStatus', 'account.update']);
    });

    it('once it is deleted: in the roll-up of the partner (includeDescendants), where it stood', async () => {
      const before = ok(await t.gql('tech@northwind.example', AUDIT, { accountId: northwindId, filter: { includeDescendants: true } }));
      expect(actions(before)).toEqual(['account.create', 'account.setStatus', 'account.setStatus', 'account.update']);
      ok(await t.gql('tech@northwind.example', 'mutation($id: ID!) { deleteAccount(id: $id) }', { id: orgId }));
      expect(await t.gql('tech@northwind.example', '{ account(id: "' + orgId + '") { id } }').then((r) => r.data!.account)).toBeNull();
      const rollUp = ok(await t.gql('tech@northwind.example', AUDIT, { accountId: northwindId, filter: { includeDescendants: true } }));
      expect(actions(rollUp)).toEqual(['account.create', 'account.setStatus', 'account.setStatus', 'account.update']);
      expect(rollUp.auditEvents.nodes.some((n: { action: string; subjectAccountId: string }) => n.action === 'account.delete' && n.subjectAccountId === northwindId)).toBe(true);
      // The partner's Account Manager reads it there too; a roll-up from the sub-partner's side does not reach it.
      expect(actions(ok(await t.gql('am@northwind.example', AUDIT, { accountId: northwindId, filter: { includeDescendants: true } })))).toHaveLength(4);
    });

    it("the partner's Subscription Manager's roll-up leaves it out: its event logs are its own account's", async () => {
      expect(actions(ok(await t.gql('subs@northwind.example', AUDIT, { accountId: northwindId, filter: { includeDescendants: true } })))).toEqual([]);
    });

    it.each([
      { title: "another partner's Account Manager (NOT_FOUND)", who: 'am@contoso.example', code: 'NOT_FOUND' },
      { title: "the partner's Billing Manager, who reads no event logs (FORBIDDEN)", who: 'billing@northwind.example', code: 'FORBIDDEN' },
    ])("the partner's roll-up stays closed to $title", async ({ who, code }) => {
      expect(codes(await t.gql(who, AUDIT, { accountId: northwindId, filter: { includeDescendants: true } }))).toEqual([code]);
    });
  });

  describe('the affiliate Technical Manager acts for its customers, not on the affiliate', () => {
    const PERMISSIONS = ['offers:add', 'offers:remove', 'eventLogs:read', 'users:read', 'notifications:read', 'offers:read', 'offers:readRetailPrice'];

    it.each([
      { title: 'on its customer Fabrikam Client: all of them', account: 'Fabrikam Client', allowed: true },
      { title: 'on the affiliate Fabrikam Affiliates itself: none', account: 'Fabrikam Affiliates', allowed: false },
    ])('$title', async ({ account, allowed }) => {
      const accountId = (await t.account(account)).id;
      const decisions = ok(await t.gql('tech@fabrikam.example', AUTHORIZE, { checks: PERMISSIONS.map((permission) => ({ permission, accountId })) })).authorize;
      expect(decisions).toEqual(PERMISSIONS.map((permission) => ({ permission, allowed })));
    });

    it('the role catalogue says so: every permission of the role applies below the affiliate only', async () => {
      const roles = ok(await t.gql('am@fabrikam.example', '{ roles(accountType: AFFILIATE) { name permissions { permission descendants ownAccount } } }')).roles;
      const technical = roles.find((r: { name: string }) => r.name === 'TECHNICAL_MANAGER');
      expect(technical.permissions.map((p: { permission: string }) => p.permission).sort()).toEqual([...PERMISSIONS].sort());
      expect(technical.permissions.every((p: { descendants: boolean; ownAccount: boolean }) => p.descendants && !p.ownAccount)).toBe(true);
    });

    it("reads its customers' event logs, and is refused the affiliate's (FORBIDDEN)", async () => {
      const client = await t.account('Fabrikam Client');
      const affiliate = await t.account('Fabrikam Affiliates');
      ok(await t.gql('tech@fabrikam.example', AUDIT, { accountId: client.id }));
      expect(codes(await t.gql('tech@fabrikam.example', AUDIT, { accountId: affiliate.id }))).toEqual(['FORBIDDEN']);
      // Its own account's Account Manager still reads both.
      ok(await t.gql('am@fabrikam.example', AUDIT, { accountId: affiliate.id }));
    });
  });
});

describe.each(databaseKinds())('unifyr custom roles capped by the policy on %s', (kind) => {
  let t: TestPortico;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'unifyr');
  });
  afterAll(() => t?.stop());

  it.each([
    { title: 'settings:manage', permission: 'settings:manage' },
    { title: 'rights:assign', permission: 'rights:assign' },
    { title: 'salesReps:manage (Sales Reps are managed in Settings)', permission: 'salesReps:manage' },
    { title: 'users:manage (the team)', permission: 'users:manage' },
  ])('the supplier, who holds it, cannot put $title in a custom role (BAD_USER_INPUT), and nothing changes', async ({ permission }) => {
    const northwind = await t.account('Northwind Solutions');
    const before = await t.snapshot();
    const result = await t.gql('supplier@platform.local', CREATE_ROLE, { input: { accountId: northwind.id, accountType: 'PARTNER', name: 'SETTINGS_KEEPER', title: 'Settings keeper', permissions: [{ permission: 'content:read' }, { permission }] } });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toContain(`a custom role of PARTNER accounts may not carry ${permission}`);
    expect(result.errors![0].extensions).toMatchObject({ field: 'permissions', permission });
    expect(await t.snapshot()).toEqual(before);
  });

  it("a custom role stored before the cap with settings:manage and rights:assign gives neither: the Marketing user holding it cannot change the partner's CRM settings", async () => {
    const em = t.portico.services.db.manager;
    const northwind = await t.account('Northwind Solutions');
    const marketing = await t.user('marketing@northwind.example');
    const supplier = await t.user('supplier@platform.local');
    const roleId = randomUUID();
    await em.insert(CustomRoleEntity, { id: roleId, ownerAccountId: northwind.id, accountType: 'PARTNER', name: 'CRM_KEEPER', title: 'CRM keeper', grants: [{ permission: 'settings:manage', descendants: false }, { permission: 'rights:assign', descendants: false }], createdByUserId: supplier.id });
    await em.insert(RoleAssignmentEntity, { id: randomUUID(), userId: marketing.id, accountId: northwind.id, role: 'CRM_KEEPER', customRoleId: roleId });
    const decisions = ok(await t.gql('marketing@northwind.example', AUTHORIZE, { checks: ['settings:manage', 'rights:assign', 'contacts:add'].map((permission) => ({ permission, accountId: northwind.id })) })).authorize;
    expect(decisions).toEqual([
      { permission: 'settings:manage', allowed: false },
      { permission: 'rights:assign', allowed: false },
      { permission: 'contacts:add', allowed: true },
    ]);
    const before = await t.snapshot();
    const result = await t.gql('marketing@northwind.example', 'mutation($id: ID!) { updateAccount(id: $id, input: { settings: { crmApiKey: "sk-123" } }) { id } }', { id: northwind.id });
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(await t.snapshot()).toEqual(before);
  });

  it('a custom-role-only user has no Settings, yet sees the portal areas its account\'s site configuration allows', async () => {
    const contoso = await t.account('Contoso Resellers');
    ok(await t.gql('supplier@platform.local', CREATE_ROLE, { input: { accountId: contoso.id, accountType: 'PARTNER', name: 'BASIC', title: 'Basic', permissions: [{ permission: 'content:read' }] } }));
    ok(await t.gql('supplier@platform.local', INVITE, { input: { accountId: contoso.id, email: 'basic@contoso.example', name: 'Basic User', roles: ['BASIC'] } }));
    const { viewer } = ok(await t.gql('basic@contoso.example', '{ viewer { roles portalAreas } }'));
    expect(viewer).toEqual({ roles: ['BASIC'], portalAreas: ['leads', 'deals', 'content'] });
    const decisions = ok(await t.gql('basic@contoso.example', AUTHORIZE, { checks: ['settings:manage', 'rights:assign', 'content:read'].map((permission) => ({ permission, accountId: contoso.id })) })).authorize;
    expect(decisions).toEqual([
      { permission: 'settings:manage', allowed: false },
      { permission: 'rights:assign', allowed: false },
      { permission: 'content:read', allowed: true },
    ]);
    // Northwind has no modules set: the policy's defaults, all of them.
    expect(ok(await t.gql('sales@northwind.example', '{ viewer { portalAreas } }')).viewer.portalAreas).toEqual(['leads', 'deals', 'campaigns', 'contactLists', 'content', 'social']);
  });
});

describe.each(databaseKinds())('dstny: who appoints administrators and creates customer accounts on %s', (kind) => {
  let t: TestPortico;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
  });
  afterAll(() => t?.stop());

  it.each([
    { title: "a Portal Administrator appoints a co-Portal Administrator: CONFLICT (Dstny appoints them)", as: 'admin@acme.example', target: 'fleet@acme.example', role: 'PORTAL_ADMINISTRATOR', code: 'CONFLICT' },
    { title: 'a Partner Portal Administrator appoints a co-Partner Portal Administrator: CONFLICT', as: 'ppa@northwind.example', target: 'ppm@northwind.example', role: 'PARTNER_PORTAL_ADMINISTRATOR', code: 'CONFLICT' },
    { title: 'the platform operator appoints a co-Portal Administrator', as: OPERATOR, target: 'fleet@acme.example', role: 'PORTAL_ADMINISTRATOR', code: undefined },
    { title: 'the platform operator appoints a Partner Portal Administrator', as: OPERATOR, target: 'ppm@northwind.example', role: 'PARTNER_PORTAL_ADMINISTRATOR', code: undefined },
  ])('$title', async ({ as, target, role, code }) => {
    const user = await t.user(target);
    const before = await t.snapshot();
    const result = await t.gql(as, 'mutation($u: ID!, $r: String!) { assignRole(userId: $u, role: $r) { roles } }', { u: user.id, r: role });
    if (code) {
      expect(codes(result)).toEqual([code]);
      expect(result.errors![0].message).toMatch(/assignable only by PLATFORM_OPERATOR|the platform operator/);
      expect(await t.snapshot()).toEqual(before);
    } else expect(ok(result).assignRole.roles).toContain(role);
  });

  it.each([
    { title: "a Partner Portal Administrator, under its partner", as: 'ppa@contoso.example', parent: 'Contoso Networks', code: undefined },
    { title: "a Partner Portal Administrator, under another partner", as: 'ppa@contoso.example', parent: 'Northwind Telecom', code: 'NOT_FOUND' },
    { title: 'a Partner Portal User, under its partner', as: 'ppu@northwind.example', parent: 'Northwind Telecom', code: 'FORBIDDEN' },
    { title: 'a Portal Administrator, under its customer', as: 'admin@acme.example', parent: 'Acme Logistics', code: 'FORBIDDEN' },
  ])('creating a customer account: $title', async ({ as, parent, code }) => {
    const parentId = (await t.account(parent)).id;
    const before = await t.snapshot();
    const result = await t.gql(as, CREATE_ACCOUNT, { input: { type: 'CUSTOMER', name: `New customer of ${as}`, parentId } });
    if (code) {
      expect(codes(result)).toEqual([code]);
      expect(await t.snapshot()).toEqual(before);
    } else {
      expect(ok(result).createAccount.type).toBe('CUSTOMER');
      expect(await t.snapshot()).toMatchObject({ accounts: before.accounts + 1 });
    }
  });

  it('a Partner Portal Administrator creates no partner account', async () => {
    const contoso = await t.account('Contoso Networks');
    const result = await t.gql('ppa@contoso.example', CREATE_ACCOUNT, { input: { type: 'PARTNER', name: 'Sub of Contoso', parentId: contoso.id } });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
  });
});
