import { randomUUID } from 'crypto';
import { addAccount, addUser } from '../../src/storage/bootstrap';
import { AccountEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const WHO_CAN = `query($permission: String!, $accountId: ID!, $first: Int, $after: String) {
  whoCan(permission: $permission, accountId: $accountId, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { identity { id email name account { id name } } user { email roles } scope reason via role heldOnAccountId relationshipId grantId }
  }
}`;
const EFFECTIVE = 'query($userId: ID!, $accountId: ID!) { effectivePermissions(userId: $userId, accountId: $accountId) { permission accountId scope reason via role heldOnAccountId relationshipId grantId } }';
const AUTHORIZE = 'query($c: [AuthorizationCheckInput!]!) { authorize(checks: $c) { permission accountId allowed scope reason } }';
const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }';
const REQUEST = 'mutation($input: RequestDelegatedAdminInput!) { requestDelegatedAdmin(input: $input) { id } }';
const APPROVE = 'mutation($id: ID!) { approveDelegatedAdmin(id: $id) { id status } }';

type Identity = { id: string; email: string; name: string; account: { id: string; name: string } };
type Holder = {
  identity: Identity;
  user: { email: string; roles: string[] } | null;
  scope: string | null;
  reason: string;
  via: string;
  role: string | null;
  heldOnAccountId: string | null;
  relationshipId: string | null;
  grantId: string | null;
};
type Connection = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Holder[] };

async function whoCan(t: TestPortico, as: string, permission: string, accountId: string, first = 100): Promise<Connection> {
  return ok(await t.gql(as, WHO_CAN, { permission, accountId, first })).whoCan as Connection;
}

/** A live impersonation grant (dstny), an active delegated relationship (appdirect) and a custom role (unifyr), so every kind of holder exists. */
async function consent(t: TestPortico, preset: string): Promise<void> {
  if (preset === 'dstny') {
    const [acme, northwind] = await Promise.all([t.account('Acme Logistics'), t.account('Northwind Telecom')]);
    ok(await t.gql('admin@acme.example', GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:create'] } }));
  }
  if (preset === 'appdirect') {
    const [acme, advisor] = await Promise.all([t.account('Acme Retail'), t.user('advisor@northwind.example')]);
    const { id } = ok(await t.gql('advisor@northwind.example', REQUEST, { input: { customerAccountId: acme.id, delegateUserId: advisor.id, roles: ['ACCOUNT_MANAGER'], durationDays: 90 } })).requestDelegatedAdmin;
    ok(await t.gql('am@acme.example', APPROVE, { id }));
  }
  if (preset === 'unifyr') {
    // A partner user whose only right is a custom role, and one holding it beside a policy role.
    const [northwind, sales] = await Promise.all([t.account('Northwind Solutions'), t.user('sales@northwind.example')]);
    const input = { accountId: northwind.id, accountType: 'PARTNER', name: 'DEAL_DESK', title: 'Deal desk', permissions: [{ permission: 'deals:manage' }, { permission: 'content:read' }] };
    ok(await t.gql('supplier@platform.local', 'mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { name } }', { input }));
    ok(await t.gql('supplier@platform.local', 'mutation($userId: ID!, $role: String!) { assignRole(userId: $userId, role: $role) { id } }', { userId: sales.id, role: 'DEAL_DESK' }));
    const desk = { accountId: northwind.id, email: 'desk@northwind.example', name: 'Dee Desk', roles: ['DEAL_DESK'] };
    ok(await t.gql('supplier@platform.local', 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }', { input: desk }));
  }
}

describe.each(databaseKinds())('access review on %s', (kind) => {
  describe.each(['dstny', 'appdirect', 'unifyr'])('%s', (preset) => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, preset);
      await consent(t, preset);
    });
    afterAll(() => t?.stop());

    it('whoCan names, for every permission and account, exactly the seeded users authorize allows, with the same scope and reason', async () => {
      const em = t.portico.services.db.manager;
      const accounts = await em.find(AccountEntity, { order: { name: 'ASC' } });
      const users = await em.find(UserEntity, { order: { email: 'ASC' } });
      const permissions = [...t.portico.services.engine.policy.permissions].sort();
      const checks = accounts.flatMap((a) => permissions.map((permission) => ({ permission, accountId: a.id })));
      // What each user may do, asked as that user (a Sales Rep never signs in, so holds nothing anywhere).
      const allowed = new Map<string, Map<string, { scope: string | null; reason: string }>>();
      for (const user of users) {
        const decisions = new Map<string, { scope: string | null; reason: string }>();
        if (!user.email.startsWith('rep@')) {
          const token = await t.token(user.email);
          for (let i = 0; i < checks.length; i += 100) {
            const answers = ok(await t.gql({ token }, AUTHORIZE, { c: checks.slice(i, i + 100) })).authorize as Array<{ permission: string; accountId: string; allowed: boolean; scope: string | null; reason: string }>;
            for (const a of answers) if (a.allowed) decisions.set(`${a.permission}@${a.accountId}`, { scope: a.scope, reason: a.reason });
          }
        }
        allowed.set(user.email, decisions);
      }
      let holders = 0;
      for (const check of checks) {
        const key = `${check.permission}@${check.accountId}`;
        const page = await whoCan(t, OPERATOR, check.permission, check.accountId);
        expect({ key, totalCount: page.totalCount, identities: page.nodes.map((h) => h.identity.email) }).toEqual({ key, totalCount: page.nodes.length, identities: page.nodes.map((h) => h.user!.email) });
        const listed = page.nodes.filter((h) => h.via !== 'IMPERSONATION');
        const expected = users.filter((u) => allowed.get(u.email)!.has(key)).map((u) => ({ email: u.email, ...allowed.get(u.email)!.get(key)! }));
        expect({ key, holders: listed.map((h) => ({ email: h.user!.email, scope: h.scope, reason: h.reason })) }).toEqual({ key, holders: expected });
        holders += listed.length;
      }
      expect(holders).toBeGreaterThan(checks.length);
    }, 600_000);
  });

  describe('dstny', () => {
    let t: TestPortico;
    let grantId: string;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
      const [acme, northwind] = await Promise.all([t.account('Acme Logistics'), t.account('Northwind Telecom')]);
      grantId = ok(await t.gql('admin@acme.example', GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:create'] } })).grantImpersonation.id;
    });
    afterAll(() => t?.stop());

    it('names the partner users a live impersonation grant lets act, as a grant and not a right of their own', async () => {
      const acme = await t.account('Acme Logistics');
      const holders = (await whoCan(t, OPERATOR, 'tickets:create', acme.id)).nodes;
      const impersonating = holders.filter((h) => h.via === 'IMPERSONATION');
      expect(impersonating.map((h) => h.user!.email)).toEqual(['ppa@northwind.example', 'ppm@northwind.example']);
      expect(impersonating.every((h) => h.grantId === grantId && h.role === null && /impersonation grant .* in an impersonation session/.test(h.reason))).toBe(true);
      expect(holders.filter((h) => h.via === 'OWN').map((h) => h.user!.email)).toEqual(['admin@acme.example']);
      expect(holders.find((h) => h.user!.email === OPERATOR)?.via).toBe('ANCESTOR');
    });

    it('a Portal Administrator is told every holder, its ancestors\' and partners under its grant included, by who and how; the user itself only for its colleagues', async () => {
      const acme = await t.account('Acme Logistics');
      for (const permission of ['fleet:read', 'tickets:create']) {
        const [asAdmin, asOperator] = await Promise.all([whoCan(t, 'admin@acme.example', permission, acme.id), whoCan(t, OPERATOR, permission, acme.id)]);
        const how = (h: Holder) => [h.identity, h.via, h.role, h.heldOnAccountId, h.grantId, h.scope, h.reason];
        expect(asAdmin.nodes.map(how)).toEqual(asOperator.nodes.map(how));
        expect(asAdmin.totalCount).toBe(asOperator.totalCount);
        expect(asAdmin.nodes.filter((h) => h.user !== null).map((h) => h.user!.email)).toEqual(asAdmin.nodes.filter((h) => h.identity.account.id === acme.id).map((h) => h.identity.email));
      }
      const holders = (await whoCan(t, 'admin@acme.example', 'tickets:create', acme.id)).nodes;
      const northwind = await t.account('Northwind Telecom');
      expect(holders.map((h) => [h.identity.email, h.identity.account.name, h.via])).toEqual(
        expect.arrayContaining([
          ['admin@acme.example', 'Acme Logistics', 'OWN'],
          [OPERATOR, expect.any(String), 'ANCESTOR'],
          ['ppm@northwind.example', 'Northwind Telecom', 'IMPERSONATION'],
        ]),
      );
      const manager = holders.find((h) => h.identity.email === 'ppm@northwind.example')!;
      expect(manager).toMatchObject({ identity: { id: (await t.user('ppm@northwind.example')).id, name: expect.any(String), account: { id: northwind.id, name: 'Northwind Telecom' } }, user: null, grantId });
    });

    it('pages in email order with a total count', async () => {
      const acme = await t.account('Acme Logistics');
      const first = ok(await t.gql(OPERATOR, WHO_CAN, { permission: 'tickets:create', accountId: acme.id, first: 2 })).whoCan as Connection;
      expect(first.pageInfo.hasNextPage).toBe(true);
      const rest = ok(await t.gql(OPERATOR, WHO_CAN, { permission: 'tickets:create', accountId: acme.id, first: 100, after: first.pageInfo.endCursor })).whoCan as Connection;
      const all = await whoCan(t, OPERATOR, 'tickets:create', acme.id);
      expect([...first.nodes, ...rest.nodes].map((h) => h.identity.email)).toEqual(all.nodes.map((h) => h.identity.email));
      expect(first.totalCount).toBe(all.nodes.length);
    });

    it('effectivePermissions gives a colleague\'s permissions with the reason of each', async () => {
      const [acme, fleet] = await Promise.all([t.account('Acme Logistics'), t.user('fleet@acme.example')]);
      const held = ok(await t.gql('admin@acme.example', EFFECTIVE, { userId: fleet.id, accountId: acme.id })).effectivePermissions as Array<Record<string, unknown>>;
      expect(held.map((p) => p.permission)).toEqual(['deliveries:manage', 'deliveries:read', 'fleet:manage', 'fleet:read', 'insights:read', 'installations:manage', 'processes:read', 'providerContacts:read']);
      expect(held[0]).toEqual({ permission: 'deliveries:manage', accountId: acme.id, scope: null, reason: `role FLEET_ADMINISTRATOR on account ${acme.id}`, via: 'OWN', role: 'FLEET_ADMINISTRATOR', heldOnAccountId: acme.id, relationshipId: null, grantId: null });
    });

    it('effectivePermissions names a partner manager\'s inherited rights and the grant it may act under', async () => {
      const [acme, northwind, manager] = await Promise.all([t.account('Acme Logistics'), t.account('Northwind Telecom'), t.user('ppm@northwind.example')]);
      const held = ok(await t.gql(OPERATOR, EFFECTIVE, { userId: manager.id, accountId: acme.id })).effectivePermissions as Array<{ permission: string; via: string; heldOnAccountId: string | null; grantId: string | null }>;
      expect(held.find((p) => p.permission === 'customers:read')).toMatchObject({ via: 'ANCESTOR', heldOnAccountId: northwind.id });
      expect(held.find((p) => p.permission === 'tickets:create')).toMatchObject({ via: 'IMPERSONATION', grantId });
    });

    it.each([
      { title: 'whoCan: a Fleet Administrator may not review its account', query: 'whoCan', as: 'fleet@acme.example', account: 'Acme Logistics', permission: 'fleet:read', code: 'FORBIDDEN' },
      { title: 'whoCan: another customer is not found', query: 'whoCan', as: 'admin@globex.example', account: 'Acme Logistics', permission: 'fleet:read', code: 'NOT_FOUND' },
      { title: 'whoCan: an unknown permission is bad input', query: 'whoCan', as: OPERATOR, account: 'Acme Logistics', permission: 'fleet:teleport', code: 'BAD_USER_INPUT' },
      { title: 'effectivePermissions: a Fleet Administrator may not review a colleague', query: 'effective', as: 'fleet@acme.example', account: 'Acme Logistics', user: 'admin@acme.example', code: 'FORBIDDEN' },
      { title: 'effectivePermissions: a user the reviewer may not see is not found', query: 'effective', as: 'admin@acme.example', account: 'Acme Logistics', user: 'ppa@northwind.example', code: 'NOT_FOUND' },
      { title: 'effectivePermissions: another customer is not found', query: 'effective', as: 'admin@globex.example', account: 'Acme Logistics', user: 'admin@globex.example', code: 'NOT_FOUND' },
    ])('$title', async ({ query, as, account, permission, user, code }) => {
      const { id } = await t.account(account);
      const result =
        query === 'whoCan' ? await t.gql(as, WHO_CAN, { permission, accountId: id }) : await t.gql(as, EFFECTIVE, { userId: (await t.user(user!)).id, accountId: id });
      expect(codes(result)).toEqual([code]);
    });

    it('counts and pages the holders in the database: a page of 100 costs as many statements as a page of 10, and only the page\'s users are read with their rights', async () => {
      const customer = await t.portico.services.db.transaction(async (tx) => {
        const account = await addAccount(tx, await t.account('Northwind Telecom'), 'CUSTOMER', `Review ${randomUUID().slice(0, 6)}`);
        for (let i = 0; i < 120; i++) await addUser(tx, account, { email: `r${String(i).padStart(3, '0')}@review.example`, name: `R ${i}`, roles: i === 0 ? ['PORTAL_ADMINISTRATOR'] : ['FLEET_ADMINISTRATOR'] });
        return account;
      });
      const token = await t.token(OPERATOR);
      const counter = t.portico.services.db.statements;
      const run = async (first: number, after?: string | null) => {
        counter.reset();
        counter.record = true;
        try {
          const response = await t.raw({ token, body: JSON.stringify({ query: WHO_CAN, variables: { permission: 'fleet:read', accountId: customer.id, first, after } }) });
          const json = (await response.json()) as { data: { whoCan: Connection }; errors?: unknown };
          expect(json.errors).toBeUndefined();
          expect(json.data.whoCan.totalCount).toBe(121);
          expect(json.data.whoCan.nodes.every((h) => h.user!.roles.length === 1 || h.user!.email === OPERATOR)).toBe(true);
          return { statements: counter.count, sql: [...counter.statements], page: json.data.whoCan };
        } finally {
          counter.record = false;
        }
      };
      const small = await run(10);
      const large = await run(100);
      expect([small.page.nodes.length, large.page.nodes.length]).toEqual([10, 100]);
      expect(large.statements).toBe(small.statements);
      // The holders' rows are counted once and paged once (the page and one more, to know there is a next page);
      // no statement reads every user of the candidate accounts.
      const users = small.sql.filter((q) => /FROM [`"]users[`"]/.test(q));
      expect(users.filter((q) => /COUNT\(/.test(q))).toHaveLength(1);
      expect(users.filter((q) => /LIMIT 11\b/.test(q))).toHaveLength(1);
      expect(users.filter((q) => /account_id[`"] IN/.test(q) && !/COUNT\(|LIMIT 11\b/.test(q))).toEqual([]);
      // Page after page, the same holders in email order as the first page of each size began, none twice.
      const walked: string[] = [];
      let after: string | null = null;
      do {
        const { page } = await run(50, after);
        walked.push(...page.nodes.map((h) => h.identity.email));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after);
      expect(walked).toHaveLength(121);
      expect(walked).toEqual([...new Set(walked)].sort());
      expect(walked.slice(0, 100)).toEqual(large.page.nodes.map((h) => h.identity.email));
    });
  });

  describe('appdirect', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'appdirect');
      await consent(t, 'appdirect');
    });
    afterAll(() => t?.stop());

    it('names a delegated administrator with its relationship', async () => {
      const acme = await t.account('Acme Retail');
      const permission = t.portico.services.engine.role('CUSTOMER', 'ACCOUNT_MANAGER')!.grants.keys().next().value!;
      const holders = (await whoCan(t, OPERATOR, permission, acme.id)).nodes;
      const advisor = holders.find((h) => h.identity.email === 'advisor@northwind.example');
      expect(advisor).toMatchObject({ via: 'DELEGATED', role: 'ACCOUNT_MANAGER', relationshipId: expect.any(String) });
      expect(advisor!.reason).toMatch(/through delegated relationship/);
    });

    it("a customer's administrator is told who holds invoices:read there: the partner's Account Manager by inheritance and the approved delegate, by id, email, name, account and how", async () => {
      const [acme, northwind, manager, advisor] = await Promise.all([t.account('Acme Retail'), t.account('Northwind Cloud'), t.user('am@northwind.example'), t.user('advisor@northwind.example')]);
      const [asAdmin, asOperator] = await Promise.all([whoCan(t, 'am@acme.example', 'invoices:read', acme.id), whoCan(t, OPERATOR, 'invoices:read', acme.id)]);
      const holder = (email: string) => asAdmin.nodes.find((h) => h.identity.email === email);
      const partner = { id: northwind.id, name: 'Northwind Cloud' };
      expect(holder('am@northwind.example')).toEqual({
        identity: { id: manager.id, email: 'am@northwind.example', name: manager.name, account: partner },
        user: null,
        via: 'ANCESTOR',
        role: 'ACCOUNT_MANAGER',
        heldOnAccountId: northwind.id,
        scope: null,
        reason: `role ACCOUNT_MANAGER on account ${northwind.id}, inherited by its descendants`,
        relationshipId: null,
        grantId: null,
      });
      expect(holder('advisor@northwind.example')).toMatchObject({ identity: { id: advisor.id, email: 'advisor@northwind.example', name: advisor.name, account: partner }, user: null, via: 'DELEGATED', role: 'ACCOUNT_MANAGER', relationshipId: expect.any(String) });
      expect(holder('am@acme.example')).toMatchObject({ via: 'OWN', user: { email: 'am@acme.example' } });
      // The same holders, in the same order and number, as the platform operator is told.
      expect(asAdmin.nodes.map((h) => h.identity)).toEqual(asOperator.nodes.map((h) => h.identity));
      expect(asAdmin.totalCount).toBe(asOperator.totalCount);
    });

    it("tells the customer's administrator nothing more of them: not the users, their account, their colleagues or their rights", async () => {
      const [acme, northwind, manager, advisor] = await Promise.all([t.account('Acme Retail'), t.account('Northwind Cloud'), t.user('am@northwind.example'), t.user('advisor@northwind.example')]);
      const ADMIN = 'am@acme.example';
      // A holder's account names itself and nothing else: no field leads on to its users or settings.
      const deeper = await t.gql(ADMIN, 'query($a: ID!) { whoCan(permission: "invoices:read", accountId: $a) { nodes { identity { account { id users { nodes { email } } } } } } }', { a: acme.id });
      expect(deeper.data ?? null).toBeNull();
      expect(deeper.errors?.[0].message).toMatch(/Cannot query field "users" on type "HolderAccount"/);
      for (const user of [manager, advisor]) {
        expect(ok(await t.gql(ADMIN, 'query($id: ID!) { user(id: $id) { email roles } }', { id: user.id })).user).toBeNull();
        expect(codes(await t.gql(ADMIN, EFFECTIVE, { userId: user.id, accountId: acme.id }))).toEqual(['NOT_FOUND']);
      }
      expect(ok(await t.gql(ADMIN, 'query($id: ID!) { account(id: $id) { name } }', { id: northwind.id })).account).toBeNull();
      expect(codes(await t.gql(ADMIN, 'query($id: ID!) { users(filter: { underAccountId: $id }) { nodes { email } } }', { id: northwind.id }))).toEqual(['NOT_FOUND']);
      const listed = ok(await t.gql(ADMIN, '{ users(first: 100) { nodes { email } } }')).users.nodes as Array<{ email: string }>;
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.filter((u) => !u.email.endsWith('@acme.example'))).toEqual([]);
    });
  });
});

