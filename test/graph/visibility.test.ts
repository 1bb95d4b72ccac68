import { randomUUID } from 'crypto';
import { DEMO_DATA, type DemoAccount } from '../../src/storage/demo-data';
import { AccountEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, type GraphQLResult, ok, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';

const PAGE = `query($first: Int, $after: String, $filter: AccountFilter) {
  accounts(first: $first, after: $after, filter: $filter) { nodes { id name } pageInfo { hasNextPage endCursor } }
}`;
const NODE = `query($id: ID!) {
  account(id: $id) {
    id name
    parent { name }
    ancestors { name }
    page: children(first: 1) { nodes { name } pageInfo { hasNextPage } }
    all: children(first: 100) { nodes { name } pageInfo { hasNextPage } }
  }
}`;
const ENTITIES = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Account { id name } ... on User { id email } } }';
const AUTHORIZE = 'query($checks: [AuthorizationCheckInput!]!) { authorize(checks: $checks) { permission accountId allowed scope reason } }';
const PERMISSIONS = 'query($accountId: ID) { viewer { permissions(accountId: $accountId) { permission } } }';

/** One operation per way of naming an account or a user the viewer cannot reach; each must read as unknown. */
const ON_ACCOUNT: Array<{ title: string; query: string; vars: (id: string, own: string) => Record<string, unknown> }> = [
  { title: 'createAccount under it', query: 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }', vars: (id) => ({ input: { type: 'CUSTOMER', name: `Probe ${randomUUID().slice(0, 6)}`, parentId: id } }) },
  { title: 'moveAccount of it', query: 'mutation($id: ID!, $parentId: ID!) { moveAccount(id: $id, parentId: $parentId) { id } }', vars: (id, own) => ({ id, parentId: own }) },
  { title: 'setAccountStatus of it', query: 'mutation($id: ID!) { setAccountStatus(id: $id, status: SUSPENDED) { id } }', vars: (id) => ({ id }) },
  { title: 'inviteUser into it', query: 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }', vars: (id) => ({ input: { accountId: id, email: `probe-${randomUUID().slice(0, 6)}@example.test`, name: 'Probe', roles: [] } }) },
  { title: 'createCustomRole in it', query: 'mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { name } }', vars: (id) => ({ input: { accountId: id, accountType: 'PARTNER', name: 'PROBE_ROLE', title: 'Probe', permissions: [] } }) },
  { title: 'communicationRecipients of it', query: 'query($id: ID!) { communicationRecipients(topic: NEWS, accountId: $id) { id } }', vars: (id) => ({ id }) },
  { title: 'auditEvents of it', query: 'query($id: ID!) { auditEvents(accountId: $id) { nodes { id } } }', vars: (id) => ({ id }) },
];
const ON_USER: Array<{ title: string; query: string; vars: (id: string) => Record<string, unknown> }> = [
  { title: 'setUserStatus', query: 'mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { id } }', vars: (id) => ({ id }) },
  { title: 'assignRole', query: 'mutation($id: ID!) { assignRole(userId: $id, role: "ADMIN") { id } }', vars: (id) => ({ id }) },
  { title: 'revokeRole', query: 'mutation($id: ID!) { revokeRole(userId: $id, role: "ADMIN") { id } }', vars: (id) => ({ id }) },
  { title: 'setContactRoles', query: 'mutation($id: ID!) { setContactRoles(userId: $id, roles: [TECHNICAL_CONTACT]) { id } }', vars: (id) => ({ id }) },
];

interface TreeNode {
  name: string;
  parent: string | null;
  children: string[];
  users: string[];
}

/** The preset's demo tree by account name, the platform (named `platform`) at the root. */
function demoTree(preset: string, platform: string): Map<string, TreeNode> {
  const tree = new Map<string, TreeNode>([[platform, { name: platform, parent: null, children: [], users: [OPERATOR] }]]);
  const add = (parent: string, spec: DemoAccount) => {
    tree.set(spec.name, { name: spec.name, parent, children: [], users: spec.users.map((u) => u.email) });
    tree.get(parent)!.children.push(spec.name);
    for (const child of spec.children ?? []) add(spec.name, child);
  };
  for (const tenant of DEMO_DATA[preset]) add(platform, tenant);
  return tree;
}

function subtree(tree: Map<string, TreeNode>, name: string): string[] {
  return [name, ...tree.get(name)!.children.flatMap((child) => subtree(tree, child))];
}

function ancestors(tree: Map<string, TreeNode>, name: string): string[] {
  const parent = tree.get(name)!.parent;
  return parent === null ? [] : [...ancestors(tree, parent), parent];
}

const homeOf = (tree: Map<string, TreeNode>, email: string) => [...tree.values()].find((n) => n.users.includes(email))!.name;

/** Name order, as `accounts` and `children` sort (the demo names compare the same with or without case). */
const byName = (names: string[]) => [...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));

/** Every page of `accounts`, two at a time; checks that pages are full until the last one. */
async function allPages(t: TestPortico, as: string, filter?: Record<string, unknown>): Promise<string[]> {
  const names: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const result: GraphQLResult = await t.gql(as, PAGE, { first: 2, after, filter });
    const { accounts } = ok(result);
    names.push(...accounts.nodes.map((a: { name: string }) => a.name));
    if (!accounts.pageInfo.hasNextPage) return names;
    expect(accounts.nodes).toHaveLength(2);
    after = accounts.pageInfo.endCursor;
  }
  throw new Error('accounts never reached its last page');
}

/** The error of an operation with the id it names replaced, so an invisible and an unknown target compare. */
const errorOf = (result: GraphQLResult, id: string) => ({ codes: codes(result), message: result.errors?.[0]?.message.split(id).join('<id>'), data: result.data ?? null });

interface Viewer {
  title: string;
  email: string;
  /** own: the home account alone; subtree: the home account and everything below it. */
  reach: 'own' | 'subtree';
  permission: string;
  /** Where the permission is held, when not on the home account (a grant that applies only below it). */
  heldOn?: string;
}

const PRESETS: Array<{ preset: string; viewers: Viewer[]; needles: string[] }> = [
  {
    preset: 'dstny',
    needles: ['a', 'NORTH', 'in', 'tech', 'Globex', 'direct', 'zzz'],
    viewers: [
      { title: 'a customer Portal Administrator', email: 'admin@acme.example', reach: 'own', permission: 'invoices:read' },
      { title: 'a customer Fleet Administrator', email: 'fleet@acme.example', reach: 'own', permission: 'fleet:read' },
      { title: 'a direct customer Portal Administrator', email: 'admin@umbrella.example', reach: 'own', permission: 'invoices:read' },
      { title: 'a partner Portal Administrator', email: 'ppa@northwind.example', reach: 'subtree', permission: 'customers:read' },
      { title: 'the other partner\'s Portal Administrator', email: 'ppa@contoso.example', reach: 'subtree', permission: 'customers:read' },
      { title: 'a partner Portal User', email: 'ppu@northwind.example', reach: 'subtree', permission: 'customers:read' },
    ],
  },
  {
    preset: 'appdirect',
    needles: ['a', 'NORTHWIND', 'east', 'in', 'cloud', 'Fabrikam', 'zzz'],
    viewers: [
      { title: 'a partner Account Manager', email: 'am@northwind.example', reach: 'subtree', permission: 'organizations:read' },
      { title: 'the other partner\'s Account Manager', email: 'am@contoso.example', reach: 'subtree', permission: 'organizations:read' },
      { title: 'a sub-partner Account Manager', email: 'am@east.example', reach: 'subtree', permission: 'organizations:read' },
      { title: 'a customer Account Manager', email: 'am@acme.example', reach: 'subtree', permission: 'organizations:read' },
      { title: 'a partner Billing Manager', email: 'billing@northwind.example', reach: 'subtree', permission: 'organizations:read' },
      { title: 'a partner Subscription Manager', email: 'subs@northwind.example', reach: 'own', permission: 'subscriptions:update' },
      // "For their customers": offers:add on the affiliate's customer, not on the affiliate itself.
      { title: 'an affiliate Technical Manager', email: 'tech@fabrikam.example', reach: 'subtree', permission: 'offers:add', heldOn: 'Fabrikam Client' },
    ],
  },
];

describe.each(databaseKinds())('visibility on %s', (kind) => {
  describe('nameContains with LIKE wildcards and escape characters', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
    });
    afterAll(() => t?.stop());

    it('matches them literally, and only among the accounts the viewer reaches', async () => {
      const northwind = await t.account('Northwind Telecom');
      const contoso = await t.account('Contoso Networks');
      const names = ['Per%cent', 'Percent', 'Under_score', 'UnderXscore', 'Back\\slash', 'Backslash', 'Bang!s', 'Bangs'];
      for (const name of names) {
        for (const parentId of [northwind.id, contoso.id]) {
          ok(await t.gql(OPERATOR, 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }', { input: { type: 'CUSTOMER', name: `${name} ${parentId === northwind.id ? 'N' : 'C'}`, parentId } }));
        }
      }
      const cases: Array<[string, string[]]> = [
        ['%', ['Per%cent N']],
        ['_', ['Under_score N']],
        ['\\', ['Back\\slash N']],
        ['!', ['Bang!s N']],
        ['r%c', ['Per%cent N']],
        ['r_s', ['Under_score N']],
        ['k\\s', ['Back\\slash N']],
        ['g!s', ['Bang!s N']],
        ['%c', ['Per%cent N']],
        ['BANG', ['Bang!s N', 'Bangs N']],
      ];
      for (const [needle, expected] of cases) {
        expect({ needle, names: await allPages(t, 'ppa@northwind.example', { nameContains: needle }) }).toEqual({ needle, names: expected });
      }
    });
  });

  describe.each(PRESETS)('$preset', ({ preset, viewers, needles }) => {
    let t: TestPortico;
    let tree: Map<string, TreeNode>;
    let ids: Map<string, string>;
    let users: UserEntity[];

    beforeAll(async () => {
      t = await startTestPortico(kind, preset);
      const em = t.portico.services.db.manager;
      const platform = await em.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
      tree = demoTree(preset, platform.name);
      ids = new Map((await em.find(AccountEntity)).map((a) => [a.name, a.id]));
      users = await em.find(UserEntity);
    });
    afterAll(() => t?.stop());

    const visibleTo = (viewer: Viewer) => {
      const home = homeOf(tree, viewer.email);
      return new Set(viewer.reach === 'own' ? [home] : subtree(tree, home));
    };
    const invisibleTo = (viewer: Viewer) => [...tree.keys()].filter((name) => !visibleTo(viewer).has(name));
    const usersOf = (names: string[]) => users.filter((u) => names.some((n) => ids.get(n) === u.accountId));

    it('the demo tree is the one the database holds', () => {
      expect([...ids.keys()].sort()).toEqual([...tree.keys()].sort());
    });

    describe.each(viewers)('$title ($email)', (viewer) => {
      it('accounts lists exactly the accounts it reaches, in name order, page after page', async () => {
        const expected = byName([...visibleTo(viewer)]);
        expect(expected.length).toBeGreaterThan(0);
        expect(await allPages(t, viewer.email)).toEqual(expected);
      });

      it('account(id) and user(id) of another tenant are null, without an error, as through _entities', async () => {
        const hidden = invisibleTo(viewer);
        expect(hidden.length).toBeGreaterThan(0);
        for (const name of hidden) {
          const result = await t.gql(viewer.email, 'query($id: ID!) { account(id: $id) { id name } }', { id: ids.get(name) });
          expect(result.errors).toBeUndefined();
          expect(result.data).toEqual({ account: null });
        }
        const hiddenUsers = usersOf(hidden);
        expect(hiddenUsers.length).toBeGreaterThan(0);
        for (const user of hiddenUsers) {
          const result = await t.gql(viewer.email, 'query($id: ID!) { user(id: $id) { id email } }', { id: user.id });
          expect(result.errors).toBeUndefined();
          expect(result.data).toEqual({ user: null });
        }
        const representations = [...hidden.map((name) => ({ __typename: 'Account', id: ids.get(name) })), ...hiddenUsers.map((u) => ({ __typename: 'User', id: u.id }))];
        const entities = ok(await t.gql(viewer.email, ENTITIES, { representations }));
        expect(entities._entities).toEqual(representations.map(() => null));
      });

      it('account(id) of each account it reaches shows only the parent, ancestors and children it reaches', async () => {
        const visible = visibleTo(viewer);
        for (const name of visible) {
          const { account } = ok(await t.gql(viewer.email, NODE, { id: ids.get(name) }));
          const node = tree.get(name)!;
          const children = byName(node.children.filter((c) => visible.has(c)));
          expect(account.name).toBe(name);
          expect(account.parent).toEqual(node.parent !== null && visible.has(node.parent) ? { name: node.parent } : null);
          expect(account.ancestors.map((a: { name: string }) => a.name)).toEqual(ancestors(tree, name).filter((a) => visible.has(a)));
          expect(account.all).toEqual({ nodes: children.map((c) => ({ name: c })), pageInfo: { hasNextPage: false } });
          // A short page does not betray children the viewer cannot see either.
          expect(account.page).toEqual({ nodes: children.slice(0, 1).map((c) => ({ name: c })), pageInfo: { hasNextPage: children.length > 1 } });
        }
      });

      it('accounts(filter) never leaks: nameContains, parentId and type narrow the reachable set only', async () => {
        const visible = byName([...visibleTo(viewer)]);
        for (const needle of needles) {
          expect(await allPages(t, viewer.email, { nameContains: needle })).toEqual(visible.filter((n) => n.toLowerCase().includes(needle.toLowerCase())));
        }
        for (const name of tree.keys()) {
          const children = tree.get(name)!.children;
          expect(await allPages(t, viewer.email, { parentId: ids.get(name) })).toEqual(byName(children.filter((c) => visible.includes(c))));
        }
        const accountTypes = new Map((await t.portico.services.db.manager.find(AccountEntity)).map((a) => [a.name, a.type]));
        for (const type of ['PLATFORM', 'PARTNER', 'SUB_PARTNER', 'AFFILIATE', 'CUSTOMER']) {
          expect(await allPages(t, viewer.email, { type })).toEqual(visible.filter((n) => accountTypes.get(n) === type));
        }
      });

      it('authorize and viewer.permissions answer for an invisible account exactly as for an unknown id', async () => {
        const unknown = randomUUID();
        const [probe] = ok(await t.gql(viewer.email, AUTHORIZE, { checks: [{ permission: viewer.permission, accountId: unknown }] })).authorize;
        expect(probe.allowed).toBe(false);
        const reasonFor = (decision: { reason: string; accountId: string }) => decision.reason.split(decision.accountId).join('<id>');
        const hidden = invisibleTo(viewer);
        const checks = hidden.map((name) => ({ permission: viewer.permission, accountId: ids.get(name)! }));
        const decisions = ok(await t.gql(viewer.email, AUTHORIZE, { checks })).authorize;
        expect(decisions.map((d: { accountId: string }) => d.accountId)).toEqual(checks.map((c) => c.accountId));
        for (const decision of decisions) {
          expect(decision).toMatchObject({ permission: viewer.permission, allowed: false, scope: null });
          expect(reasonFor(decision)).toBe(reasonFor(probe));
        }
        for (const name of hidden) {
          expect(ok(await t.gql(viewer.email, PERMISSIONS, { accountId: ids.get(name) })).viewer.permissions).toEqual([]);
        }
        // And the permission is one the viewer does hold where it reaches: the denial is about reach alone.
        const [own] = ok(await t.gql(viewer.email, AUTHORIZE, { checks: [{ permission: viewer.permission, accountId: ids.get(viewer.heldOn ?? homeOf(tree, viewer.email)) }] })).authorize;
        expect(own.allowed).toBe(true);
      });

      it('operations naming an invisible account or user fail with NOT_FOUND, exactly as for unknown ids, and change nothing', async () => {
        const own = ids.get(homeOf(tree, viewer.email))!;
        const hidden = invisibleTo(viewer);
        const before = await t.snapshot();
        for (const op of ON_ACCOUNT) {
          const unknown = randomUUID();
          const expected = errorOf(await t.gql(viewer.email, op.query, op.vars(unknown, own)), unknown);
          expect(expected.codes).toEqual(['NOT_FOUND']);
          for (const name of hidden) {
            const id = ids.get(name)!;
            expect({ op: op.title, ...errorOf(await t.gql(viewer.email, op.query, op.vars(id, own)), id) }).toEqual({ op: op.title, ...expected });
          }
        }
        for (const op of ON_USER) {
          const unknown = randomUUID();
          const expected = errorOf(await t.gql(viewer.email, op.query, op.vars(unknown)), unknown);
          expect(expected.codes).toEqual(['NOT_FOUND']);
          for (const user of usersOf(hidden)) {
            expect({ op: op.title, ...errorOf(await t.gql(viewer.email, op.query, op.vars(user.id)), user.id) }).toEqual({ op: op.title, ...expected });
          }
        }
        expect(await t.snapshot()).toEqual(before);
      });
    });

    it('the platform operator sees every account and every user', async () => {
      expect(await allPages(t, OPERATOR)).toEqual(byName([...tree.keys()]));
      for (const [name, id] of ids) {
        expect(ok(await t.gql(OPERATOR, 'query($id: ID!) { account(id: $id) { name } }', { id })).account).toEqual({ name });
        const { account } = ok(await t.gql(OPERATOR, NODE, { id }));
        expect(account.all.nodes.map((c: { name: string }) => c.name)).toEqual(byName(tree.get(name)!.children));
      }
      for (const user of users) {
        expect(ok(await t.gql(OPERATOR, 'query($id: ID!) { user(id: $id) { email } }', { id: user.id })).user).toEqual({ email: user.email });
      }
    });
  });
});
