import { AccountEntity, OutboxEventEntity, PartnerGroupEntity, ViewEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, startTestPortico, type Caller, type GraphQLResult, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const SUPPLIER = 'supplier@platform.local';
const VIEW = 'id name path description position audience { partnerGroupIds partnerGroups { name } }';
const CREATE = `mutation($input: CreateViewInput!) { createView(input: $input) { ${VIEW} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateViewInput!) { updateView(id: $id, input: $input) { ${VIEW} } }`;
const DELETE = 'mutation($id: ID!) { deleteView(id: $id) }';
const LIST = `query($first: Int, $after: String) { views(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${VIEW} } } }`;
const MINE = '{ viewer { views { name path } } }';
const CREATE_GROUP = 'mutation($input: PartnerGroupInput!) { createPartnerGroup(input: $input) { id name } }';
const UPDATE_GROUP = 'mutation($id: ID!, $input: PartnerGroupInput!) { updatePartnerGroup(id: $id, input: $input) { id name } }';
const DELETE_GROUP = 'mutation($id: ID!) { deletePartnerGroup(id: $id) }';
const AUDIT = 'query($accountId: ID!) { auditEvents(accountId: $accountId, first: 100) { nodes { action targetType targetId details } } }';

describe.each(databaseKinds())('views bound to partner groups (unifyr) on %s', (kind) => {
  let t: TestPortico;
  let platform: AccountEntity;
  /** The seeded Gold partners group (group A) and a group of every partner's Sales (group B). */
  let gold: string;
  let sellers: string;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'unifyr');
    const em = t.portico.services.db.manager;
    platform = await em.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
    gold = (await em.findOneByOrFail(PartnerGroupEntity, { name: 'Gold partners' })).id;
    sellers = ok(await t.gql(SUPPLIER, CREATE_GROUP, { input: { name: 'Sellers', rule: { roles: ['SALES'] } } })).createPartnerGroup.id;
  });
  afterAll(() => t.stop());

  /** Everything a refused operation must leave as it was: the views and groups as stored, and the other tables. */
  const state = async () => {
    const em = t.portico.services.db.manager;
    const views = (await em.find(ViewEntity, { order: { id: 'ASC' } })).map((v) => ({ ...v, createdAt: v.createdAt.toISOString(), updatedAt: v.updatedAt.toISOString() }));
    const groups = (await em.find(PartnerGroupEntity, { order: { id: 'ASC' } })).map((g) => `${g.id}:${g.name}:${g.updatedAt.toISOString()}`);
    return { views, groups, tables: await t.snapshot(), outbox: await em.count(OutboxEventEntity) };
  };
  const refused = async (as: Caller, query: string, variables: Record<string, unknown>, code: string): Promise<GraphQLResult> => {
    const before = await state();
    const result = await t.gql(as, query, variables);
    expect(codes(result)).toEqual([code]);
    expect(await state()).toEqual(before);
    return result;
  };
  const viewsOf = async (as: Caller) => (ok(await t.gql(as, MINE)).viewer.views as Array<{ path: string }>).map((v) => v.path);
  const viewId = async (path: string) => (await t.portico.services.db.manager.findOneByOrFail(ViewEntity, { path })).id;
  const eventsOn = async (id: string) => (ok(await t.gql(OPERATOR, AUDIT, { accountId: platform.id })).auditEvents.nodes as Array<{ targetId: string; action: string }>).filter((e) => e.targetId === id);

  it('the demo platform has the Gold co-marketing view, for Gold partners, listed with its audience for those who manage groups', async () => {
    for (const as of [OPERATOR, SUPPLIER]) {
      const list = ok(await t.gql(as, LIST)).views;
      expect(list.totalCount).toBe(1);
      expect(list.nodes).toEqual([
        { id: expect.any(String), name: 'Gold co-marketing', path: '/campaigns/gold', description: 'Campaign kits for Gold partners.', position: 0, audience: { partnerGroupIds: [gold], partnerGroups: [{ name: 'Gold partners' }] } },
      ]);
    }
  });

  it.each([
    { title: "a partner's Administrator", as: 'admin@northwind.example' },
    { title: 'Sales', as: 'sales@contoso.example' },
  ])('$title may not list, create, update or delete views (FORBIDDEN, nothing changes)', async ({ as }) => {
    const id = await viewId('/campaigns/gold');
    await refused(as, LIST, {}, 'FORBIDDEN');
    await refused(as, CREATE, { input: { name: 'Mine', path: '/mine', audience: { partnerGroupIds: [gold] } } }, 'FORBIDDEN');
    await refused(as, UPDATE, { id, input: { name: 'Mine' } }, 'FORBIDDEN');
    await refused(as, DELETE, { id }, 'FORBIDDEN');
  });

  it('a member reads the view, not its audience (UNAUTHORIZED_FIELD_OR_TYPE there)', async () => {
    const result = await t.gql('admin@northwind.example', '{ viewer { views { name audience { partnerGroupIds } } } }');
    expect(result.data).toEqual({ viewer: { views: [{ name: 'Gold co-marketing', audience: null }] } });
    expect(codes(result)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
  });

  describe('createView, and who sees what', () => {
    it('the supplier creates a view for group B and one for both groups; each is audited on the platform and announced as view.created', async () => {
      const before = await state();
      const input = { name: '  Seller toolkit ', path: '/tools/sellers', description: 'Scripts and price sheets.', position: 5, audience: { partnerGroupIds: [sellers, sellers] } };
      const created = ok(await t.gql(SUPPLIER, CREATE, { input })).createView;
      expect(created).toEqual({ id: expect.any(String), name: 'Seller toolkit', path: '/tools/sellers', description: 'Scripts and price sheets.', position: 5, audience: { partnerGroupIds: [sellers], partnerGroups: [{ name: 'Sellers' }] } });
      const after = await state();
      expect(after.views).toHaveLength(before.views.length + 1);
      expect(after.tables.audits).toBe(before.tables.audits + 1);
      expect(await eventsOn(created.id)).toEqual([
        { action: 'view.created', targetType: 'View', targetId: created.id, details: { name: 'Seller toolkit', path: '/tools/sellers', description: 'Scripts and price sheets.', position: 5, audience: { partnerGroupIds: [sellers] } } },
      ]);
      const announced = await t.portico.services.db.manager.findBy(OutboxEventEntity, { accountId: platform.id, type: 'view.created' });
      expect(announced.map((e) => JSON.parse(e.body).data.targetId)).toEqual([created.id]);

      ok(await t.gql(OPERATOR, CREATE, { input: { name: 'News', path: '/news', position: 1, audience: { partnerGroupIds: [gold, sellers] } } }));
      // Created with no audience, a view is seen by no one.
      ok(await t.gql(OPERATOR, CREATE, { input: { name: 'Draft', path: '/draft', audience: { partnerGroupIds: [] } } }));
    });

    it.each([
      { title: 'a user of a partner in group A (Northwind Administrator) sees view A and the shared one, not view B', as: 'admin@northwind.example', paths: ['/campaigns/gold', '/news'] },
      { title: 'Northwind Marketing, in group A too, likewise', as: 'marketing@northwind.example', paths: ['/campaigns/gold', '/news'] },
      { title: 'Northwind Sales, in group B only, sees view B and the shared one, not view A', as: 'sales@northwind.example', paths: ['/news', '/tools/sellers'] },
      { title: "Contoso's Administrator, in no group, sees none", as: 'admin@contoso.example', paths: [] },
      { title: 'the supplier, on the platform (in no partner group), sees none in its own navigation', as: SUPPLIER, paths: [] },
    ])('$title', async ({ as, paths }) => {
      expect(await viewsOf(as)).toEqual(paths);
    });

    it.each([
      { title: 'an unknown partner group id', input: { name: 'X', path: '/x', audience: { partnerGroupIds: ['no-such-group'] } }, code: 'BAD_USER_INPUT', field: 'audience.partnerGroupIds' },
      { title: 'a known id beside an unknown one', input: { name: 'X', path: '/x', audience: { partnerGroupIds: ['GOLD', 'no-such-group'] } }, code: 'BAD_USER_INPUT', field: 'audience.partnerGroupIds' },
      { title: 'an empty name', input: { name: '  ', path: '/x', audience: { partnerGroupIds: [] } }, code: 'BAD_USER_INPUT', field: 'name' },
      { title: 'a path without its leading /', input: { name: 'X', path: 'x', audience: { partnerGroupIds: [] } }, code: 'BAD_USER_INPUT', field: 'path' },
      { title: 'a path to another host (//)', input: { name: 'X', path: '//evil.example/x', audience: { partnerGroupIds: [] } }, code: 'BAD_USER_INPUT', field: 'path' },
      { title: 'a path with a space', input: { name: 'X', path: '/a b', audience: { partnerGroupIds: [] } }, code: 'BAD_USER_INPUT', field: 'path' },
      { title: 'a path of 301 characters', input: { name: 'X', path: `/${'a'.repeat(300)}`, audience: { partnerGroupIds: [] } }, code: 'BAD_USER_INPUT', field: 'path' },
      { title: 'a position out of range', input: { name: 'X', path: '/x', position: 2_000_000, audience: { partnerGroupIds: [] } }, code: 'BAD_USER_INPUT', field: 'position' },
      { title: 'a path taken, in another case', input: { name: 'X', path: '/Campaigns/GOLD', audience: { partnerGroupIds: [] } }, code: 'CONFLICT', field: 'path' },
    ])('refuses $title with $code, and stores nothing', async ({ input, code, field }) => {
      const ids = input.audience.partnerGroupIds.map((id) => (id === 'GOLD' ? gold : id));
      const result = await refused(SUPPLIER, CREATE, { input: { ...input, audience: { partnerGroupIds: ids } } }, code);
      expect(result.errors![0].extensions).toMatchObject({ field });
    });

    it('views pages in navigation order (position, then path) with a stable totalCount', async () => {
      const first = ok(await t.gql(SUPPLIER, LIST, { first: 2 })).views;
      expect(first.totalCount).toBe(4);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = ok(await t.gql(SUPPLIER, LIST, { first: 2, after: first.pageInfo.endCursor })).views;
      expect(second.pageInfo.hasNextPage).toBe(false);
      expect([...first.nodes, ...second.nodes].map((v: { path: string }) => v.path)).toEqual(['/campaigns/gold', '/draft', '/news', '/tools/sellers']);
    });
  });

  describe('updateView and deleteView', () => {
    it('changes only the parts named, audited with what changed; who sees it follows at once', async () => {
      const id = await viewId('/tools/sellers');
      const before = await state();
      const updated = ok(await t.gql(SUPPLIER, UPDATE, { id, input: { name: 'Seller kit', audience: { partnerGroupIds: [gold] } } })).updateView;
      expect(updated).toMatchObject({ name: 'Seller kit', path: '/tools/sellers', description: 'Scripts and price sheets.', position: 5, audience: { partnerGroupIds: [gold] } });
      expect((await state()).tables.audits).toBe(before.tables.audits + 1);
      const events = (await eventsOn(id)).filter((e) => e.action === 'view.updated');
      expect(events).toEqual([
        { action: 'view.updated', targetType: 'View', targetId: id, details: { name: { from: 'Seller toolkit', to: 'Seller kit' }, audience: { from: { partnerGroupIds: [sellers] }, to: { partnerGroupIds: [gold] } } } },
      ]);
      expect(await viewsOf('sales@northwind.example')).toEqual(['/news']);
      expect(await viewsOf('admin@northwind.example')).toEqual(['/campaigns/gold', '/news', '/tools/sellers']);
      // The same values again change nothing and record nothing.
      const unchanged = await state();
      ok(await t.gql(SUPPLIER, UPDATE, { id, input: { name: 'Seller kit' } }));
      expect(await state()).toEqual(unchanged);
    });

    it.each([
      { title: 'an unknown view is NOT_FOUND', id: 'no-such-view', input: { name: 'X' }, code: 'NOT_FOUND' },
      { title: 'an unknown group in the audience is BAD_USER_INPUT', id: '/news', input: { audience: { partnerGroupIds: ['no-such-group'] } }, code: 'BAD_USER_INPUT' },
      { title: "another view's path is CONFLICT", id: '/news', input: { path: '/DRAFT' }, code: 'CONFLICT' },
      { title: 'a bad path is BAD_USER_INPUT', id: '/news', input: { path: 'news' }, code: 'BAD_USER_INPUT' },
    ])('update: $title, and nothing changes', async ({ id, input, code }) => {
      await refused(SUPPLIER, UPDATE, { id: id.startsWith('/') ? await viewId(id) : id, input }, code);
    });

    it('renaming a group keeps its views: the audience holds its id', async () => {
      ok(await t.gql(SUPPLIER, UPDATE_GROUP, { id: sellers, input: { name: 'Field sellers', rule: { roles: ['SALES'] } } }));
      const news = ok(await t.gql(SUPPLIER, LIST, { first: 10 })).views.nodes.find((v: { path: string }) => v.path === '/news');
      expect(news.audience).toEqual({ partnerGroupIds: [gold, sellers], partnerGroups: [{ name: 'Gold partners' }, { name: 'Field sellers' }] });
      expect(await viewsOf('sales@northwind.example')).toEqual(['/news']);
    });

    it('deleting a group a view uses is CONFLICT and changes nothing; once no view uses it, it goes', async () => {
      const result = await refused(SUPPLIER, DELETE_GROUP, { id: sellers }, 'CONFLICT');
      expect(result.errors![0].message).toMatch(/\/news/);
      expect(await viewsOf('sales@northwind.example')).toEqual(['/news']);

      ok(await t.gql(SUPPLIER, UPDATE, { id: await viewId('/news'), input: { audience: { partnerGroupIds: [gold] } } }));
      expect(ok(await t.gql(SUPPLIER, DELETE_GROUP, { id: sellers })).deletePartnerGroup).toBe(sellers);
      expect(await viewsOf('sales@northwind.example')).toEqual([]);
    });

    it('delete: gone from the list and from its audience, audited as view.deleted; a second delete is NOT_FOUND', async () => {
      const id = await viewId('/tools/sellers');
      const before = await state();
      expect(ok(await t.gql(OPERATOR, DELETE, { id })).deleteView).toBe(id);
      const after = await state();
      expect(after.views).toHaveLength(before.views.length - 1);
      expect(after.tables.audits).toBe(before.tables.audits + 1);
      expect((await eventsOn(id)).map((e) => e.action).sort()).toEqual(['view.created', 'view.deleted', 'view.updated']);
      expect(await viewsOf('admin@northwind.example')).toEqual(['/campaigns/gold', '/news']);
      await refused(OPERATOR, DELETE, { id }, 'NOT_FOUND');
    });
  });
});

describe.each(databaseKinds())('views in dstny (the platform operator alone manages them) on %s', (kind) => {
  let t: TestPortico;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
  });
  afterAll(() => t.stop());

  it('the operator defines a view for partner managers; a partner administrator may not; an impersonation session sees none', async () => {
    const group = ok(await t.gql(OPERATOR, CREATE_GROUP, { input: { name: 'Managers', rule: { roles: ['PARTNER_PORTAL_MANAGER'] } } })).createPartnerGroup;
    const before = await t.snapshot();
    const denied = await t.gql('ppa@northwind.example', CREATE, { input: { name: 'Reports', path: '/reports', audience: { partnerGroupIds: [group.id] } } });
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    expect(await t.snapshot()).toEqual(before);
    expect(await t.portico.services.db.manager.count(ViewEntity)).toBe(0);

    ok(await t.gql(OPERATOR, CREATE, { input: { name: 'Reports', path: '/reports', audience: { partnerGroupIds: [group.id] } } }));
    const mine = async (as: Caller) => (ok(await t.gql(as, MINE)).viewer.views as Array<{ path: string }>).map((v) => v.path);
    expect(await mine('ppm@northwind.example')).toEqual(['/reports']);
    expect(await mine('ppa@northwind.example')).toEqual([]);
    expect(await mine(OPERATOR)).toEqual([]);

    const acme = await t.account('Acme Logistics');
    const northwind = await t.account('Northwind Telecom');
    ok(await t.gql('admin@acme.example', 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }', { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:create'] } }));
    const started = ok(await t.gql('ppm@northwind.example', 'mutation($c: ID!) { startImpersonation(customerAccountId: $c, reason: "views check") { token } }', { c: acme.id })).startImpersonation;
    expect(await mine({ token: started.token })).toEqual([]);
  });
});
