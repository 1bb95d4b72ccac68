import { databaseKinds } from '../support/databases';
import { codes, startTestPortico, type TestPortico } from '../support/portico';

// The gateway resolves `Account` and `User` references through `_entities`; the reference resolvers answer
// only what the caller may see, exactly like `account(id)` and `user(id)`.
const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Account { id name }
    ... on User { id email }
  }
}`;

describe.each(databaseKinds())('federation entity resolution on %s', (kind) => {
  let t: TestPortico;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
  });
  afterAll(() => t?.stop());

  const ref = (typename: 'Account' | 'User', id: string) => ({ __typename: typename, id });

  it('refuses an anonymous caller', async () => {
    const acme = await t.account('Acme Logistics');
    const result = await t.gql(null, ENTITIES, { representations: [ref('Account', acme.id)] });
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.data?._entities ?? null).toBeNull();
  });

  it('resolves the accounts and users the caller reaches, and null for the rest, in the order asked', async () => {
    const [northwind, acme, globex, initech] = await Promise.all(['Northwind Telecom', 'Acme Logistics', 'Globex', 'Initech'].map((n) => t.account(n)));
    const [fleet, contoso] = await Promise.all(['fleet@acme.example', 'ppa@contoso.example'].map((e) => t.user(e)));
    const representations = [
      ref('Account', acme.id),
      ref('Account', northwind.id),
      ref('Account', globex.id),
      ref('Account', initech.id),
      ref('User', fleet.id),
      ref('User', contoso.id),
      ref('Account', '00000000-0000-4000-8000-000000000000'),
    ];
    const asAdmin = await t.gql('admin@acme.example', ENTITIES, { representations });
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data!._entities).toEqual([
      { __typename: 'Account', id: acme.id, name: 'Acme Logistics' },
      null,
      null,
      null,
      { __typename: 'User', id: fleet.id, email: 'fleet@acme.example' },
      null,
      null,
    ]);

    // The partner reaches its customers' accounts, but not their users: it holds no users.read on them.
    const asPartner = await t.gql('ppa@northwind.example', ENTITIES, { representations });
    expect(asPartner.errors).toBeUndefined();
    expect(asPartner.data!._entities.map((e: { id: string } | null) => e?.id ?? null)).toEqual([acme.id, northwind.id, globex.id, null, null, null, null]);

    const asOperator = await t.gql('admin@platform.local', ENTITIES, { representations });
    expect(asOperator.data!._entities.map((e: { id: string } | null) => e?.id ?? null)).toEqual([acme.id, northwind.id, globex.id, initech.id, fleet.id, contoso.id, null]);
  });

  it('a resolved entity keeps its field rules: users of an account need users.read there', async () => {
    const acme = await t.account('Acme Logistics');
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Account { name users(first: 5) { nodes { email } } } } }';
    const insight = await t.gql('insight@acme.example', query, { r: [ref('Account', acme.id)] });
    expect(insight.data!._entities).toEqual([{ name: 'Acme Logistics', users: null }]);
    expect(codes(insight)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    const admin = await t.gql('admin@acme.example', query, { r: [ref('Account', acme.id)] });
    expect(admin.errors).toBeUndefined();
    expect(admin.data!._entities[0].users.nodes.map((u: { email: string }) => u.email).sort()).toEqual(['admin@acme.example', 'billing@acme.example', 'fleet@acme.example', 'insight@acme.example']);
  });
});
