import { randomUUID } from 'crypto';
import { addAccount, addUser } from '../../src/storage/bootstrap';
import { AccountEntity, CustomRoleEntity, RoleAssignmentEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const SUPPLIER = 'supplier@platform.local';
const OPERATOR = 'admin@platform.local';
const ASSIGNABLE = 'query($userId: ID!) { assignableRoles(userId: $userId) { id name custom } }';
const ASSIGN = 'mutation($userId: ID!, $role: String!) { assignRole(userId: $userId, role: $role) { id } }';
const FLAGS = 'query($id: ID!) { user(id: $id) { viewerCanEdit viewerCanSuspend viewerCanAssignRoles viewerCanSetContactRoles } }';
const DIRECTORY = `query($filter: UserFilter, $first: Int) {
  users(filter: $filter, first: $first) { nodes { email viewerCanEdit viewerCanSuspend viewerCanAssignRoles viewerCanSetContactRoles } }
}`;

describe.each(databaseKinds())('assignable roles and capability flags on %s', (kind) => {
  describe.each(['dstny', 'appdirect', 'unifyr'])('%s', (preset) => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, preset);
      const { policy } = t.portico.services.engine;
      // A custom role defined by the supplier, so the property covers tenant roles too.
      if (policy.customRoles) {
        const type = policy.customRoles.accountTypes[0];
        const platform = (await t.portico.services.db.manager.findOneByOrFail(UserEntity, { email: OPERATOR })).accountId;
        const permission = policy.accountTypes.get(type)!.permissions.find((p) => !policy.moduleOf.get(p) && policy.customRoles!.mayCarry.get(type)!.has(p))!;
        ok(await t.gql(OPERATOR, 'mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { id } }', {
          input: { accountId: platform, accountType: type, name: 'REVIEWER', title: 'Reviewer', permissions: [{ permission }] },
        }));
      }
    });
    afterAll(() => t?.stop());

    it('lists, for every seeded caller and target, exactly the roles assignRole accepts', async () => {
      const em = t.portico.services.db.manager;
      const users = await em.find(UserEntity, { order: { email: 'ASC' } });
      const customRoles = await em.find(CustomRoleEntity);
      const tokens = new Map<string, string>();
      // A Sales Rep never signs in: their token is refused before any decision.
      for (const u of users.filter((u) => !u.email.startsWith('rep@'))) tokens.set(u.email, await t.token(u.email));
      let compared = 0;
      let accepted = 0;
      for (const [email, token] of tokens) {
        for (const target of users) {
          const account = await em.findOneByOrFail(AccountEntity, { id: target.accountId });
          const candidates = [
            ...t.portico.services.engine.rolesOf(account.type).map((r) => r.name),
            ...customRoles.filter((c) => c.accountType === account.type).map((c) => c.name),
          ];
          const listed = await t.gql({ token }, ASSIGNABLE, { userId: target.id });
          const held = new Set((await em.findBy(RoleAssignmentEntity, { userId: target.id })).map((r) => r.role));
          const accepts: string[] = [];
          for (const role of candidates) {
            const result = await t.gql({ token }, ASSIGN, { userId: target.id, role });
            if (result.errors) continue;
            accepts.push(role);
            // Undo the assignment so the next case starts from the seed again.
            if (!held.has(role)) await em.delete(RoleAssignmentEntity, { userId: target.id, role });
          }
          if (listed.errors) {
            // A target the caller may not see: listed nowhere, and assignRole finds no such user either.
            expect({ email, target: target.email, codes: codes(listed) }).toEqual({ email, target: target.email, codes: ['NOT_FOUND'] });
            expect(accepts).toEqual([]);
          } else {
            const names = (listed.data!.assignableRoles as Array<{ name: string }>).map((r) => r.name).sort();
            expect({ email, target: target.email, roles: names }).toEqual({ email, target: target.email, roles: accepts.sort() });
          }
          compared++;
          accepted += accepts.length;
        }
      }
      // The property is not vacuous: some roles were accepted, and many refused.
      expect(compared).toBe(tokens.size * users.length);
      expect(accepted).toBeGreaterThan(0);
    }, 600_000);
  });
  describe('unifyr', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'unifyr');
    });
    afterAll(() => t?.stop());

    it('lists a custom role with its id, assignable by the roles the policy names', async () => {
      const platform = (await t.user(OPERATOR)).accountId;
      const created = ok(await t.gql(OPERATOR, 'mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { id name } }', {
        input: { accountId: platform, accountType: 'PARTNER', name: 'CONTACT_KEEPER', title: 'Contact keeper', permissions: [{ permission: 'contacts:add' }] },
      })).createCustomRole;
      expect(created.id).toEqual(expect.any(String));
      const { id } = await t.user('sales@northwind.example');
      const listed = ok(await t.gql(SUPPLIER, ASSIGNABLE, { userId: id })).assignableRoles as Array<{ id: string | null; name: string; custom: boolean }>;
      expect(listed.find((r) => r.name === 'CONTACT_KEEPER')).toEqual({ id: created.id, name: 'CONTACT_KEEPER', custom: true });
      expect(listed.filter((r) => !r.custom).every((r) => r.id === null)).toBe(true);
      ok(await t.gql(SUPPLIER, ASSIGN, { userId: id, role: 'CONTACT_KEEPER' }));
    });

    it("lists for a partner's Administrator only Administrative access on an existing user, whatever adminsMayAssignRoles says", async () => {
      for (const [admin, target] of [['admin@northwind.example', 'marketing@northwind.example'], ['admin@contoso.example', 'sales@contoso.example']]) {
        const { id } = await t.user(target);
        const listed = ok(await t.gql(admin, ASSIGNABLE, { userId: id })).assignableRoles as Array<{ name: string }>;
        // Sales Reps too: their Administrator manages them (salesReps:manage).
        expect(listed.map((r) => r.name).sort()).toEqual(['ADMINISTRATOR', 'SALES_REP']);
      }
    });
  });

  describe('dstny', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
    });
    afterAll(() => t?.stop());

    const names = (data: { assignableRoles: Array<{ name: string }> }) => data.assignableRoles.map((r) => r.name).sort();

    it.each([
      { title: 'a Portal Administrator may give a colleague the roles it assigns (not its own, which the operator assigns)', as: 'admin@acme.example', target: 'fleet@acme.example', expected: ['FLEET_ADMINISTRATOR', 'INSIGHT_USER'] },
      { title: 'the operator may give a customer user every customer role', as: OPERATOR, target: 'billing@acme.example', expected: ['FLEET_ADMINISTRATOR', 'INSIGHT_USER', 'PORTAL_ADMINISTRATOR'] },
      { title: 'a Partner Portal Administrator may give its colleagues the partner roles it assigns', as: 'ppa@northwind.example', target: 'ppu@northwind.example', expected: ['PARTNER_PORTAL_MANAGER', 'PARTNER_PORTAL_USER'] },
      { title: 'a Fleet Administrator may give itself nothing', as: 'fleet@acme.example', target: 'fleet@acme.example', expected: [] },
    ])('$title', async ({ as, target, expected }) => {
      const { id } = await t.user(target);
      expect(names(ok(await t.gql(as, ASSIGNABLE, { userId: id })))).toEqual(expected);
    });

    it('an Insight User is not assignable before the account has a Portal Administrator, and is once it has one', async () => {
      const em = t.portico.services.db.manager;
      const account = await addAccount(em, await t.account('Northwind Telecom'), 'CUSTOMER', `Fresh ${randomUUID().slice(0, 8)}`);
      const user = await addUser(em, account, { email: `fleet-${account.id.slice(0, 8)}@example.test`, name: 'Fleet', roles: ['FLEET_ADMINISTRATOR'] });
      expect(names(ok(await t.gql(OPERATOR, ASSIGNABLE, { userId: user.id })))).toEqual(['FLEET_ADMINISTRATOR', 'PORTAL_ADMINISTRATOR']);
      await refused(t, OPERATOR, ASSIGN, { userId: user.id, role: 'INSIGHT_USER' }, 'CONFLICT');
      ok(await t.gql(OPERATOR, ASSIGN, { userId: user.id, role: 'PORTAL_ADMINISTRATOR' }));
      expect(names(ok(await t.gql(OPERATOR, ASSIGNABLE, { userId: user.id })))).toEqual(['FLEET_ADMINISTRATOR', 'INSIGHT_USER', 'PORTAL_ADMINISTRATOR']);
    });

    it.each([
      { title: 'a user of another customer is not found', as: 'admin@globex.example', target: 'fleet@acme.example' },
      { title: 'a partner\'s user is not found for another partner', as: 'ppa@contoso.example', target: 'ppu@northwind.example' },
    ])('$title', async ({ as, target }) => {
      const { id } = await t.user(target);
      expect(codes(await t.gql(as, ASSIGNABLE, { userId: id }))).toEqual(['NOT_FOUND']);
    });

    it('an unknown user is not found, and nobody signed in is unauthenticated', async () => {
      expect(codes(await t.gql(OPERATOR, ASSIGNABLE, { userId: randomUUID() }))).toEqual(['NOT_FOUND']);
      const { id } = await t.user('fleet@acme.example');
      expect(codes(await t.gql(null, ASSIGNABLE, { userId: id }))).toEqual(['UNAUTHENTICATED']);
    });

    it.each([
      { title: 'a Portal Administrator may do everything to a colleague', as: 'admin@acme.example', target: 'fleet@acme.example', expected: { viewerCanEdit: true, viewerCanSuspend: true, viewerCanAssignRoles: true, viewerCanSetContactRoles: true } },
      { title: 'a Partner Portal Administrator manages its colleagues', as: 'ppa@northwind.example', target: 'ppu@northwind.example', expected: { viewerCanEdit: true, viewerCanSuspend: true, viewerCanAssignRoles: true, viewerCanSetContactRoles: true } },
      { title: 'a Fleet Administrator may change nothing about itself', as: 'fleet@acme.example', target: 'fleet@acme.example', expected: { viewerCanEdit: false, viewerCanSuspend: false, viewerCanAssignRoles: false, viewerCanSetContactRoles: false } },
      { title: 'a Partner Portal User may change nothing about itself', as: 'ppu@northwind.example', target: 'ppu@northwind.example', expected: { viewerCanEdit: false, viewerCanSuspend: false, viewerCanAssignRoles: false, viewerCanSetContactRoles: false } },
    ])('flags: $title', async ({ as, target, expected }) => {
      const { id } = await t.user(target);
      const flags = ok(await t.gql(as, FLAGS, { id })).user;
      expect(flags).toEqual(expected);
      // The flags say what the mutations then do.
      const mutation = 'mutation($userId: ID!, $roles: [ContactRole!]!) { setContactRoles(userId: $userId, roles: $roles) { id } }';
      const contactRoles = (await t.gql(OPERATOR, 'query($id: ID!) { user(id: $id) { contactRoles } }', { id })).data!.user.contactRoles;
      const result = await t.gql(as, mutation, { userId: id, roles: contactRoles });
      expect(codes(result)).toEqual(expected.viewerCanSetContactRoles ? [] : ['FORBIDDEN']);
    });

    it('a page of 100 users with the four flags costs as many statements as a page of 10', async () => {
      const partner = await t.account('Northwind Telecom');
      await t.portico.services.db.transaction(async (tx) => {
        for (let i = 0; i < 20; i++) {
          const customer = await addAccount(tx, partner, 'CUSTOMER', `Flags ${randomUUID().slice(0, 6)}`);
          for (let j = 0; j < 11; j++) await addUser(tx, customer, { email: `f${i}-${j}@flags.example`, name: `F ${i} ${j}`, roles: j === 0 ? ['PORTAL_ADMINISTRATOR'] : ['FLEET_ADMINISTRATOR'] });
        }
      });
      const token = await t.token(OPERATOR);
      const statementsFor = async (first: number) => {
        const counter = t.portico.services.db.statements;
        counter.reset();
        const response = await t.raw({ token, body: JSON.stringify({ query: DIRECTORY, variables: { filter: { emailContains: '@flags.example' }, first } }) });
        const statements = counter.count;
        const json = (await response.json()) as { data: { users: { nodes: Array<Record<string, unknown>> } }; errors?: unknown };
        expect(json.errors).toBeUndefined();
        expect(json.data.users.nodes).toHaveLength(first);
        expect(json.data.users.nodes.every((n) => n.viewerCanEdit === true && n.viewerCanAssignRoles === true)).toBe(true);
        return statements;
      };
      const small = await statementsFor(10);
      expect(await statementsFor(100)).toBe(small);
    });
  });
});
