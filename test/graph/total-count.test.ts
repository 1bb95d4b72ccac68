import { AccountEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { ok, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }';
const ACCOUNTS = 'query($first: Int, $filter: AccountFilter) { accounts(first: $first, filter: $filter) { totalCount pageInfo { hasNextPage } nodes { id } } }';

describe.each(databaseKinds())('totalCount on the connections on %s', (kind) => {
  let t: TestPortico;
  let platform: AccountEntity;
  let northwind: AccountEntity;
  let acme: AccountEntity;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
    platform = await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
    northwind = await t.account('Northwind Telecom');
    acme = await t.account('Acme Logistics');
    // One live grant at a time: the first is revoked, and both stay listed.
    const first = ok(await t.gql('admin@acme.example', GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:create'] } })).grantImpersonation.id;
    ok(await t.gql('admin@acme.example', 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { id } }', { id: first }));
    ok(await t.gql('admin@acme.example', GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:read'] } }));
  });
  afterAll(() => t.stop());

  it.each([
    { title: 'the operator: every account', as: OPERATOR, filter: null, total: 7 },
    { title: 'the operator, customers only', as: OPERATOR, filter: { type: 'CUSTOMER' }, total: 4 },
    { title: 'a partner administrator: their account and its customers', as: 'ppa@northwind.example', filter: null, total: 3 },
    { title: 'a customer administrator: their own account', as: 'admin@acme.example', filter: null, total: 1 },
  ])('accounts counts what the viewer may see, the same on a first page of one: $title', async ({ as, filter, total }) => {
    const all = ok(await t.gql(as, ACCOUNTS, { first: 100, filter })).accounts;
    expect(all.nodes).toHaveLength(total);
    expect(all.totalCount).toBe(total);
    const one = ok(await t.gql(as, ACCOUNTS, { first: 1, filter })).accounts;
    expect(one).toMatchObject({ totalCount: total, pageInfo: { hasNextPage: total > 1 } });
    expect(one.nodes).toHaveLength(Math.min(1, total));
  });

  it('children, impersonation grants and their sessions are counted for every account of a page', async () => {
    const query = `query($id: ID!) { account(id: $id) { children(first: 1) { totalCount nodes { name } } }
      acme: account(id: "${acme.id}") { impersonationGrants(first: 1) { totalCount nodes { sessions(first: 1) { totalCount } } } }
      northwind: account(id: "${northwind.id}") { impersonationGrants(first: 5) { totalCount } delegatedAdminRelationships(first: 5) { totalCount } } }`;
    const data = ok(await t.gql(OPERATOR, query, { id: platform.id }));
    expect(data.account.children).toEqual({ totalCount: 3, nodes: [{ name: 'Contoso Networks' }] });
    expect(data.acme.impersonationGrants.totalCount).toBe(2);
    expect(data.acme.impersonationGrants.nodes).toEqual([{ sessions: { totalCount: 0 } }]);
    expect(data.northwind.impersonationGrants.totalCount).toBe(2);
    // dstny has no delegated administration: the list is null for everyone.
    expect(data.northwind.delegatedAdminRelationships).toBeNull();
  });

  it("children counts only the children the viewer may see", async () => {
    const query = 'query($id: ID!) { account(id: $id) { children { totalCount nodes { name } } } }';
    expect(ok(await t.gql('ppa@northwind.example', query, { id: northwind.id })).account.children).toEqual({ totalCount: 2, nodes: [{ name: 'Acme Logistics' }, { name: 'Globex' }] });
    // Acme's administrator sees Acme, and nothing below or beside it.
    expect(ok(await t.gql('admin@acme.example', query, { id: acme.id })).account.children).toEqual({ totalCount: 0, nodes: [] });
  });

  it('a page of accounts with counted children costs as many statements as a page of two; counting their grants adds one per side', async () => {
    const statements = async (first: number, lists: string) => {
      const query = `query($first: Int!) { accounts(first: $first) { totalCount nodes { ${lists} } } }`;
      const token = await t.token(OPERATOR);
      const counter = t.portico.services.db.statements;
      counter.reset();
      const response = await t.raw({ token, body: JSON.stringify({ query, variables: { first } }) });
      const count = counter.count;
      const json = (await response.json()) as { data: { accounts: { totalCount: number; nodes: unknown[] } }; errors?: unknown };
      expect(json.errors).toBeUndefined();
      expect(json.data.accounts.nodes).toHaveLength(first);
      return count;
    };
    expect(await statements(7, 'children { totalCount }')).toBe(await statements(2, 'children { totalCount }'));
    // Each account's page of grants is its own statement; their counts are one grouped statement per side (customer, partner).
    const paged = await statements(7, 'impersonationGrants { pageInfo { hasNextPage } }');
    expect(await statements(7, 'impersonationGrants { totalCount pageInfo { hasNextPage } }')).toBe(paged + 2);
  });
});
