import { randomUUID } from 'crypto';
import { addAccount, addUser } from '../../src/storage/bootstrap';
import { UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const USERS = `query($filter: UserFilter, $first: Int, $after: String) {
  users(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { email roles contactRoles canLogin } }
}`;

type Page = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Array<{ email: string; roles: string[]; contactRoles: string[]; canLogin: boolean }> };

async function directory(t: TestPortico, as: string, filter: Record<string, unknown> = {}, first = 100): Promise<Page> {
  return ok(await t.gql(as, USERS, { filter, first })).users as Page;
}

const emails = (page: Page) => page.nodes.map((n) => n.email);

describe.each(databaseKinds())('the user directory on %s', (kind) => {
  describe.each(['dstny', 'appdirect', 'unifyr'])('%s', (preset) => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, preset);
    });
    afterAll(() => t?.stop());

    it('lists, and counts, exactly the users each seeded user may see through user(id)', async () => {
      const users = await t.portico.services.db.manager.find(UserEntity, { order: { email: 'ASC' } });
      const viewers = users.filter((u) => !u.email.startsWith('rep@'));
      for (const viewer of viewers) {
        const page = await directory(t, viewer.email);
        const visible: string[] = [];
        for (const user of users) {
          const found = ok(await t.gql(viewer.email, 'query($id: ID!) { user(id: $id) { email } }', { id: user.id })).user;
          if (found) visible.push(user.email);
        }
        expect({ viewer: viewer.email, listed: emails(page) }).toEqual({ viewer: viewer.email, listed: visible });
        expect(page.totalCount).toBe(visible.length);
      }
    });
  });

  describe('filters and paging (dstny)', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny', { maxPageSize: 500 });
    });
    afterAll(() => t?.stop());

    it.each([
      { title: 'holders of a right', filter: { role: 'PORTAL_ADMINISTRATOR' }, expected: ['admin@acme.example', 'admin@globex.example', 'admin@initech.example', 'admin@umbrella.example'] },
      { title: 'the billing contacts of every customer', filter: { contactRole: 'BILLING_CONTACT' }, expected: ['admin@globex.example', 'billing@acme.example', 'ppu@northwind.example'] },
      { title: 'by part of the email, in any case', filter: { emailContains: 'ACME' }, expected: ['admin@acme.example', 'billing@acme.example', 'fleet@acme.example', 'insight@acme.example'] },
      { title: 'by part of the name, wildcards taken literally', filter: { nameContains: '%' }, expected: [] },
      { title: 'by name', filter: { nameContains: 'fred' }, expected: ['fleet@acme.example'] },
      { title: 'one account without the accounts below it', filter: { underAccountId: 'Northwind Telecom', includeDescendants: false }, expected: ['ppa@northwind.example', 'ppm@northwind.example', 'ppu@northwind.example'] },
      { title: 'a partner and its customers', filter: { underAccountId: 'Contoso Networks' }, expected: ['admin@initech.example', 'ppa@contoso.example'] },
      { title: 'conditions combined', filter: { underAccountId: 'Northwind Telecom', contactRole: 'TECHNICAL_CONTACT' }, expected: ['admin@acme.example', 'fleet@acme.example', 'ppm@northwind.example'] },
    ])('the operator finds $title', async ({ filter, expected }) => {
      const under = typeof filter.underAccountId === 'string' ? (await t.account(filter.underAccountId)).id : undefined;
      const page = await directory(t, OPERATOR, { ...filter, ...(under ? { underAccountId: under } : {}) });
      expect(emails(page)).toEqual(expected);
      expect(page.totalCount).toBe(expected.length);
    });

    it('a Portal Administrator finds the users of its own account only, even when it names its partner', async () => {
      expect(emails(await directory(t, 'admin@acme.example', { role: 'PORTAL_ADMINISTRATOR' }))).toEqual(['admin@acme.example']);
      const partner = await t.account('Northwind Telecom');
      expect(codes(await t.gql('admin@acme.example', USERS, { filter: { underAccountId: partner.id } }))).toEqual(['NOT_FOUND']);
    });

    it('a Fleet Administrator, who may not read users, finds only themselves', async () => {
      const page = await directory(t, 'fleet@acme.example');
      expect(emails(page)).toEqual(['fleet@acme.example']);
      expect(page.totalCount).toBe(1);
    });

    it('refuses anonymous callers', async () => {
      expect(codes(await t.gql(null, USERS, {}))).toEqual(['UNAUTHENTICATED']);
    });

    it('pages in email order with the same totalCount on every page', async () => {
      const all = await directory(t, OPERATOR);
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page: Page = ok(await t.gql(OPERATOR, USERS, { first: 3, after })).users;
        expect(page.totalCount).toBe(all.totalCount);
        seen.push(...emails(page));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after);
      expect(seen).toEqual(emails(all));
      expect(codes(await t.gql(OPERATOR, USERS, { after: 'garbage' }))).toEqual(['BAD_USER_INPUT']);
    });

    it('counts an account\'s users on Account.users', async () => {
      const acme = await t.account('Acme Logistics');
      const data = ok(await t.gql(OPERATOR, 'query($id: ID!) { account(id: $id) { users(first: 1) { totalCount nodes { email } } } }', { id: acme.id }));
      expect(data.account.users).toEqual({ totalCount: 4, nodes: [{ email: 'admin@acme.example' }] });
    });

    it('a page of 200 users with roles, contact roles and canLogin costs as many statements as a page of 10', async () => {
      const em = t.portico.services.db.manager;
      const partner = await t.account('Northwind Telecom');
      await t.portico.services.db.transaction(async (tx) => {
        for (let i = 0; i < 20; i++) {
          const customer = await addAccount(tx, partner, 'CUSTOMER', `Directory ${randomUUID().slice(0, 6)}`);
          for (let j = 0; j < 12; j++) await addUser(tx, customer, { email: `d${i}-${j}@directory.example`, name: `D ${i} ${j}`, roles: j === 0 ? ['PORTAL_ADMINISTRATOR'] : ['FLEET_ADMINISTRATOR'] });
        }
      });
      expect(await em.countBy(UserEntity, {})).toBeGreaterThan(200);
      const token = await t.token(OPERATOR);
      const statementsFor = async (first: number) => {
        const counter = t.portico.services.db.statements;
        counter.reset();
        const response = await t.raw({ token, body: JSON.stringify({ query: USERS, variables: { filter: { emailContains: '@directory.example' }, first } }) });
        const statements = counter.count;
        const json = (await response.json()) as { data: { users: Page } };
        expect(json.data.users.nodes).toHaveLength(first);
        expect(json.data.users.totalCount).toBe(240);
        expect(json.data.users.nodes.every((n) => n.roles.length === 1 && n.canLogin)).toBe(true);
        return statements;
      };
      const small = await statementsFor(10);
      const large = await statementsFor(200);
      expect(large).toBe(small);
    });
  });

  describe('canLogin and status (unifyr)', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'unifyr');
    });
    afterAll(() => t?.stop());

    it.each([
      { title: 'the Sales Reps, who never sign in', filter: { canLogin: false }, expected: ['rep@northwind.example'] },
      { title: 'the Sales Reps by role', filter: { role: 'SALES_REP' }, expected: ['rep@northwind.example'] },
      { title: 'the active users who can sign in', filter: { canLogin: true, status: 'ACTIVE' }, expected: ['admin@northwind.example', 'marketing@northwind.example', 'sales@northwind.example'] },
    ])('an Administrator lists $title of its account', async ({ filter, expected }) => {
      const page = await directory(t, 'admin@northwind.example', filter);
      expect(emails(page)).toEqual(expected);
      expect(page.totalCount).toBe(expected.length);
    });

    it('Sales list only themselves', async () => {
      expect(emails(await directory(t, 'sales@northwind.example'))).toEqual(['sales@northwind.example']);
    });
  });
});
