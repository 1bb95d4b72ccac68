import type { EnforcementMode } from '../../src/config';
import { startDemoSubgraph, type DemoSubgraph, type DemoSubgraphName } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import * as principals from '../../src/domain/principal';
import { PrincipalsInFlight } from '../../src/gateway/context';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { databaseKinds, type DatabaseKind } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

interface DemoGateway {
  t: TestPortico;
  subgraph: DemoSubgraph;
  stop(): Promise<void>;
}

/** The demo subgraph on a loopback port, and the gateway in front of it composing it at start. */
async function startDemoGateway(kind: DatabaseKind, preset: string, name: DemoSubgraphName, enforcement: EnforcementMode = 'filter'): Promise<DemoGateway> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const subgraph = await startDemoSubgraph(name, { porticoUrl: `${base}/graphql`, contextJwksUrl: `${base}${CONTEXT_JWKS_PATH}` });
  try {
    const t = await startTestPortico(kind, preset, { port, subgraphs: [{ name: subgraph.name, url: subgraph.url }], enforcement });
    return {
      t,
      subgraph,
      async stop() {
        await t.stop();
        await subgraph.stop();
      },
    };
  } catch (error) {
    await subgraph.stop();
    throw error;
  }
}

const denied = (path: Array<string | number>, permission: string) => ({
  message: expect.stringMatching(/^not authorized to (read|run) /),
  path,
  extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', permission },
});

describe.each(databaseKinds())('the demo subgraphs through the gateway on %s', (kind) => {
  describe('dstny: tickets and deliveries', () => {
    let g: DemoGateway;
    let acme: string;
    beforeAll(async () => {
      g = await startDemoGateway(kind, 'dstny', 'tickets');
      acme = (await g.t.account('Acme Logistics')).id;
    });
    afterAll(() => g?.stop());

    const TICKETS = 'query($a: ID!) { tickets(accountId: $a) { number subject status } }';
    const DELIVERIES = 'query($a: ID!) { deliveries(accountId: $a) { item quantity status } }';
    const RESCHEDULE = 'mutation($a: ID!, $d: ID!) { rescheduleDelivery(input: { accountId: $a, deliveryId: $d, scheduledFor: "2026-12-24" }) { item scheduledFor } }';

    it.each([
      { title: 'a Portal Administrator reads the tickets', as: 'admin@acme.example', allowed: true },
      { title: 'an Insight User may not, and the subgraph is not asked', as: 'insight@acme.example', allowed: false },
    ])('tickets need tickets:read: $title', async ({ as, allowed }) => {
      const before = g.subgraph.requests();
      const result = await g.t.gql(as, TICKETS, { a: acme });
      if (allowed) {
        expect(result).toEqual({
          status: 200,
          data: {
            tickets: [
              { number: 'T-1003', subject: 'Voicemail greeting in Dutch and English', status: 'RESOLVED' },
              { number: 'T-1002', subject: 'Add five extensions for the new warehouse team', status: 'IN_PROGRESS' },
              { number: 'T-1001', subject: 'No dial tone at the Rotterdam depot', status: 'OPEN' },
            ],
          },
        });
      } else {
        expect(result).toEqual({ status: 200, data: { tickets: null }, errors: [denied(['tickets'], 'tickets:read')] });
        expect(g.subgraph.requests()).toBe(before);
      }
    });

    it.each([
      { title: 'an Insight User reads the deliveries', as: 'insight@acme.example', allowed: true },
      { title: "the customer's Partner Portal User may not", as: 'ppu@northwind.example', allowed: false },
    ])('deliveries need deliveries:read: $title', async ({ as, allowed }) => {
      const before = g.subgraph.requests();
      const result = await g.t.gql(as, DELIVERIES, { a: acme });
      if (allowed) {
        expect(result.errors).toBeUndefined();
        expect(result.data!.deliveries).toEqual(
          expect.arrayContaining([
            { item: 'Jabra Evolve2 65 headset', quantity: 12, status: 'DELIVERED' },
            { item: 'Fibre installation', quantity: 1, status: 'IN_TRANSIT' },
            { item: 'Yealink T54W desk phone', quantity: 20, status: 'SCHEDULED' },
          ]),
        );
      } else {
        expect(result).toEqual({ status: 200, data: { deliveries: null }, errors: [denied(['deliveries'], 'deliveries:read')] });
        expect(g.subgraph.requests()).toBe(before);
      }
    });

    it('an Insight User manages deliveries; a Partner Portal User does not, and causes no subgraph request', async () => {
      const [fibre] = (await g.t.gql('insight@acme.example', 'query($a: ID!) { deliveries(accountId: $a) { id item } }', { a: acme })).data!.deliveries.filter(
        (d: { item: string }) => d.item === 'Fibre installation',
      );
      const before = g.subgraph.requests();
      const refused = await g.t.gql('ppu@northwind.example', RESCHEDULE, { a: acme, d: fibre.id });
      expect(refused).toEqual({ status: 200, data: { rescheduleDelivery: null }, errors: [denied(['rescheduleDelivery'], 'deliveries:manage')] });
      expect(g.subgraph.requests()).toBe(before);
      const done = await g.t.gql('insight@acme.example', RESCHEDULE, { a: acme, d: fibre.id });
      expect(done).toEqual({ status: 200, data: { rescheduleDelivery: { item: 'Fibre installation', scheduledFor: '2026-12-24' } } });
    });

    it("an object-level rule is left to the owning subgraph, also on the entity path from the access-control graph's Account", async () => {
      const result = await g.t.gql('insight@acme.example', '{ viewer { account { name tickets { number } deliveries { item } } } }');
      expect(result.data!.viewer.account.name).toBe('Acme Logistics');
      expect(result.data!.viewer.account.tickets).toBeNull();
      expect(result.data!.viewer.account.deliveries).toHaveLength(3);
      expect(result.errors).toEqual([expect.objectContaining({ path: ['viewer', 'account', 'tickets'], extensions: expect.objectContaining({ code: 'UNAUTHORIZED_FIELD_OR_TYPE', permission: 'tickets:read' }) })]);
    });
    it('in an impersonation session only the granted rights work, on that customer only, until the session ends', async () => {
      const northwind = (await g.t.account('Northwind Telecom')).id;
      const globex = (await g.t.account('Globex')).id;
      const granted = await g.t.gql('admin@acme.example', 'mutation($c: ID!, $p: ID!) { grantImpersonation(input: { customerAccountId: $c, partnerAccountId: $p, rights: ["tickets:create", "tickets:read"] }) { id } }', { c: acme, p: northwind });
      expect(granted.errors).toBeUndefined();
      const started = await g.t.gql('ppm@northwind.example', 'mutation($c: ID!) { startImpersonation(customerAccountId: $c, reason: "porting request") { token session { id } } }', { c: acme });
      const { token, session } = started.data!.startImpersonation;
      const as = { token };
      const OPEN = 'mutation($a: ID!) { openTicket(input: { accountId: $a, subject: "Port three numbers" }) { number subject status } }';

      const opened = await g.t.gql(as, OPEN, { a: acme });
      expect(opened.errors).toBeUndefined();
      expect(opened.data!.openTicket).toMatchObject({ subject: 'Port three numbers', status: 'OPEN' });

      // Not granted: deliveries; not that customer: Globex. Neither reaches the subgraph.
      const before = g.subgraph.requests();
      expect(await g.t.gql(as, DELIVERIES, { a: acme })).toEqual({ status: 200, data: { deliveries: null }, errors: [denied(['deliveries'], 'deliveries:read')] });
      expect(await g.t.gql(as, OPEN, { a: globex })).toEqual({ status: 200, data: { openTicket: null }, errors: [denied(['openTicket'], 'tickets:create')] });
      expect(g.subgraph.requests()).toBe(before);

      const ended = await g.t.gql(as, 'mutation($s: ID!) { endImpersonation(sessionId: $s) { status } }', { s: session.id });
      expect(ended.data!.endImpersonation.status).toBe('ENDED');
      const after = await g.t.gql(as, OPEN, { a: acme });
      expect(after.errors!.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(g.subgraph.requests()).toBe(before);
    });
  });

  describe('appdirect: offers and invoices', () => {
    let g: DemoGateway;
    beforeAll(async () => {
      g = await startDemoGateway(kind, 'appdirect', 'offers');
    });
    afterAll(() => g?.stop());

    const PRICES = '{ offers { name retailPrice suggestedRetailPrice cost } }';
    const M365 = 'Microsoft 365 Business Standard';
    const m365 = (result: { data?: Record<string, any> | null }) => (result.data!.offers as Array<{ name: string }>).find((o) => o.name === M365);
    const indexOfM365 = (result: { data?: Record<string, any> | null }) => (result.data!.offers as Array<{ name: string }>).findIndex((o) => o.name === M365);

    it("the subgraph's decision calls reuse the principal the gateway loaded for the request: the caller is loaded once", async () => {
      const loads = jest.spyOn(principals, 'loadPrincipal');
      const reuse = jest.spyOn(PrincipalsInFlight.prototype, 'reuse');
      try {
        const result = await g.t.gql('tech@northwind.example', PRICES);
        expect(m365(result)).toMatchObject({ retailPrice: 11.99, cost: null });
        // The decision calls the subgraph made, each answered with the request's own principal.
        expect(reuse.mock.results.filter((r) => r.value !== undefined).length).toBeGreaterThan(0);
        expect(reuse.mock.results.every((r) => r.value !== undefined)).toBe(true);
        expect(loads).toHaveBeenCalledTimes(1);
      } finally {
        loads.mockRestore();
        reuse.mockRestore();
      }
    });

    it("Offer.cost and suggestedRetailPrice need priceList:read: a partner's Billing Manager sees every price", async () => {
      const result = await g.t.gql('billing@northwind.example', PRICES);
      expect(result.errors).toBeUndefined();
      expect(result.data!.offers).toHaveLength(4);
      expect(m365(result)).toEqual({ name: M365, retailPrice: 11.99, suggestedRetailPrice: 12.5, cost: 10.2 });
    });

    it("a customer's Technical Manager reads them as null, with an error at each path naming the permission, the rest intact", async () => {
      const result = await g.t.gql('tech@acme.example', PRICES);
      expect(m365(result)).toEqual({ name: M365, retailPrice: null, suggestedRetailPrice: null, cost: null });
      const i = indexOfM365(result);
      expect(result.errors).toEqual(
        expect.arrayContaining([
          denied(['offers', i, 'cost'], 'priceList:read'),
          denied(['offers', i, 'suggestedRetailPrice'], 'priceList:read'),
          denied(['offers', i, 'retailPrice'], 'offers:read|offers:readRetailPrice'),
        ]),
      );
      expect(result.errors).toHaveLength(12);
    });

    it.each([
      { title: "a partner's Technical Manager sees it (offers:readRetailPrice)", as: 'tech@northwind.example', sees: true },
      { title: "a customer's Billing Manager sees it (offers:read)", as: 'billing@acme.example', sees: true },
      { title: 'a Subscription Manager does not', as: 'subs@northwind.example', sees: false },
    ])('retailPrice needs offers:read or offers:readRetailPrice: $title', async ({ as, sees }) => {
      const result = await g.t.gql(as, '{ offers { name retailPrice } }');
      expect(m365(result)).toEqual({ name: M365, retailPrice: sees ? 11.99 : null });
      expect(result.errors).toEqual(sees ? undefined : [0, 1, 2, 3].map((i) => denied(['offers', i, 'retailPrice'], 'offers:read|offers:readRetailPrice')));
    });

    it.each([
      { title: "a customer's Billing Manager reads their invoices", as: 'billing@acme.example', allowed: true },
      { title: "a customer's Technical Manager may not, and the subgraph is not asked", as: 'tech@acme.example', allowed: false },
    ])('invoices need invoices:read: $title', async ({ as, allowed }) => {
      const acme = (await g.t.account('Acme Retail')).id;
      const before = g.subgraph.requests();
      const result = await g.t.gql(as, 'query($a: ID!) { invoices(accountId: $a) { number status total } }', { a: acme });
      if (allowed) {
        expect(result).toEqual({
          status: 200,
          data: {
            invoices: [
              { number: 'ACR-2026-11', status: 'OPEN', total: 599.5 },
              { number: 'ACR-2026-10', status: 'PAID', total: 575.5 },
            ],
          },
        });
      } else {
        expect(result).toEqual({ status: 200, data: { invoices: null }, errors: [denied(['invoices'], 'invoices:read')] });
        expect(g.subgraph.requests()).toBe(before);
      }
    });
  });

  describe('unifyr: leads by row scope', () => {
    let g: DemoGateway;
    let northwind: string;
    beforeAll(async () => {
      g = await startDemoGateway(kind, 'unifyr', 'leads');
      northwind = (await g.t.account('Northwind Solutions')).id;
    });
    afterAll(() => g?.stop());

    const LEADS = 'query($a: ID!) { leads(accountId: $a) { company } }';

    it.each([
      { title: 'an Administrator (scope all) sees every lead, registered ones too', as: 'admin@northwind.example', leads: ['Fabrikam Inc.', 'Tailspin Toys', 'Wingtip Toys', 'Litware', 'Proseware', 'Adventure Works'] },
      { title: 'Sales (scope distributed) sees marketing leads and those distributed to them', as: 'sales@northwind.example', leads: ['Fabrikam Inc.', 'Tailspin Toys'] },
    ])('$title', async ({ as, leads }) => {
      const result = await g.t.gql(as, LEADS, { a: northwind });
      expect(result.errors).toBeUndefined();
      expect((result.data!.leads as Array<{ company: string }>).map((l) => l.company).sort()).toEqual([...leads].sort());
    });

    it("another partner's Sales may not read them, and the subgraph is not asked", async () => {
      const before = g.subgraph.requests();
      const result = await g.t.gql('sales@contoso.example', LEADS, { a: northwind });
      expect(result).toEqual({ status: 200, data: { leads: null }, errors: [denied(['leads'], 'leads:read')] });
      expect(g.subgraph.requests()).toBe(before);
    });
  });
});
