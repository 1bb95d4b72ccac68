import { decodeJwt } from 'jose';
import type { EnforcementMode } from '../../src/config';
import { CONTEXT_HEADER, contextVerifier, DECISIONS_HEADER, DECISIONS_LIFETIME_SECONDS } from '../../src/identity/context-token';
import { signDevToken } from '../../src/identity';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';
import { startFleetSubgraph, startRouterSubgraph, type TestSubgraph } from './subgraphs';

const INSIGHT = 'insight@acme.example'; // Insight User: deliveries, insights; no fleet:read, no invoices
const FLEET = 'fleet@acme.example'; // Fleet Administrator: fleet:read, fleet:manage
const ADMIN = 'admin@acme.example'; // Portal Administrator: fleet:read, invoices:read, services:order

const denied = (path: Array<string | number>, requirement: Record<string, unknown>, message: RegExp = /not authorized/) => ({
  message: expect.stringMatching(message),
  path,
  extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', ...requirement },
});

interface Gateway {
  t: TestPortico;
  /** Runs an operation with a bearer token (a user's development token with extra claims) and extra headers. */
  send(query: string, options?: { as?: string | null; scope?: string; variables?: Record<string, unknown>; headers?: Record<string, string> }): Promise<GraphQLResult & { extensions?: Record<string, any> }>;
}

async function startGateway(kind: 'sqlite' | 'mysql', subgraphs: TestSubgraph[], enforcement: EnforcementMode = 'filter'): Promise<Gateway> {
  const t = await startTestPortico(kind, 'dstny', { subgraphs: subgraphs.map(({ name, url }) => ({ name, url })), enforcement });
  return {
    t,
    async send(query, { as = null, scope, variables, headers = {} } = {}) {
      const token = as ? await signDevToken(t.portico.devKeys!, await t.user(as), '1h', scope ? { scope } : {}) : undefined;
      const response = await fetch(t.portico.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { ...((await response.json()) as GraphQLResult), status: response.status };
    },
  };
}

describe.each(databaseKinds())('the gateway on %s', (kind) => {
  let fleet: TestSubgraph;
  let weather: TestSubgraph;
  beforeAll(async () => {
    fleet = await startFleetSubgraph();
    weather = await startRouterSubgraph();
  });
  afterAll(async () => {
    await fleet.stop();
    await weather.stop();
  });

  describe('in filter mode (the default)', () => {
    let gw: Gateway;
    let acmeId: string;
    let globexId: string;
    beforeAll(async () => {
      gw = await startGateway(kind, [fleet, weather]);
      acmeId = (await gw.t.account('Acme Logistics')).id;
      globexId = (await gw.t.account('Globex')).id;
    });
    afterAll(() => gw.t.stop());
    beforeEach(() => {
      fleet.reset();
      weather.reset();
    });

    const VEHICLES = '{ fleetStatus vehicles { id name mileage } }';

    it('answers a caller who holds the permission in full', async () => {
      const result = await gw.send(VEHICLES, { as: FLEET });
      expect(result).toEqual({
        status: 200,
        data: { fleetStatus: 'operational', vehicles: [{ id: 'v1', name: 'Van 1', mileage: 1200 }, { id: 'v2', name: 'Van 2', mileage: 800 }] },
      });
    });

    it('reads a denied field as null with an error at each exact path, the rest intact', async () => {
      const result = await gw.send(VEHICLES, { as: INSIGHT });
      expect(result).toEqual({
        status: 200,
        data: { fleetStatus: 'operational', vehicles: [{ id: 'v1', name: 'Van 1', mileage: null }, { id: 'v2', name: 'Van 2', mileage: null }] },
        errors: [
          denied(['vehicles', 0, 'mileage'], { permission: 'fleet:read' }, /^not authorized to read Vehicle\.mileage: requires fleet:read$/),
          denied(['vehicles', 1, 'mileage'], { permission: 'fleet:read' }),
        ],
      });
      // The subgraph was asked for what remained, never for the denied field.
      expect(fleet.operations().map((o) => o.query)).toEqual([expect.not.stringContaining('mileage')]);
    });

    it.each([
      {
        title: 'a removed non-null field nulls its nullable parent',
        query: '{ vehicle(id: "v1") { name vin } }',
        data: { vehicle: null },
        errors: [denied(['vehicle', 'vin'], { permission: 'fleet:read' })],
      },
      {
        title: 'through non-null list items and a non-null root field, up to data',
        query: '{ fleetStatus vehicles { name vin } }',
        data: null,
        errors: [denied(['vehicles', 0, 'vin'], { permission: 'fleet:read' }), denied(['vehicles', 1, 'vin'], { permission: 'fleet:read' })],
      },
    ])('null propagation follows GraphQL: $title', async ({ query, data, errors }) => {
      expect(await gw.send(query, { as: INSIGHT })).toEqual({ status: 200, data, errors });
    });

    it('keeps fragments valid: a fragment left empty selects __typename, and nothing of it leaks', async () => {
      const result = await gw.send('query Fleet { vehicles { ...Mileage } } fragment Mileage on Vehicle { mileage }', { as: INSIGHT });
      expect(result).toEqual({
        status: 200,
        data: { vehicles: [{ mileage: null }, { mileage: null }] },
        errors: [denied(['vehicles', 0, 'mileage'], { permission: 'fleet:read' }), denied(['vehicles', 1, 'mileage'], { permission: 'fleet:read' })],
      });
    });

    it('keeps a fragment on the root type valid, and nothing of it leaks', async () => {
      const result = await gw.send('query Status { ...Status } fragment Status on Query { telemetry fleetStatus }', { as: INSIGHT });
      expect(result).toEqual({ status: 200, data: { telemetry: null, fleetStatus: 'operational' }, errors: [denied(['telemetry'], { scopes: [['fleet.read', 'fleet.export'], ['fleet.admin']] })] });
    });

    it('nulls a field removed from a fragment on one member of a union only where that member answered', async () => {
      const query = '{ assets { ... on Vehicle { id mileage } ... on Phone { id number } } }';
      const result = await gw.send(query, { as: INSIGHT });
      expect(result).toEqual({
        status: 200,
        data: { assets: [{ id: 'v1', mileage: null }, { id: 'p1', number: '+32 2 555 0101' }, { id: 'v2', mileage: null }] },
        errors: [denied(['assets', 0, 'mileage'], { permission: 'fleet:read' }), denied(['assets', 2, 'mileage'], { permission: 'fleet:read' })],
      });
      expect((await gw.send(query, { as: FLEET })).data).toEqual({ assets: [{ id: 'v1', mileage: 1200 }, { id: 'p1', number: '+32 2 555 0101' }, { id: 'v2', mileage: 800 }] });
    });

    it('reports nothing for a denied field the operation skips', async () => {
      const result = await gw.send('query($skip: Boolean!) { vehicles { name mileage @skip(if: $skip) } }', { as: INSIGHT, variables: { skip: true } });
      expect(result).toEqual({ status: 200, data: { vehicles: [{ name: 'Van 1' }, { name: 'Van 2' }] } });
    });

    it('a denied field alone causes no subgraph request at all', async () => {
      const query = 'query Report($account: ID!) { fleetReport(accountId: $account) }';
      const result = await gw.send(query, { as: INSIGHT, variables: { account: acmeId } });
      expect(result).toEqual({ status: 200, data: { fleetReport: null }, errors: [denied(['fleetReport'], { permission: 'fleet:read' })] });
      expect(fleet.operations()).toEqual([]);
    });

    it.each([
      { title: 'on their own account it is allowed', account: 'acme', as: FLEET, allowed: true },
      { title: "on an account they cannot see it is denied, as if it did not exist", account: 'globex', as: FLEET, allowed: false },
      { title: 'without the permission it is denied', account: 'acme', as: INSIGHT, allowed: false },
    ])('a permission on the account an argument names: $title', async ({ account, as, allowed }) => {
      const id = account === 'acme' ? acmeId : globexId;
      const result = await gw.send('query Report($account: ID!) { fleetStatus fleetReport(accountId: $account) }', { as, variables: { account: id } });
      if (allowed) expect(result).toEqual({ status: 200, data: { fleetStatus: 'operational', fleetReport: `report for ${id}` } });
      else expect(result).toEqual({ status: 200, data: { fleetStatus: 'operational', fleetReport: null }, errors: [denied(['fleetReport'], { permission: 'fleet:read' })] });
      expect(fleet.operations().map((o) => o.query.includes('fleetReport'))).toEqual([allowed]);
    });

    it('a denied mutation causes no subgraph request; an allowed one runs', async () => {
      const mutation = 'mutation { renameVehicle(id: "v1", name: "Van One") { id name } }';
      expect(await gw.send(mutation, { as: INSIGHT })).toEqual({
        status: 200,
        data: { renameVehicle: null },
        errors: [denied(['renameVehicle'], { permission: 'fleet:manage' }, /^not authorized to run Mutation\.renameVehicle: requires fleet:manage$/)],
      });
      expect(fleet.operations()).toEqual([]);
      expect(await gw.send(mutation, { as: FLEET })).toEqual({ status: 200, data: { renameVehicle: { id: 'v1', name: 'Van One' } } });
      expect(fleet.operations()).toHaveLength(1);
    });

    it.each([
      { title: 'a caller holding one alternative runs it', as: ADMIN, data: { orderService: 'ordered fibre' } },
      { title: 'a caller holding none is refused before any request', as: FLEET, data: { orderService: null } },
    ])('@policy names permissions, OR of ANDs: $title', async ({ as, data }) => {
      const result = await gw.send('mutation { orderService(name: "fibre") }', { as });
      expect(result.data).toEqual(data);
      if (data.orderService === null) {
        expect(result.errors).toEqual([denied(['orderService'], { policies: [['services:order'], ['tickets:create', 'purchases:create']] })]);
        expect(fleet.operations()).toEqual([]);
      } else expect(result.errors).toBeUndefined();
    });

    it.each([
      { title: 'both scopes of one alternative', scope: 'fleet.read fleet.export', allowed: true },
      { title: 'the other alternative', scope: 'openid fleet.admin', allowed: true },
      { title: 'half of an alternative', scope: 'fleet.read', allowed: false },
      { title: 'no scope claim', scope: undefined, allowed: false },
    ])("@requiresScopes is checked against the token's scope claim: $title", async ({ scope, allowed }) => {
      const result = await gw.send('{ telemetry }', { as: FLEET, scope });
      if (allowed) expect(result).toEqual({ status: 200, data: { telemetry: 'telemetry' } });
      else expect(result).toEqual({ status: 200, data: { telemetry: null }, errors: [denied(['telemetry'], { scopes: [['fleet.read', 'fleet.export'], ['fleet.admin']] })] });
    });

    it('an @authenticated type is out of reach of an anonymous caller', async () => {
      const result = await gw.send('{ fleetStatus vehicles { id } }');
      expect(result).toEqual({ status: 200, data: null, errors: [denied(['vehicles'], { authenticated: true })] });
      expect((await gw.send('{ fleetStatus }')).data).toEqual({ fleetStatus: 'operational' });
    });

    it("a subgraph written for Apollo Router works behind Portico, its @authenticated and @requiresScopes enforced", async () => {
      const query = '{ forecast detailedForecast }';
      expect(await gw.send(query)).toEqual({
        status: 200,
        data: { forecast: null, detailedForecast: null },
        errors: [denied(['forecast'], { authenticated: true }), denied(['detailedForecast'], { scopes: [['forecast:read']] })],
      });
      expect(weather.operations()).toEqual([]);
      expect(await gw.send(query, { as: INSIGHT })).toEqual({ status: 200, data: { forecast: 'sunny', detailedForecast: null }, errors: [denied(['detailedForecast'], { scopes: [['forecast:read']] })] });
      expect(await gw.send(query, { as: INSIGHT, scope: 'forecast:read' })).toEqual({ status: 200, data: { forecast: 'sunny', detailedForecast: 'sunny, 21°C, wind 3 Bft' } });
    });

    it('the same operation text gives each caller their own answer (rewrites are kept per verdicts, not shared)', async () => {
      const query = '{ vehicles { id mileage invoiceTotal } }';
      const forFleet = await gw.send(query, { as: FLEET });
      const forAdmin = await gw.send(query, { as: ADMIN });
      const forInsight = await gw.send(query, { as: INSIGHT });
      const again = await gw.send(query, { as: FLEET });
      expect(forFleet.data).toEqual({ vehicles: [{ id: 'v1', mileage: 1200, invoiceTotal: null }, { id: 'v2', mileage: 800, invoiceTotal: null }] });
      expect(forAdmin.data).toEqual({ vehicles: [{ id: 'v1', mileage: 1200, invoiceTotal: 99.5 }, { id: 'v2', mileage: 800, invoiceTotal: 12 }] });
      expect(forAdmin.errors).toBeUndefined();
      expect(forInsight.data).toEqual({ vehicles: [{ id: 'v1', mileage: null, invoiceTotal: null }, { id: 'v2', mileage: null, invoiceTotal: null }] });
      expect(again).toEqual(forFleet);
    });

    it('serves the access-control graph beside the subgraphs, enforced in-process as before', async () => {
      const result = await gw.send('{ viewer { user { email } } fleetStatus }', { as: INSIGHT });
      expect(result).toEqual({ status: 200, data: { viewer: { user: { email: INSIGHT } }, fleetStatus: 'operational' } });
      const other = await gw.send('query($id: ID!) { account(id: $id) { name } }', { as: INSIGHT, variables: { id: globexId } });
      expect(other).toEqual({ status: 200, data: { account: null } });
    });

    it("leaves the access-control graph's own fields to it: an anonymous viewer is UNAUTHENTICATED, as without the gateway", async () => {
      const result = await gw.send('{ viewer { roles } }');
      expect(result.data).toBeNull();
      expect(result.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['viewer'], 'UNAUTHENTICATED']]);
    });

    it("keeps the access-control graph's error codes and messages through the gateway, and names no subgraph", async () => {
      const result = await gw.send('mutation { setAccountStatus(id: "no-such-account", status: SUSPENDED) { id } }', { as: ADMIN });
      expect(result).toEqual({
        status: 200,
        data: null,
        errors: [{ message: 'account no-such-account was not found', path: ['setAccountStatus'], extensions: { code: 'NOT_FOUND', id: 'no-such-account' } }],
      });
    });

    describe('identity to subgraphs', () => {
      it("strips the client's identity headers and sends a context token the gateway signed", async () => {
        const headers = { cookie: 'session=stolen', 'x-user-id': 'someone-else', 'x-portico-context': 'forged.token.here', 'x-forwarded-user': 'root', 'x-api-key': 'k' };
        await gw.send('{ vehicles { id } }', { as: INSIGHT, headers, scope: 'fleet.read' });
        const [received] = fleet.operations();
        for (const name of ['authorization', 'cookie', 'x-user-id', 'x-forwarded-user', 'x-api-key']) expect(received.headers[name]).toBeUndefined();
        const token = received.headers[CONTEXT_HEADER] as string;
        expect(token).not.toBe('forged.token.here');
        const jwks = (await (await fetch(gw.t.portico.url.replace(/\/graphql$/, '/.well-known/portico/context-jwks.json'))).json()) as { keys: [] };
        const claims = await contextVerifier({ jwks }, { subgraph: 'fleet' }).verify(token);
        const user = await gw.t.user(INSIGHT);
        // The token names the caller, never the request: the request id travels beside it, in x-request-id.
        expect(claims).toEqual({ sub: user.id, acct: acmeId, acct_name: 'Acme Logistics', acct_type: 'CUSTOMER', roles: ['INSIGHT_USER'], email: INSIGHT, scope: 'fleet.read' });
        expect(received.headers['x-request-id']).toMatch(/^[\w-]{8,}$/);
        expect(decodeJwt(token).aud).toBe('portico-subgraph:fleet');
        expect(decodeJwt(token).exp! - decodeJwt(token).iat!).toBe(60);
      });

      it("hands the subgraph the decisions it made on the accounts that subgraph's request names, bound to the request; a client's own decisions header never passes", async () => {
        const query = 'query Report($account: ID!) { fleetStatus fleetReport(accountId: $account) }';
        const result = await gw.send(query, { as: FLEET, variables: { account: acmeId }, headers: { [DECISIONS_HEADER]: 'forged.decisions.token', 'x-request-id': 'handed-1' } });
        expect(result).toEqual({ status: 200, data: { fleetStatus: 'operational', fleetReport: `report for ${acmeId}` } });
        const [received] = fleet.operations();
        const token = received.headers[DECISIONS_HEADER] as string;
        expect(token).not.toBe('forged.decisions.token');
        const jwks = (await (await fetch(gw.t.portico.url.replace(/\/graphql$/, '/.well-known/portico/context-jwks.json'))).json()) as { keys: [] };
        const verifier = contextVerifier({ jwks }, { subgraph: 'fleet' });
        const claims = await verifier.verify(received.headers[CONTEXT_HEADER] as string);
        // Exactly the decision `authorize` would give the subgraph for this caller, now.
        const [asked] = (await gw.send('query($c: [AuthorizationCheckInput!]!) { authorize(checks: $c) { permission accountId allowed scope reason } }', { as: FLEET, variables: { c: [{ permission: 'fleet:read', accountId: acmeId }] } })).data!.authorize as object[];
        // Bound to the id the gateway made for the request, never to the one the client sent.
        const requestId = received.headers['x-request-id'] as string;
        expect(requestId).not.toBe('handed-1');
        expect(await verifier.verifyDecisions(token, claims, requestId)).toEqual([{ asked: 'fleet:read', ...asked }]);
        expect(await verifier.verifyDecisions(token, claims, 'handed-1')).toBeUndefined();
        expect(await contextVerifier({ jwks }, { subgraph: 'tickets' }).verifyDecisions(token, claims, requestId)).toBeUndefined();
        expect(decodeJwt(token).exp! - decodeJwt(token).iat!).toBe(DECISIONS_LIFETIME_SECONDS);
        // A request that names no account carries no decisions, and a client's header is dropped there too.
        await gw.send('{ fleetStatus }', { as: FLEET, headers: { [DECISIONS_HEADER]: 'forged.decisions.token' } });
        expect(fleet.operations()[1].headers[DECISIONS_HEADER]).toBeUndefined();
      });

      it('sends no identity for an anonymous caller', async () => {
        await gw.send('{ fleetStatus }', { headers: { cookie: 'session=stolen', 'x-user-id': 'someone' } });
        const [received] = fleet.operations();
        expect(received.headers[CONTEXT_HEADER]).toBeUndefined();
        expect(received.headers.cookie).toBeUndefined();
        expect(received.headers['x-user-id']).toBeUndefined();
      });

      it('accepts its own context token as the caller on /graphql (how subgraphs call back for decisions)', async () => {
        await gw.send('{ vehicles { id } }', { as: FLEET });
        const token = fleet.operations()[0].headers[CONTEXT_HEADER] as string;
        const result = await gw.send('query($c: [AuthorizationCheckInput!]!) { authorize(checks: $c) { permission allowed } }', {
          headers: { [CONTEXT_HEADER]: token },
          variables: { c: [{ permission: 'fleet:read', accountId: acmeId }, { permission: 'invoices:read', accountId: acmeId }] },
        });
        expect(result).toEqual({ status: 200, data: { authorize: [{ permission: 'fleet:read', allowed: true }, { permission: 'invoices:read', allowed: false }] } });
      });

      it('refuses a context token it did not sign', async () => {
        const forged = await signDevToken(gw.t.portico.devKeys!, await gw.t.user(ADMIN), '1h', { acct: acmeId });
        const result = await gw.send('{ viewer { user { email } } }', { headers: { [CONTEXT_HEADER]: forged } });
        expect(result.status).toBe(401);
        expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      });
    });
  });

  describe.each([
    { mode: 'reject' as const },
    { mode: 'dry-run' as const },
    { mode: 'off' as const },
  ])('in $mode mode', ({ mode }) => {
    let gw: Gateway;
    beforeAll(async () => {
      gw = await startGateway(kind, [fleet], mode);
    });
    afterAll(() => gw.t.stop());
    beforeEach(() => fleet.reset());

    const QUERY = '{ fleetStatus vehicles { name mileage } telemetry }';

    it('answers an allowed operation normally', async () => {
      expect(await gw.send(QUERY, { as: FLEET, scope: 'fleet.admin' })).toEqual({
        status: 200,
        data: { fleetStatus: 'operational', vehicles: [{ name: 'Van 1', mileage: 1200 }, { name: 'Van 2', mileage: 800 }], telemetry: 'telemetry' },
      });
    });

    it('answers an operation that skips its denied fields normally', async () => {
      const result = await gw.send('query($s: Boolean!) { fleetStatus vehicles { name mileage @skip(if: $s) } }', { as: INSIGHT, variables: { s: true } });
      expect(result).toEqual({ status: 200, data: { fleetStatus: 'operational', vehicles: [{ name: 'Van 1' }, { name: 'Van 2' }] } });
    });

    it('handles an operation with denied fields as the mode says', async () => {
      const result = await gw.send(QUERY, { as: INSIGHT });
      const full = { fleetStatus: 'operational', vehicles: [{ name: 'Van 1', mileage: 1200 }, { name: 'Van 2', mileage: 800 }], telemetry: 'telemetry' };
      if (mode === 'reject') {
        // The whole operation fails as an invalid one does (HTTP 400, no data), listing every denied path; no subgraph is asked anything.
        expect(result).toEqual({
          status: 400,
          errors: [denied(['vehicles', 'mileage'], { permission: 'fleet:read' }), denied(['telemetry'], { scopes: [['fleet.read', 'fleet.export'], ['fleet.admin']] })],
        });
        expect(fleet.operations()).toEqual([]);
      } else if (mode === 'dry-run') {
        // Nothing is removed; what would have been denied is reported beside the data.
        expect(result).toEqual({
          status: 200,
          data: full,
          extensions: {
            portico: {
              enforcement: 'dry-run',
              wouldDeny: [
                { path: ['vehicles', 'mileage'], message: 'not authorized to read Vehicle.mileage: requires fleet:read', code: 'UNAUTHORIZED_FIELD_OR_TYPE', permission: 'fleet:read' },
                { path: ['telemetry'], message: expect.stringMatching(/requires scope fleet\.read and fleet\.export or fleet\.admin/), code: 'UNAUTHORIZED_FIELD_OR_TYPE', scopes: [['fleet.read', 'fleet.export'], ['fleet.admin']] },
              ],
            },
          },
        });
      } else {
        // Off: the gateway checks nothing (the benchmark's baseline); this test subgraph enforces nothing itself.
        expect(result).toEqual({ status: 200, data: full });
      }
    });
  });
});
