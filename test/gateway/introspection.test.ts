import { pruneSchema } from '@graphql-tools/utils';
import { buildClientSchema, getIntrospectionQuery, validateSchema, type IntrospectionQuery } from 'graphql';
import type { IntrospectionMode } from '../../src/config';
import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { databaseKinds } from '../support/databases';
import { ok, startTestPortico, type Caller, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const SCHEMA = '{ __schema { queryType { fields { name } } mutationType { fields { name } } types { name } } }';

interface SchemaAnswer {
  __schema: { queryType: { fields: Array<{ name: string }> }; mutationType: { fields: Array<{ name: string }> } | null; types: Array<{ name: string }> };
}

/** The dstny demo tickets subgraph behind a gateway in the given introspection mode. */
async function startGateway(kind: 'sqlite' | 'mysql', introspection: IntrospectionMode): Promise<{ t: TestPortico; subgraph: DemoSubgraph; stop(): Promise<void> }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const subgraph = await startDemoSubgraph('tickets', { porticoUrl: `${base}/graphql`, contextJwksUrl: `${base}${CONTEXT_JWKS_PATH}` });
  try {
    const t = await startTestPortico(kind, 'dstny', { port, subgraphs: [{ name: subgraph.name, url: subgraph.url }], introspection });
    return { t, subgraph, stop: async () => (await t.stop(), await subgraph.stop()) };
  } catch (error) {
    await subgraph.stop();
    throw error;
  }
}

/** The root fields and types a caller's introspection shows. */
async function schemaOf(t: TestPortico, as: Caller): Promise<{ query: string[]; mutation: string[]; types: string[] }> {
  const { __schema } = ok<SchemaAnswer>(await t.gql(as, SCHEMA));
  return {
    query: __schema.queryType.fields.map((f) => f.name).sort(),
    mutation: (__schema.mutationType?.fields ?? []).map((f) => f.name).sort(),
    types: __schema.types.map((type) => type.name),
  };
}

describe.each(databaseKinds())('introspection through the gateway with the demo subgraphs on %s', (kind) => {
  describe('PORTICO_INTROSPECTION=per-identity', () => {
    let g: Awaited<ReturnType<typeof startGateway>>;
    let full: Awaited<ReturnType<typeof startGateway>>;
    beforeAll(async () => {
      g = await startGateway(kind, 'per-identity');
      full = await startGateway(kind, 'full');
    });
    afterAll(async () => {
      await g?.stop();
      await full?.stop();
    });

    it("shows a Fleet Administrator deliveries but no tickets: what their roles could ever reach", async () => {
      const view = await schemaOf(g.t, 'fleet@acme.example');
      expect(view.query).toContain('deliveries');
      expect(view.query).toContain('viewer');
      expect(view.query).not.toContain('tickets');
      // audit.read is rights:assign in dstny, which a Fleet Administrator holds nowhere.
      expect(view.query).not.toContain('effectivePermissions');
      expect(view.mutation).toContain('rescheduleDelivery');
      expect(view.mutation).not.toContain('openTicket');
      expect(view.mutation).not.toContain('grantImpersonation');
      // A type only those fields reached is gone too, also when asked for by name.
      expect(view.types).toContain('Delivery');
      expect(view.types).not.toContain('Ticket');
      expect(ok(await g.t.gql('fleet@acme.example', '{ __type(name: "Ticket") { name } }'))).toEqual({ __type: null });
    });

    it.each(['fleet@acme.example', 'ppm@northwind.example', OPERATOR])("gives %s a view that client tools build into a valid schema", async (as) => {
      const schema = buildClientSchema(ok<IntrospectionQuery>(await g.t.gql(as, getIntrospectionQuery())));
      expect(validateSchema(schema)).toEqual([]);
      // Every type is reachable from the root types: nothing unreachable is left to describe.
      expect(Object.keys(pruneSchema(schema).getTypeMap()).sort()).toEqual(Object.keys(schema.getTypeMap()).sort());
    });

    it('shows a Portal Administrator both, and the administration operations', async () => {
      const view = await schemaOf(g.t, 'admin@acme.example');
      expect(view.query).toEqual(expect.arrayContaining(['tickets', 'deliveries', 'effectivePermissions', 'whoCan']));
      expect(view.mutation).toEqual(expect.arrayContaining(['openTicket', 'rescheduleDelivery', 'grantImpersonation']));
      expect(view.types).toContain('Ticket');
      expect(ok(await g.t.gql('admin@acme.example', '{ __type(name: "Ticket") { name } }'))).toEqual({ __type: { name: 'Ticket' } });
    });

    it('shows the platform operator the whole graph, as PORTICO_INTROSPECTION=full shows anyone', async () => {
      const operator = await schemaOf(g.t, OPERATOR);
      const whole = await schemaOf(full.t, OPERATOR);
      expect(whole.query).toContain('tickets');
      expect(operator).toEqual(whole);
    });

    it('shows an anonymous caller only the public part: no field of this graph is public', async () => {
      const view = await schemaOf(g.t, null);
      expect(view.query).toEqual([]);
      expect(view.mutation).toEqual([]);
      expect(view.types).not.toEqual(expect.arrayContaining(['Account']));
      expect(view.types.filter((name) => ['Account', 'User', 'Ticket', 'Delivery', 'Viewer'].includes(name))).toEqual([]);
    });

    it('shows a partner manager what a live impersonation grant would let them do, until it is revoked', async () => {
      const acme = (await g.t.account('Acme Logistics')).id;
      expect((await schemaOf(g.t, 'ppm@northwind.example')).query).not.toContain('deliveries');
      const granted = ok(await g.t.gql('admin@acme.example', 'mutation($c: ID!) { grantImpersonation(input: { customerAccountId: $c, rights: ["FLEET_ADMINISTRATOR"] }) { id } }', { c: acme }));
      const withGrant = await schemaOf(g.t, 'ppm@northwind.example');
      expect(withGrant.query).toContain('deliveries');
      expect(withGrant.query).not.toContain('tickets');
      ok(await g.t.gql('admin@acme.example', 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { id } }', { id: granted.grantImpersonation.id }));
      expect((await schemaOf(g.t, 'ppm@northwind.example')).query).not.toContain('deliveries');
    });

    it('refuses an operation mixing introspection with other fields, and asks no subgraph', async () => {
      const before = g.subgraph.requests();
      const result = await g.t.gql('fleet@acme.example', 'query($a: ID!) { __schema { queryType { name } } deliveries(accountId: $a) { item } }', { a: (await g.t.account('Acme Logistics')).id });
      expect(result.status).toBe(400);
      expect(result.errors!.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(result.data).toBeUndefined();
      expect(g.subgraph.requests()).toBe(before);
    });

    it('answers __typename beside introspection, and leaves other operations untouched', async () => {
      expect(ok(await g.t.gql('fleet@acme.example', '{ __typename __schema { queryType { name } } }'))).toEqual({ __typename: 'Query', __schema: { queryType: { name: 'Query' } } });
      expect(ok(await g.t.gql('fleet@acme.example', '{ viewer { user { email } } }'))).toEqual({ viewer: { user: { email: 'fleet@acme.example' } } });
    });

    it('shows a Fleet Administrator the whole graph under PORTICO_INTROSPECTION=full', async () => {
      expect((await schemaOf(full.t, 'fleet@acme.example')).query).toContain('tickets');
      expect((await schemaOf(full.t, null)).query).toContain('tickets');
    });
  });

  describe('PORTICO_INTROSPECTION=off', () => {
    let g: Awaited<ReturnType<typeof startGateway>>;
    beforeAll(async () => {
      g = await startGateway(kind, 'off');
    });
    afterAll(() => g?.stop());

    it.each([OPERATOR, 'fleet@acme.example'])('refuses introspection to %s', async (as) => {
      const result = await g.t.gql(as, SCHEMA);
      expect(result.status).toBe(400);
      expect(result.errors!.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(result.errors![0].message).toMatch(/introspection is not allowed/);
    });
  });

  describe('per-identity on the access-control graph served alone (no PORTICO_SUBGRAPHS)', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny', { introspection: 'per-identity' });
    });
    afterAll(() => t?.stop());

    it.each([
      { title: 'a Fleet Administrator: no access review, no impersonation grant', as: 'fleet@acme.example', shows: ['viewer', 'users'], hides: ['effectivePermissions', 'whoCan', 'auditEvents'] },
      { title: 'a Portal Administrator: the access review too', as: 'admin@acme.example', shows: ['viewer', 'effectivePermissions', 'whoCan', 'auditEvents'], hides: [] },
      { title: 'an anonymous caller: only the public _service', as: null, shows: ['_service'], hides: ['viewer', 'account', '_entities'] },
    ])('$title', async ({ as, shows, hides }) => {
      const view = await schemaOf(t, as);
      expect(view.query).toEqual(expect.arrayContaining(shows));
      expect(view.query.filter((name) => hides.includes(name))).toEqual([]);
    });
  });
});
