import { buildSchema, graphql } from 'graphql';
import { enforceDirectives, protectionReport } from '../../src/graph/enforce';

const SDL = `
  directive @authenticated on FIELD_DEFINITION | OBJECT
  directive @public on FIELD_DEFINITION | OBJECT
  directive @requiresPermission(permission: String!, account: String) on FIELD_DEFINITION | OBJECT
  type Query {
    open: String @public
    signedIn: String @authenticated
    forgotten: String
    item: Item @authenticated
  }
  type Item @authenticated {
    name: String
    secret: String @requiresPermission(permission: "invoices:read", account: "accountId")
    accountId: String
  }
`;

function schemaWith(decision: (permission: string, accountId: string) => boolean) {
  const schema = enforceDirectives(buildSchema(SDL));
  const root = { open: 'o', signedIn: 's', forgotten: 'f', item: { name: 'n', secret: 'x', accountId: 'acc-1' } };
  const context = (signedIn: boolean) => ({
    principal: signedIn ? { account: { id: 'home' } } : null,
    authorize: async (permission: string, accountId: string) => ({ allowed: decision(permission, accountId), reason: 'test' }),
  });
  return { run: (query: string, signedIn: boolean) => graphql({ schema, source: query, rootValue: root, contextValue: context(signedIn) }) };
}

describe('directive enforcement', () => {
  it('reports a field with no rule as a hole', () => {
    const holes = protectionReport(buildSchema(SDL)).filter((e) => e.rules.length === 0).map((e) => e.field);
    expect(holes).toEqual(['Query.forgotten']);
  });

  it.each([
    { title: 'a public field answers anyone', query: '{ open }', signedIn: false, data: { open: 'o' }, code: undefined },
    { title: 'an @authenticated field refuses an anonymous caller', query: '{ signedIn }', signedIn: false, data: { signedIn: null }, code: 'UNAUTHENTICATED' },
    { title: 'an @authenticated field answers a signed-in caller', query: '{ signedIn }', signedIn: true, data: { signedIn: 's' }, code: undefined },
    { title: 'a silent field is refused even to a signed-in caller', query: '{ forgotten }', signedIn: true, data: { forgotten: null }, code: 'FORBIDDEN' },
    { title: 'a type-level @authenticated protects its fields', query: '{ item { name } }', signedIn: false, data: { item: null }, code: 'UNAUTHENTICATED' },
  ])('$title', async ({ query, signedIn, data, code }) => {
    const result = await schemaWith(() => true).run(query, signedIn);
    expect(result.data).toEqual(data);
    expect(result.errors?.map((e) => (e.originalError as { code?: string }).code)).toEqual(code ? [code] : undefined);
  });

  it('an object-level permission reads the account from the parent and filters only that field', async () => {
    const asked: string[] = [];
    const denied = await schemaWith((permission, accountId) => {
      asked.push(`${permission}@${accountId}`);
      return false;
    }).run('{ item { name secret } }', true);
    expect(asked).toEqual(['invoices:read@acc-1']);
    expect(denied.data).toEqual({ item: { name: 'n', secret: null } });
    expect(denied.errors?.map((e) => [(e.originalError as { code?: string }).code, e.path])).toEqual([['UNAUTHORIZED_FIELD_OR_TYPE', ['item', 'secret']]]);
    const allowed = await schemaWith(() => true).run('{ item { name secret } }', true);
    expect(allowed.data).toEqual({ item: { name: 'n', secret: 'x' } });
  });
});
