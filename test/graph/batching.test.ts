import { addAccount, addUser } from '../../src/storage/bootstrap';
import { AccountEntity, ContactRoleEntity, ImpersonationGrantEntity } from '../../src/storage/entities';
import { randomUUID } from 'crypto';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

const DASHBOARD = `query Dashboard($first: Int!, $parentId: ID!) {
  accounts(first: $first, filter: { type: CUSTOMER, parentId: $parentId }) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name status viewerCanManage
      parent { name }
      billing: contacts(role: BILLING_CONTACT) { email }
      users(first: 10) { nodes { email roles contactRoles canLogin } }
    }
  }
}`;

describe.each(databaseKinds())('batching on %s', (kind) => {
  let t: TestPortico;
  let partnerId: string;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny', { maxPageSize: 500 });
    const em = t.portico.services.db.manager;
    const platform = await em.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
    const partner = await addAccount(em, platform, 'PARTNER', 'Batch Partner');
    partnerId = partner.id;
    await addUser(em, partner, { email: 'ppa@batch.example', name: 'Batch Admin', roles: ['PARTNER_PORTAL_ADMINISTRATOR'] });
    await addUser(em, partner, { email: 'ppm@batch.example', name: 'Batch Manager', roles: ['PARTNER_PORTAL_MANAGER'] });
    await t.portico.services.db.transaction(async (tx) => {
      for (let i = 0; i < 200; i++) {
        const customer = await addAccount(tx, partner, 'CUSTOMER', `Customer ${String(i).padStart(3, '0')}`);
        const admin = await addUser(tx, customer, { email: `admin${i}@batch.example`, name: `Admin ${i}`, roles: ['PORTAL_ADMINISTRATOR'] });
        await addUser(tx, customer, { email: `fleet${i}@batch.example`, name: `Fleet ${i}`, roles: ['FLEET_ADMINISTRATOR'] });
        await tx.insert(ContactRoleEntity, { id: randomUUID(), userId: admin.id, accountId: customer.id, role: 'BILLING_CONTACT' });
        // Every other customer has let the partner impersonate it.
        if (i % 2 === 0) {
          await tx.insert(ImpersonationGrantEntity, {
            id: randomUUID(),
            customerAccountId: customer.id,
            partnerAccountId: partner.id,
            rights: ['tickets:create'],
            grants: [{ permission: 'tickets:create', descendants: false }],
            expiresAt: null,
            grantedByUserId: admin.id,
            createdAt: new Date(),
            revokedAt: null,
            revokedByUserId: null,
          });
        }
      }
    });
  }, 120_000);
  afterAll(() => t?.stop());

  async function statementsFor(first: number): Promise<{ statements: number; accounts: number; users: number }> {
    const token = await t.token('admin@platform.local');
    const body = JSON.stringify({ query: DASHBOARD, variables: { first, parentId: partnerId } });
    const counter = t.portico.services.db.statements;
    counter.reset();
    const response = await t.raw({ token, body });
    const statements = counter.count;
    const json = (await response.json()) as { data: { accounts: { nodes: Array<{ users: { nodes: Array<{ roles: string[]; contactRoles: string[] }> }; viewerCanManage: boolean }> } }; errors?: unknown };
    expect(json.errors).toBeUndefined();
    const nodes = json.data.accounts.nodes;
    expect(nodes.every((n) => n.viewerCanManage)).toBe(true);
    expect(nodes.every((n) => (n as unknown as { billing: Array<{ email: string }> }).billing.length === 1)).toBe(true);
    expect(nodes.every((n) => n.users.nodes.length === 2 && n.users.nodes.some((u) => u.roles.includes('PORTAL_ADMINISTRATOR') && u.contactRoles.includes('BILLING_CONTACT')))).toBe(true);
    return { statements, accounts: nodes.length, users: nodes.reduce((sum, n) => sum + n.users.nodes.length, 0) };
  }

  it('a page of 200 customers with users, roles, contact roles and viewerCanManage costs as many statements as a page of 10', async () => {
    const small = await statementsFor(10);
    const large = await statementsFor(200);
    expect(small.accounts).toBe(10);
    expect(large.accounts).toBe(200);
    expect(large.users).toBe(400);
    expect(large.statements).toBe(small.statements);
    // principal (user, account, rights, delegated relationships), reach, the page, parents, contacts, users, roles, contact roles
    expect(large.statements).toBeLessThanOrEqual(11);
  });

  describe('with PORTICO_DATALOADER=off (the benchmark and diagnosis switch)', () => {
    afterEach(() => {
      delete process.env.PORTICO_DATALOADER;
    });

    it('each relation costs one statement per row, and switching back restores the constant count', async () => {
      const batched = await statementsFor(10);
      process.env.PORTICO_DATALOADER = 'off';
      const small = await statementsFor(10);
      const large = await statementsFor(30);
      delete process.env.PORTICO_DATALOADER;
      // Per customer: its billing contacts and its page of users; per user (two each): their roles and contact roles.
      const perCustomer = 2 + 2 * 2;
      expect(large.statements - small.statements).toBe(20 * perCustomer);
      expect(small.statements).toBeGreaterThanOrEqual(batched.statements + 10 * perCustomer - 6);
      expect((await statementsFor(30)).statements).toBe(batched.statements);
    });
  });

  it('viewerCanImpersonate on a page of 200 customers costs as many statements as on a page of 10, and is true exactly where a grant is', async () => {
    const token = await t.token('ppm@batch.example');
    const query = 'query($first: Int!, $parentId: ID!) { accounts(first: $first, filter: { type: CUSTOMER, parentId: $parentId }) { nodes { name viewerCanImpersonate } } }';
    const run = async (first: number) => {
      const counter = t.portico.services.db.statements;
      counter.reset();
      const response = await t.raw({ token, body: JSON.stringify({ query, variables: { first, parentId: partnerId } }) });
      const statements = counter.count;
      const json = (await response.json()) as { data: { accounts: { nodes: Array<{ name: string; viewerCanImpersonate: boolean }> } } };
      const nodes = json.data.accounts.nodes;
      expect(nodes.every((n) => n.viewerCanImpersonate === (Number(n.name.slice(-3)) % 2 === 0))).toBe(true);
      return { statements, accounts: nodes.length };
    };
    const small = await run(10);
    const large = await run(200);
    expect([small.accounts, large.accounts]).toEqual([10, 200]);
    expect(large.statements).toBe(small.statements);
  });
});
