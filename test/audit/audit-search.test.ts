import { appendAuditEvent } from '../../src/storage/audit-chain';
import { AccountEntity, AuditEventEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const NORTHWIND = 'am@northwind.example';
const ACME = 'am@acme.example';
const CONTOSO = 'am@contoso.example';

const SEARCH = `query($accountId: ID!, $filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(accountId: $accountId, filter: $filter, first: $first, after: $after) {
    totalCount nodes { id } pageInfo { hasNextPage endCursor }
  }
}`;

const ACTIONS = ['user.assignRole', 'user.revokeRole', 'user.setContactRoles', 'delegation.approve', 'account.setStatus'];
const BASE = Date.parse('2024-03-01T00:00:00.000Z');

type Filter = { includeDescendants?: boolean; actorUserId?: string; subjectUserId?: string; action?: string; impersonationSessionId?: string; delegationId?: string; from?: string; to?: string };

/** The filter applied in memory to every stored event: the oracle the queries are checked against. */
function matches(e: AuditEventEntity, accounts: Set<string>, f: Filter): boolean {
  const at = e.occurredAt.getTime();
  return (
    accounts.has(e.subjectAccountId) &&
    (!f.actorUserId || e.actorUserId === f.actorUserId) &&
    (!f.subjectUserId || e.subjectUserId === f.subjectUserId) &&
    (!f.action || e.action === f.action) &&
    (!f.impersonationSessionId || e.impersonationSessionId === f.impersonationSessionId) &&
    (!f.delegationId || e.delegatedRelationshipId === f.delegationId) &&
    (!f.from || at >= Date.parse(f.from)) &&
    (!f.to || at < Date.parse(f.to))
  );
}

const newestFirst = (a: AuditEventEntity, b: AuditEventEntity) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

describe.each(databaseKinds())('searching the audit trail on %s', (kind) => {
  let t: TestPortico;
  let accounts: Record<string, AccountEntity>;
  let users: UserEntity[];
  const sessionId = '11111111-1111-4111-8111-111111111111';
  const delegationId = '22222222-2222-4222-8222-222222222222';

  beforeAll(async () => {
    t = await startTestPortico(kind, 'appdirect');
    const names = ['Northwind Cloud', 'Northwind East', 'Eastside Dental', 'Acme Retail', 'Contoso Cloud', 'Initech', 'Umbrella Direct'];
    accounts = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await t.account(n)])));
    users = await t.portico.services.db.manager.find(UserEntity, { order: { email: 'ASC' } });
    // A few thousand events over a month, across the tree, with every filterable part varied.
    const list = Object.values(accounts);
    for (let batch = 0; batch < 6; batch++) {
      await t.portico.services.db.transaction(async (em) => {
        for (let i = batch * 500; i < (batch + 1) * 500; i++) {
          const account = list[i % list.length];
          await appendAuditEvent(em, {
            occurredAt: new Date(BASE + i * 7 * 60_000 + (i % 3)),
            actorUserId: users[i % users.length].id,
            subjectAccountId: account.id,
            subjectUserId: i % 4 === 0 ? null : users[(i * 7) % users.length].id,
            action: ACTIONS[i % ACTIONS.length],
            targetType: 'User',
            targetId: users[(i * 7) % users.length].id,
            requestId: `seed-${i}`,
            impersonationSessionId: i % 11 === 0 ? sessionId : null,
            delegatedRelationshipId: i % 13 === 0 ? delegationId : null,
            details: { i },
          });
        }
      });
    }
  });
  afterAll(() => t?.stop());

  const subtreeOf = async (name: string) => {
    const root = accounts[name];
    const all = await t.portico.services.db.manager.find(AccountEntity);
    return new Set(all.filter((a) => a.path.startsWith(root.path)).map((a) => a.id));
  };

  /** Every page of the query, in order, and the totalCount the first page announced. */
  async function readAll(as: string, accountId: string, filter: Filter, first = 100): Promise<{ ids: string[]; totalCount: number; pages: number }> {
    const ids: string[] = [];
    let after: string | undefined;
    let totalCount = -1;
    let pages = 0;
    do {
      const page = ok(await t.gql(as, SEARCH, { accountId, filter, first, after })).auditEvents;
      if (totalCount < 0) totalCount = page.totalCount;
      ids.push(...page.nodes.map((n: { id: string }) => n.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined;
      pages++;
    } while (after);
    return { ids, totalCount, pages };
  }

  const userOf = (email: string) => users.find((u) => u.email === email)!.id;

  it.each([
    { title: 'a customer reads its own trail', as: ACME, account: 'Acme Retail', scope: 'self', filter: {} },
    { title: 'a partner rolls up its subtree', as: NORTHWIND, account: 'Northwind Cloud', scope: 'subtree', filter: { includeDescendants: true } },
    { title: 'a partner without the roll-up sees its own account only', as: NORTHWIND, account: 'Northwind Cloud', scope: 'self', filter: { includeDescendants: false } },
    { title: 'another partner rolls up only its own subtree', as: CONTOSO, account: 'Contoso Cloud', scope: 'subtree', filter: { includeDescendants: true } },
    { title: 'the platform rolls up everything', as: OPERATOR, account: 'platform', scope: 'everything', filter: { includeDescendants: true } },
    { title: 'by actor', as: NORTHWIND, account: 'Northwind Cloud', scope: 'subtree', filter: { includeDescendants: true, actorUserId: 'am@acme.example' } },
    { title: 'by subject user', as: OPERATOR, account: 'platform', scope: 'everything', filter: { includeDescendants: true, subjectUserId: 'tech@east.example' } },
    { title: 'by action', as: NORTHWIND, account: 'Northwind Cloud', scope: 'subtree', filter: { includeDescendants: true, action: 'delegation.approve' } },
    { title: 'by impersonation session', as: OPERATOR, account: 'platform', scope: 'everything', filter: { includeDescendants: true, impersonationSessionId: sessionId } },
    { title: 'by delegation', as: ACME, account: 'Acme Retail', scope: 'self', filter: { delegationId } },
    { title: 'by date range', as: NORTHWIND, account: 'Northwind Cloud', scope: 'subtree', filter: { includeDescendants: true, from: '2024-03-05T00:00:00.000Z', to: '2024-03-09T12:00:00.000Z' } },
    {
      title: 'every part at once',
      as: OPERATOR,
      account: 'platform',
      scope: 'everything',
      filter: { includeDescendants: true, action: 'user.assignRole', delegationId, from: '2024-03-02T00:00:00.000Z', to: '2024-03-20T00:00:00.000Z' },
    },
  ])('$title: exactly the matching events, newest first, counted', async ({ as, account, scope, filter }) => {
    const root = account === 'platform' ? await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' }) : accounts[account];
    const resolved: Filter = { ...filter };
    if (resolved.actorUserId) resolved.actorUserId = userOf(resolved.actorUserId);
    if (resolved.subjectUserId) resolved.subjectUserId = userOf(resolved.subjectUserId);
    const all = await t.portico.services.db.manager.find(AuditEventEntity);
    const reach = scope === 'self' ? new Set([root.id]) : scope === 'subtree' ? await subtreeOf(account) : new Set(all.map((e) => e.subjectAccountId));
    const expected = all.filter((e) => matches(e, reach, resolved)).sort(newestFirst).map((e) => e.id);
    expect(expected.length).toBeGreaterThan(0);
    const { ids, totalCount } = await readAll(as, root.id, resolved);
    expect(ids).toEqual(expected);
    expect(totalCount).toBe(expected.length);
  });

  it('rolls up thousands of events for the platform, page by page', async () => {
    const platform = await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
    const { ids, totalCount, pages } = await readAll(OPERATOR, platform.id, { includeDescendants: true });
    expect(totalCount).toBeGreaterThanOrEqual(3000);
    expect(ids).toHaveLength(totalCount);
    expect(new Set(ids).size).toBe(ids.length);
    expect(pages).toBe(Math.ceil(totalCount / 100));
  });

  it('leaves out a descendant the reader may not audit: a suspended customer', async () => {
    const eastside = accounts['Eastside Dental'];
    await t.portico.services.db.manager.update(AccountEntity, { id: eastside.id }, { status: 'SUSPENDED' });
    try {
      const all = await t.portico.services.db.manager.find(AuditEventEntity);
      const reach = await subtreeOf('Northwind Cloud');
      reach.delete(eastside.id);
      const expected = all.filter((e) => matches(e, reach, {})).sort(newestFirst).map((e) => e.id);
      const { ids } = await readAll(NORTHWIND, accounts['Northwind Cloud'].id, { includeDescendants: true });
      expect(ids).toEqual(expected);
    } finally {
      await t.portico.services.db.manager.update(AccountEntity, { id: eastside.id }, { status: 'ACTIVE' });
    }
  });

  it.each([
    { title: "another tenant's account reads as not found", as: ACME, account: 'Northwind Cloud', filter: { includeDescendants: true }, code: 'NOT_FOUND' },
    { title: 'a user without the audit right is forbidden', as: 'billing@northwind.example', account: 'Northwind Cloud', filter: {}, code: 'FORBIDDEN' },
    { title: 'from after to', as: NORTHWIND, account: 'Northwind Cloud', filter: { from: '2024-03-09T00:00:00.000Z', to: '2024-03-01T00:00:00.000Z' }, code: 'BAD_USER_INPUT' },
    { title: 'an empty action', as: NORTHWIND, account: 'Northwind Cloud', filter: { action: '' }, code: 'BAD_USER_INPUT' },
  ])('$title', async ({ as, account, filter, code }) => {
    const result = await refused(t, as, SEARCH, { accountId: accounts[account].id, filter }, code);
    expect(result.data?.auditEvents ?? null).toBeNull();
  });

  it('resolves actor and subject user in a constant number of statements, whatever the page size', async () => {
    const platform = await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
    const query = `query($accountId: ID!, $first: Int) { auditEvents(accountId: $accountId, first: $first, filter: { includeDescendants: true }) {
      nodes { actorUserId actor { id email } subjectUserId subjectUser { id email } } } }`;
    const statements = t.portico.services.db.statements;
    const token = await t.token(OPERATOR);
    const cost = async (first: number) => {
      statements.reset();
      const data = ok(await t.gql({ token }, query, { accountId: platform.id, first })).auditEvents;
      expect(data.nodes).toHaveLength(first);
      for (const node of data.nodes) {
        expect(node.actor?.id).toBe(node.actorUserId);
        expect(node.subjectUser?.id ?? null).toBe(node.subjectUserId);
      }
      return statements.count;
    };
    const small = await cost(10);
    const large = await cost(100);
    expect(large).toBe(small);
  });

  it('shows a customer no partner user it may not see, only their id', async () => {
    const partnerUser = users.find((u) => u.email === 'tech@northwind.example')!;
    const data = ok(
      await t.gql(ACME, 'query($a: ID!, $f: AuditEventFilter) { auditEvents(accountId: $a, filter: $f, first: 1) { nodes { actorUserId actor { id } } } }', {
        a: accounts['Acme Retail'].id,
        f: { actorUserId: partnerUser.id },
      }),
    ).auditEvents;
    expect(data.nodes).toEqual([{ actorUserId: partnerUser.id, actor: null }]);
    expect(codes(await t.gql(ACME, SEARCH, { accountId: accounts['Acme Retail'].id, filter: {} }))).toEqual([]);
  });
});
