import { readdirSync, readFileSync, statSync } from 'fs';
import { buildSchema, graphql, type GraphQLObjectType } from 'graphql';
import { join, relative } from 'path';
import { enforceDirectives } from '../../src/graph/enforce';
import { accountIdAt, accountIdOf, alternatives, applyPorticoDirectives, fieldRules, PORTICO_DIRECTIVE_DEFINITIONS, type PorticoViewer } from 'portico-kit';
import { declaredRules } from 'portico-kit';

const SDL = `
  ${PORTICO_DIRECTIVE_DEFINITIONS}
  type Query {
    item: Item @authenticated
    report(accountId: ID!): String @requiresPermission(permission: "reports:read", account: "accountId")
  }
  type Item @authenticated {
    name: String @public
    secret: String @requiresPermission(permission: "invoices:read|invoices:audit", account: "accountId")
    accountId: Int
  }
`;

describe('the rule model (packages/kit/src/rules.ts)', () => {
  it.each([
    { title: 'a string id is itself', value: 'acc-1', id: 'acc-1' },
    { title: 'a numeric id is its decimal text', value: 42, id: '42' },
    { title: 'a non-finite number names no account', value: Number.NaN, id: undefined },
    { title: 'an object names no account', value: { id: 'acc-1' }, id: undefined },
    { title: 'null names no account', value: null, id: undefined },
  ])('$title', ({ value, id }) => {
    expect(accountIdOf(value)).toBe(id);
  });

  it.each([
    { title: 'an argument', path: 'accountId', args: { accountId: 7 }, parent: { accountId: 'parent' }, id: '7' },
    { title: 'an input field', path: 'input.accountId', args: { input: { accountId: 'acc-2' } }, parent: undefined, id: 'acc-2' },
    { title: 'the parent, when no argument has that name', path: 'accountId', args: {}, parent: { accountId: 'acc-3' }, id: 'acc-3' },
    { title: 'a missing input field, never the parent', path: 'input.accountId', args: { input: {} }, parent: { input: { accountId: 'x' } }, id: undefined },
  ])('reads the account of a path from $title', ({ path, args, parent, id }) => {
    expect(accountIdAt(path, args, parent)).toBe(id);
  });

  it.each([
    { title: 'a plain permission', permission: 'offers:read', names: ['offers:read'] },
    { title: 'alternatives', permission: 'offers:read | offers:readRetailPrice', names: ['offers:read', 'offers:readRetailPrice'] },
    { title: 'nothing', permission: ' | ', names: [] },
  ])('splits $title', ({ permission, names }) => {
    expect(alternatives(permission)).toEqual(names);
  });

  it('reads rules with the names a schema links them under, in one order whatever order they were written in', () => {
    const schema = buildSchema(`
      directive @authz__requiresPermission(permission: String!, account: String) on FIELD_DEFINITION | OBJECT
      directive @authz__authenticated on FIELD_DEFINITION | OBJECT
      type Query { a(id: ID): String @authz__requiresPermission(permission: "a:read", account: "id") @authz__authenticated }
    `);
    const field = schema.getQueryType()!.getFields().a;
    const names = new Map([
      ['authz__requiresPermission', 'requiresPermission'],
      ['authz__authenticated', 'authenticated'],
    ] as const);
    expect(declaredRules(schema, field, names)).toEqual([
      { directive: 'authz__authenticated', rule: { kind: 'authenticated' } },
      { directive: 'authz__requiresPermission', rule: { kind: 'permission', permission: 'a:read', account: 'id' } },
    ]);
    const item = buildSchema(SDL).getType('Item') as GraphQLObjectType;
    expect(fieldRules(buildSchema(SDL), item, item.getFields().name)).toEqual([{ kind: 'public' }]);
  });
});

describe('the in-process graph and a downstream subgraph give the same verdicts', () => {
  const root = { item: { name: 'n', secret: 's', accountId: 42 }, report: 'r' };

  /** Runs a query through both enforcements, the caller holding `held` ("permission@account"); returns the accounts each asked about and what it answered. */
  async function both(query: string, held: string[]) {
    const outcomes = [];
    for (const enforce of ['graph', 'kit'] as const) {
      const asked: string[] = [];
      // As Portico's viewer does, `a|b` is allowed by either; the graph asks one alternative at a time.
      const authorize = async (permission: string, accountId: string) => {
        asked.push(accountId);
        return { allowed: alternatives(permission).some((p) => held.includes(`${p}@${accountId}`)), permission, accountId, scope: null, reason: 'table' };
      };
      const schema = buildSchema(SDL);
      const contextValue =
        enforce === 'graph'
          ? { principal: { account: { id: 'home' } }, authorize, requireOn: async (permission: string, accountId: string) => {
              if (!(await authorize(permission, accountId)).allowed) throw Object.assign(new Error('denied'), { code: 'FORBIDDEN' });
            } }
          : { portico: { accountId: 'home', authorize } as unknown as PorticoViewer };
      const result = await graphql({ schema: enforce === 'graph' ? enforceDirectives(schema) : applyPorticoDirectives(schema), source: query, rootValue: root, contextValue });
      outcomes.push({ asked, data: result.data, denied: result.errors?.map((e) => e.path?.join('.')) });
    }
    return outcomes;
  }

  it.each([
    { title: 'a numeric account id on the parent is decided as its text, and allowed', query: '{ item { secret } }', held: ['invoices:read@42'], data: { item: { secret: 's' } } },
    { title: 'the second alternative allows', query: '{ item { secret } }', held: ['invoices:audit@42'], data: { item: { secret: 's' } } },
    { title: 'no alternative held denies the field alone', query: '{ item { name secret } }', held: [], data: { item: { name: 'n', secret: null } } },
    { title: 'a numeric argument is decided as its text', query: '{ report(accountId: 7) }', held: ['reports:read@7'], data: { report: 'r' } },
  ])('$title', async ({ query, held, data }) => {
    const [graph, kit] = await both(query, held);
    expect(graph.data).toEqual(data);
    expect(kit.data).toEqual(graph.data);
    expect(kit.denied).toEqual(graph.denied);
    expect(new Set(kit.asked)).toEqual(new Set(graph.asked));
  });
});

describe('one reading of a rule', () => {
  const ROOT = join(__dirname, '..', '..');
  const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : name.endsWith('.ts') ? [join(dir, name)] : []));

  it.each([
    { title: 'splits `a|b` alternatives', pattern: /\.split\(\s*(['"`]\|['"`]|ANY_OF_SEPARATOR)\s*\)/ },
    { title: 'walks an account path by hand', pattern: /\.split\(\s*['"`]\.['"`]\s*\)\s*\.reduce/ },
    { title: 'reads @requiresPermission from the syntax tree', pattern: /name\.value\s*===\s*['"`](requiresPermission|permission|account)['"`]/ },
  ])('nothing but the kit\'s rules.ts $title', ({ pattern }) => {
    const offenders = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'packages', 'kit', 'src'))]
      .filter((file) => pattern.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(offenders.filter((file) => file !== join('packages', 'kit', 'src', 'rules.ts'))).toEqual([]);
  });
});
