import { loadPolicy } from '../../src/config';
import { accountFacts } from '../../src/domain/facts';
import { exampleOperations } from '../../src/gateway/playground/examples';
import { PolicyEngine, type PrincipalFacts } from '../../src/policy';
import { addUser } from '../../src/storage/bootstrap';
import { AccountEntity, PartnerGroupEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, startTestPortico, type Caller, type GraphQLResult, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const SUPPLIER = 'supplier@platform.local';
const GROUP = 'id name rule { accountTypes modules roles customRoles settings }';
const CREATE = `mutation($input: PartnerGroupInput!) { createPartnerGroup(input: $input) { ${GROUP} } }`;
const UPDATE = `mutation($id: ID!, $input: PartnerGroupInput!) { updatePartnerGroup(id: $id, input: $input) { ${GROUP} } }`;
const DELETE = 'mutation($id: ID!) { deletePartnerGroup(id: $id) }';
const LIST = `query($first: Int, $after: String) { partnerGroups(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${GROUP} } } }`;
const MINE = '{ viewer { partnerGroups { name } } }';
const AUDIT = 'query($accountId: ID!) { auditEvents(accountId: $accountId, first: 100) { nodes { action targetType targetId details } } }';

const rule = (parts: Record<string, unknown> = {}) => ({ accountTypes: [], modules: [], roles: [], customRoles: [], settings: {}, ...parts });

describe('partner groups in the policies', () => {
  it.each([
    { title: 'unifyr: the platform team and supplier administrators manage them', preset: 'unifyr', holders: ['PLATFORM_OPERATOR', 'SUPPLIER_ADMINISTRATOR'] },
    { title: 'dstny: the platform operator alone', preset: 'dstny', holders: ['PLATFORM_OPERATOR'] },
    { title: 'appdirect: the platform operator alone', preset: 'appdirect', holders: ['PLATFORM_OPERATOR'] },
  ])('$title', ({ preset, holders }) => {
    const engine = new PolicyEngine(loadPolicy(preset));
    expect(engine.policy.actions.get('partnerGroups.manage')).toEqual(['partnerGroups:manage']);
    const platform = accountFacts(Object.assign(new AccountEntity(), { id: 'p', type: 'PLATFORM', status: 'ACTIVE', settings: {}, path: '/p/' }));
    const partner = accountFacts(Object.assign(new AccountEntity(), { id: 'a', type: 'PARTNER', status: 'ACTIVE', settings: {}, path: '/p/a/' }));
    const allowed = [...engine.policy.roles.values()]
      .filter((role) => {
        const on = role.accountType === 'PLATFORM' ? platform : { ...partner, type: role.accountType };
        const facts: PrincipalFacts = { userId: 'u', homeAccountId: on.id, active: true, assignments: [{ role: role.name, accountId: on.id, accountType: role.accountType, source: { kind: 'role' } }] };
        return engine.authorizeAction(facts, 'partnerGroups.manage', platform).allowed;
      })
      .map((role) => role.name);
    expect([...new Set(allowed)].sort()).toEqual([...holders].sort());
  });
});

describe.each(databaseKinds())('partner groups on %s', (kind) => {
  let t: TestPortico;
  let platform: AccountEntity;
  let northwind: AccountEntity;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'unifyr');
    const em = t.portico.services.db.manager;
    platform = await em.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
    northwind = await t.account('Northwind Solutions');
  });
  afterAll(() => t.stop());

  /** The table snapshot with the partner groups as they are stored. */
  const state = async () => {
    const groups = await t.portico.services.db.manager.find(PartnerGroupEntity, { order: { id: 'ASC' } });
    const tables = await t.snapshot();
    return { tables, audits: tables.audits, groups: groups.map((g) => ({ id: g.id, name: g.name, rule: g.rule, updatedAt: g.updatedAt.toISOString() })) };
  };
  const refusedGroup = async (as: Caller, query: string, variables: Record<string, unknown>, code: string): Promise<GraphQLResult> => {
    const before = await state();
    const result = await t.gql(as, query, variables);
    expect(codes(result)).toEqual([code]);
    expect(await state()).toEqual(before);
    return result;
  };
  const groupsOf = async (email: string) => (ok(await t.gql(email, MINE)).viewer.partnerGroups as Array<{ name: string }>).map((g) => g.name);
  const groupId = async (name: string) => (await t.portico.services.db.manager.findOneByOrFail(PartnerGroupEntity, { name })).id;

  it('the demo platform has its Gold partners group, listed with its rule for those who manage groups', async () => {
    for (const as of [OPERATOR, SUPPLIER]) {
      const list = ok(await t.gql(as, LIST)).partnerGroups;
      expect(list.totalCount).toBe(1);
      expect(list.nodes).toEqual([{ id: expect.any(String), name: 'Gold partners', rule: rule({ accountTypes: ['PARTNER'], modules: ['social'], roles: ['ADMINISTRATOR', 'MARKETING'] }) }]);
    }
  });

  it.each([
    { title: "a partner's Administrator", as: 'admin@northwind.example' },
    { title: 'Sales', as: 'sales@contoso.example' },
  ])('$title may not list, create, update or delete groups (FORBIDDEN, nothing changes)', async ({ as }) => {
    const id = await groupId('Gold partners');
    await refusedGroup(as, LIST, {}, 'FORBIDDEN');
    await refusedGroup(as, CREATE, { input: { name: 'Mine', rule: {} } }, 'FORBIDDEN');
    await refusedGroup(as, UPDATE, { id, input: { name: 'Mine', rule: {} } }, 'FORBIDDEN');
    await refusedGroup(as, DELETE, { id }, 'FORBIDDEN');
  });

  describe('membership is computed from the rule: account AND user, OR inside a part', () => {
    it.each([
      { title: 'a Northwind Administrator (social module on, ADMINISTRATOR) is a Gold partner', as: 'admin@northwind.example', groups: ['Gold partners'] },
      { title: 'Northwind Marketing is one too', as: 'marketing@northwind.example', groups: ['Gold partners'] },
      { title: 'Northwind Sales is not: no role of the rule', as: 'sales@northwind.example', groups: [] },
      { title: "Contoso's Administrator is not: social is off for Contoso", as: 'admin@contoso.example', groups: [] },
      { title: 'the supplier is in no partner group', as: SUPPLIER, groups: [] },
    ])('$title', async ({ as, groups }) => {
      expect(await groupsOf(as)).toEqual(groups);
    });

    it('the rule itself is for managers only: a member reads the name, and rule is UNAUTHORIZED_FIELD_OR_TYPE', async () => {
      const result = await t.gql('admin@northwind.example', '{ viewer { partnerGroups { name rule { roles } } } }');
      expect(result.data).toEqual({ viewer: { partnerGroups: [{ name: 'Gold partners', rule: null }] } });
      expect(codes(result)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    });

    it('a custom role the supplier defined, and settings switches, count as the rule says', async () => {
      const role = ok(await t.gql(SUPPLIER, 'mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { id name } }', {
        input: { accountId: northwind.id, accountType: 'PARTNER', name: 'BASIC', title: 'Basic', permissions: [] },
      })).createCustomRole;
      const sales = await t.user('sales@northwind.example');
      // An existing user's custom role is the supplier's to give (adminsMayAssignRoles covers new users only).
      ok(await t.gql(SUPPLIER, 'mutation($u: ID!) { assignRole(userId: $u, role: "BASIC") { id } }', { u: sales.id }));
      ok(await t.gql(SUPPLIER, CREATE, { input: { name: 'Basic users', rule: { customRoles: ['BASIC'] } } }));
      ok(await t.gql(SUPPLIER, CREATE, { input: { name: 'Sales who may assign', rule: { roles: ['SALES'], settings: { adminsMayAssignRoles: true } } } }));
      expect(await groupsOf('sales@northwind.example')).toEqual(['Basic users', 'Sales who may assign']);
      // Contoso's Sales holds SALES, but Contoso's Administrators may not assign roles, and it has no BASIC.
      expect(await groupsOf('sales@contoso.example')).toEqual([]);
      expect(await groupsOf('admin@northwind.example')).toEqual(['Gold partners']);
      // The role stays defined while the test below reads the groups; its holder keeps it.
      expect(role.name).toBe('BASIC');
    });
  });

  describe('createPartnerGroup', () => {
    it('the supplier creates a group; it is audited on the platform and listed in name order', async () => {
      const before = await state();
      const created = ok(await t.gql(SUPPLIER, CREATE, { input: { name: '  All partners  ', rule: { accountTypes: ['PARTNER', 'PARTNER'] } } })).createPartnerGroup;
      expect(created).toEqual({ id: expect.any(String), name: 'All partners', rule: rule({ accountTypes: ['PARTNER'] }) });
      const after = await state();
      expect(after.groups).toHaveLength(before.groups.length + 1);
      expect(after.audits).toBe(before.audits + 1);
      const events = ok(await t.gql(OPERATOR, AUDIT, { accountId: platform.id })).auditEvents.nodes.filter((e: { targetId: string }) => e.targetId === created.id);
      expect(events).toEqual([{ action: 'partnerGroup.create', targetType: 'PartnerGroup', targetId: created.id, details: { name: 'All partners', rule: rule({ accountTypes: ['PARTNER'] }) } }]);
      const names = ok(await t.gql(OPERATOR, LIST, { first: 100 })).partnerGroups.nodes.map((g: { name: string }) => g.name);
      expect(names).toEqual(['All partners', 'Basic users', 'Gold partners', 'Sales who may assign']);
      expect(await groupsOf('sales@contoso.example')).toEqual(['All partners']);
    });

    it.each([
      { title: 'an empty name', input: { name: '   ', rule: {} }, code: 'BAD_USER_INPUT', field: 'name' },
      { title: 'the PLATFORM account type', input: { name: 'X', rule: { accountTypes: ['PLATFORM'] } }, code: 'BAD_USER_INPUT', field: 'rule.accountTypes' },
      { title: 'an account type the policy has not', input: { name: 'X', rule: { accountTypes: ['CUSTOMER'] } }, code: 'BAD_USER_INPUT', field: 'rule.accountTypes' },
      { title: 'an unknown module', input: { name: 'X', rule: { modules: ['telepathy'] } }, code: 'BAD_USER_INPUT', field: 'rule.modules' },
      { title: 'an unknown role', input: { name: 'X', rule: { roles: ['SALES', 'WIZARD'] } }, code: 'BAD_USER_INPUT', field: 'rule.roles' },
      { title: 'a platform role', input: { name: 'X', rule: { roles: ['SUPPLIER_ADMINISTRATOR'] } }, code: 'BAD_USER_INPUT', field: 'rule.roles' },
      { title: 'an unknown custom role', input: { name: 'X', rule: { customRoles: ['NOPE'] } }, code: 'BAD_USER_INPUT', field: 'rule.customRoles' },
      { title: 'a setting the policy does not read', input: { name: 'X', rule: { settings: { colour: true } } }, code: 'BAD_USER_INPUT', field: 'rule.settings.colour' },
      { title: 'a switch that is not true or false', input: { name: 'X', rule: { settings: { adminsMayAssignRoles: 'yes' } } }, code: 'BAD_USER_INPUT', field: 'rule.settings.adminsMayAssignRoles' },
      { title: 'a name taken, in another case', input: { name: 'GOLD PARTNERS', rule: {} }, code: 'CONFLICT', field: 'name' },
    ])('refuses $title with $code and changes nothing', async ({ input, code, field }) => {
      const result = await refusedGroup(SUPPLIER, CREATE, { input }, code);
      expect(result.errors![0].extensions).toMatchObject({ field });
    });

    it('two requests creating the same name at once: one group, the other CONFLICT', async () => {
      const before = await state();
      const input = { name: 'Platinum partners', rule: { roles: ['ADMINISTRATOR'] } };
      const results = await Promise.all([t.gql(SUPPLIER, CREATE, { input }), t.gql(OPERATOR, CREATE, { input })]);
      expect(results.map((r) => codes(r)[0] ?? 'OK').sort()).toEqual(['CONFLICT', 'OK']);
      const after = await state();
      expect(after.groups.filter((g) => g.name === 'Platinum partners')).toHaveLength(1);
      expect(after.audits).toBe(before.audits + 1);
    });
  });

  describe('updatePartnerGroup and deletePartnerGroup', () => {
    it('replacing the rule changes who is a member from the next request, audited with what changed', async () => {
      const id = await groupId('Gold partners');
      expect(await groupsOf('sales@northwind.example')).not.toContain('Gold partners');
      const before = await state();
      const updated = ok(await t.gql(OPERATOR, UPDATE, { id, input: { name: 'Gold partners', rule: { modules: ['social'], roles: ['ADMINISTRATOR', 'MARKETING', 'SALES'] } } })).updatePartnerGroup;
      expect(updated.rule.roles).toEqual(['ADMINISTRATOR', 'MARKETING', 'SALES']);
      expect((await state()).audits).toBe(before.audits + 1);
      expect(await groupsOf('sales@northwind.example')).toContain('Gold partners');
      const events = ok(await t.gql(OPERATOR, AUDIT, { accountId: platform.id })).auditEvents.nodes.filter((e: { targetId: string; action: string }) => e.targetId === id && e.action === 'partnerGroup.update');
      expect(events[0].details.rule.to.roles).toEqual(['ADMINISTRATOR', 'MARKETING', 'SALES']);
      // Put back as seeded, for the other tests.
      ok(await t.gql(OPERATOR, UPDATE, { id, input: { name: 'Gold partners', rule: { accountTypes: ['PARTNER'], modules: ['social'], roles: ['ADMINISTRATOR', 'MARKETING'] } } }));
      expect(await groupsOf('sales@northwind.example')).not.toContain('Gold partners');
    });

    it.each([
      { title: 'an unknown id is NOT_FOUND', id: 'no-such-group', input: { name: 'X', rule: {} }, code: 'NOT_FOUND' },
      { title: "another group's name is CONFLICT", id: 'Gold partners', input: { name: 'all PARTNERS', rule: {} }, code: 'CONFLICT' },
      { title: 'a bad rule is BAD_USER_INPUT', id: 'Gold partners', input: { name: 'Gold partners', rule: { modules: ['nope'] } }, code: 'BAD_USER_INPUT' },
    ])('update: $title, and nothing changes', async ({ id, input, code }) => {
      const target = id === 'no-such-group' ? id : await groupId(id);
      await refusedGroup(SUPPLIER, UPDATE, { id: target, input }, code);
    });

    it('delete: gone from the list and from its members, audited; a second delete is NOT_FOUND', async () => {
      const id = await groupId('All partners');
      const before = await state();
      expect(ok(await t.gql(SUPPLIER, DELETE, { id })).deletePartnerGroup).toBe(id);
      const after = await state();
      expect(after.groups).toHaveLength(before.groups.length - 1);
      expect(after.audits).toBe(before.audits + 1);
      expect(await groupsOf('sales@contoso.example')).toEqual([]);
      await refusedGroup(SUPPLIER, DELETE, { id }, 'NOT_FOUND');
    });
  });

  it('partnerGroups pages in name order with a stable totalCount', async () => {
    const first = ok(await t.gql(OPERATOR, LIST, { first: 2 })).partnerGroups;
    expect(first.totalCount).toBe(4);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = ok(await t.gql(OPERATOR, LIST, { first: 2, after: first.pageInfo.endCursor })).partnerGroups;
    expect(second.totalCount).toBe(4);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect([...first.nodes, ...second.nodes].map((g: { name: string }) => g.name)).toEqual(['Basic users', 'Gold partners', 'Platinum partners', 'Sales who may assign']);
  });

  describe('User.partnerGroups', () => {
    const DIRECTORY = 'query($first: Int!) { users(first: $first, filter: { underAccountId: $northwind }) { nodes { email partnerGroups { name } } } }';
    const query = (first: number) => t.gql(SUPPLIER, DIRECTORY.replace('$northwind', JSON.stringify(northwind.id)), { first });

    beforeAll(async () => {
      const em = t.portico.services.db.manager;
      await t.portico.services.db.transaction(async (tx) => {
        for (let i = 0; i < 40; i++) await addUser(tx, northwind, { email: `marketer${String(i).padStart(2, '0')}@northwind.example`, name: `Marketer ${i}`, roles: ['MARKETING'] });
      });
      expect(await em.countBy(AccountEntity, { id: northwind.id })).toBe(1);
    });

    it("is each user's groups, as their own viewer shows them", async () => {
      const nodes = ok(await query(100)).users.nodes as Array<{ email: string; partnerGroups: Array<{ name: string }> }>;
      const byEmail = new Map(nodes.map((n) => [n.email, n.partnerGroups.map((g) => g.name)]));
      for (const email of ['admin@northwind.example', 'marketing@northwind.example', 'sales@northwind.example', 'marketer07@northwind.example']) {
        expect(byEmail.get(email)).toEqual(email.startsWith('marketer0') ? ['Gold partners'] : await groupsOf(email));
      }
      expect(byEmail.get('rep@northwind.example')).toEqual([]);
    });

    it('a page of 40 users with their groups costs as many statements as a page of 5', async () => {
      const statements = async (first: number) => {
        await t.token(SUPPLIER);
        const counter = t.portico.services.db.statements;
        const token = await t.token(SUPPLIER);
        counter.reset();
        const response = await t.raw({ token, body: JSON.stringify({ query: DIRECTORY.replace('$northwind', JSON.stringify(northwind.id)), variables: { first } }) });
        const count = counter.count;
        const json = (await response.json()) as { data: { users: { nodes: unknown[] } }; errors?: unknown };
        expect(json.errors).toBeUndefined();
        expect(json.data.users.nodes).toHaveLength(first);
        return count;
      };
      const small = await statements(5);
      const large = await statements(40);
      expect(large).toBe(small);
    });

    it('is null like the user for someone who may not see them', async () => {
      const sales = await t.user('sales@northwind.example');
      const result = await t.gql('admin@contoso.example', 'query($id: ID!) { user(id: $id) { partnerGroups { name } } }', { id: sales.id });
      expect(result.data).toEqual({ user: null });
    });
  });

  it("the playground's CreatePartnerGroup tab runs as written for the user it names", async () => {
    const tab = (await exampleOperations('unifyr', t.portico.services.db.manager)).find((example) => example.title === 'CreatePartnerGroup')!;
    expect(tab.runAs).toBe(SUPPLIER);
    const created = ok(await t.gql(tab.runAs!, tab.query, JSON.parse(tab.variables!))).createPartnerGroup;
    expect(created).toMatchObject({ name: 'Deal desks', rule: rule({ accountTypes: ['PARTNER'], modules: ['deals'], roles: ['ADMINISTRATOR', 'SALES'] }) });
    // Contoso has deals on: its Sales is a member; Northwind's Marketing holds neither role.
    expect(await groupsOf('sales@contoso.example')).toContain('Deal desks');
    expect(await groupsOf('marketing@northwind.example')).not.toContain('Deal desks');
  });
});

describe.each(databaseKinds())('partner groups in dstny (the operator alone manages them) on %s', (kind) => {
  let t: TestPortico;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
  });
  afterAll(() => t.stop());

  it('the operator defines a group of partner managers; a partner administrator may not; a session is in no group', async () => {
    const before = await t.snapshot();
    const denied = await t.gql('ppa@northwind.example', CREATE, { input: { name: 'Managers', rule: { roles: ['PARTNER_PORTAL_MANAGER'] } } });
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    expect(await t.snapshot()).toEqual(before);

    ok(await t.gql(OPERATOR, CREATE, { input: { name: 'Managers', rule: { roles: ['PARTNER_PORTAL_MANAGER'] } } }));
    const mine = async (as: Caller) => (ok(await t.gql(as, MINE)).viewer.partnerGroups as Array<{ name: string }>).map((g) => g.name);
    expect(await mine('ppm@northwind.example')).toEqual(['Managers']);
    expect(await mine('ppa@northwind.example')).toEqual([]);

    // In an impersonation session the partner manager acts with the grant's rights only, and in no group.
    const acme = await t.account('Acme Logistics');
    const northwind = await t.account('Northwind Telecom');
    ok(await t.gql('admin@acme.example', 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }', { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:create'] } }));
    const started = ok(await t.gql('ppm@northwind.example', 'mutation($c: ID!) { startImpersonation(customerAccountId: $c, reason: "groups check") { token } }', { c: acme.id })).startImpersonation;
    expect(await mine({ token: started.token })).toEqual([]);
  });
});
