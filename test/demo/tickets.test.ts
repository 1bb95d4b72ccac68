import { databaseKinds } from '../support/databases';
import { codes, errorPaths, startDemoHarness, type DemoHarness } from './support';

const TICKETS = 'query($a: ID!) { tickets(accountId: $a) { number subject status } }';
const DELIVERIES = 'query($a: ID!) { deliveries(accountId: $a) { item quantity status } }';
const OPEN_TICKET = 'mutation($a: ID!) { openTicket(input: { accountId: $a, subject: "Phones down in the canteen", priority: HIGH }) { subject status priority accountId } }';
const RESCHEDULE = 'mutation($a: ID!, $d: ID!) { rescheduleDelivery(input: { accountId: $a, deliveryId: $d, scheduledFor: "2026-12-24" }) { item scheduledFor } }';

const ACME_TICKETS = [
  { number: 'T-1003', subject: 'Voicemail greeting in Dutch and English', status: 'RESOLVED' },
  { number: 'T-1002', subject: 'Add five extensions for the new warehouse team', status: 'IN_PROGRESS' },
  { number: 'T-1001', subject: 'No dial tone at the Rotterdam depot', status: 'OPEN' },
];
const ACME_DELIVERIES = [
  { item: 'Jabra Evolve2 65 headset', quantity: 12, status: 'DELIVERED' },
  { item: 'Fibre installation', quantity: 1, status: 'IN_TRANSIT' },
  { item: 'Yealink T54W desk phone', quantity: 20, status: 'SCHEDULED' },
];

describe.each(databaseKinds())('the tickets demo subgraph (dstny) on %s', (kind) => {
  let h: DemoHarness;
  let acme: string;
  let globex: string;

  beforeAll(async () => {
    h = await startDemoHarness(kind, 'dstny', 'tickets');
    acme = await h.accountId('Acme Logistics');
    globex = await h.accountId('Globex');
  });
  afterAll(() => h?.stop());

  describe('reading tickets needs tickets:read on the account', () => {
    it.each([
      { title: 'a Portal Administrator reads their tickets', as: 'admin@acme.example', allowed: true },
      { title: 'the platform operator reads them', as: 'admin@platform.local', allowed: true },
      { title: 'an Insight User may not', as: 'insight@acme.example', allowed: false },
      { title: 'a Fleet Administrator may not', as: 'fleet@acme.example', allowed: false },
      { title: 'a user with no rights may not', as: 'billing@acme.example', allowed: false },
      { title: "another customer's administrator may not", as: 'admin@globex.example', allowed: false },
      { title: "the customer's partner may not (partner rights stop at customers:read)", as: 'ppa@northwind.example', allowed: false },
    ])('$title', async ({ as, allowed }) => {
      const result = await h.ask(as, TICKETS, { a: acme });
      if (allowed) expect(result).toEqual({ status: 200, data: { tickets: ACME_TICKETS } });
      else {
        expect(result.data).toEqual({ tickets: null });
        expect(result.errors).toEqual([expect.objectContaining({ path: ['tickets'], extensions: { code: 'FORBIDDEN', permission: 'tickets:read', accountId: acme } })]);
      }
    });
  });

  describe('deliveries: deliveries:read to see them, deliveries:manage to reschedule (Insight Users manage deliveries)', () => {
    it.each([
      { title: 'an Insight User', as: 'insight@acme.example', allowed: true },
      { title: 'a Fleet Administrator', as: 'fleet@acme.example', allowed: true },
      { title: 'a Portal Administrator', as: 'admin@acme.example', allowed: true },
      { title: 'a user with no rights', as: 'billing@acme.example', allowed: false },
      { title: "another customer's administrator", as: 'admin@globex.example', allowed: false },
    ])('$title: allowed $allowed', async ({ as, allowed }) => {
      const read = await h.ask(as, DELIVERIES, { a: acme });
      if (allowed) expect(read).toEqual({ status: 200, data: { deliveries: ACME_DELIVERIES } });
      else {
        expect(read.data).toEqual({ deliveries: null });
        expect(codes(read)).toEqual(['FORBIDDEN']);
      }
    });

    it('an Insight User reschedules a delivery; a user without deliveries:manage changes nothing', async () => {
      const [fibre] = (await h.ask('admin@acme.example', 'query($a: ID!) { deliveries(accountId: $a) { id item } }', { a: acme })).data!.deliveries.filter((d: { item: string }) => d.item === 'Fibre installation');
      const denied = await h.ask('billing@acme.example', RESCHEDULE, { a: acme, d: fibre.id });
      expect(denied.data).toEqual({ rescheduleDelivery: null });
      expect(denied.errors).toEqual([expect.objectContaining({ path: ['rescheduleDelivery'], extensions: { code: 'FORBIDDEN', permission: 'deliveries:manage', accountId: acme } })]);
      expect((await h.ask('insight@acme.example', 'query($a: ID!) { deliveries(accountId: $a) { id scheduledFor } }', { a: acme })).data!.deliveries.find((d: { id: string }) => d.id === fibre.id).scheduledFor).toBe('2026-11-27');

      const done = await h.ask('insight@acme.example', RESCHEDULE, { a: acme, d: fibre.id });
      expect(done).toEqual({ status: 200, data: { rescheduleDelivery: { item: 'Fibre installation', scheduledFor: '2026-12-24' } } });
    });

    it("a delivery of another account cannot be reached through one's own account", async () => {
      const [theirs] = (await h.ask('admin@globex.example', 'query($a: ID!) { deliveries(accountId: $a) { id } }', { a: globex })).data!.deliveries;
      const result = await h.ask('insight@acme.example', RESCHEDULE, { a: acme, d: theirs.id });
      expect(result.data).toEqual({ rescheduleDelivery: null });
      expect(codes(result)).toEqual(['NOT_FOUND']);
      const after = await h.ask('admin@globex.example', 'query($a: ID!) { deliveries(accountId: $a) { id scheduledFor } }', { a: globex });
      expect(after.data!.deliveries).toEqual([{ id: theirs.id, scheduledFor: '2026-12-09' }]);
    });
  });

  describe('opening a ticket needs tickets:create', () => {
    it('a Portal Administrator opens one; an Insight User is FORBIDDEN and nothing is written', async () => {
      const before = (await h.ask('admin@acme.example', TICKETS, { a: acme })).data!.tickets.length;
      const denied = await h.ask('insight@acme.example', OPEN_TICKET, { a: acme });
      expect(denied.data).toEqual({ openTicket: null });
      expect(denied.errors).toEqual([expect.objectContaining({ path: ['openTicket'], extensions: { code: 'FORBIDDEN', permission: 'tickets:create', accountId: acme } })]);
      expect((await h.ask('admin@acme.example', TICKETS, { a: acme })).data!.tickets).toHaveLength(before);

      const opened = await h.ask('admin@acme.example', OPEN_TICKET, { a: acme });
      expect(opened).toEqual({ status: 200, data: { openTicket: { subject: 'Phones down in the canteen', status: 'OPEN', priority: 'HIGH', accountId: acme } } });
      expect((await h.ask('admin@acme.example', TICKETS, { a: acme })).data!.tickets).toHaveLength(before + 1);
    });
  });

  describe('objects found by id or by entity reference', () => {
    let acmeTicketId: string;
    beforeAll(async () => {
      acmeTicketId = (await h.ask('admin@acme.example', 'query($a: ID!) { tickets(accountId: $a) { id } }', { a: acme })).data!.tickets[0].id;
    });

    it("another customer's ticket reads as not found", async () => {
      expect(await h.ask('admin@globex.example', 'query($id: ID!) { ticket(id: $id) { subject } }', { id: acmeTicketId })).toEqual({ status: 200, data: { ticket: null } });
      expect((await h.ask('admin@acme.example', 'query($id: ID!) { ticket(id: $id) { number } }', { id: acmeTicketId })).data).toEqual({ ticket: { number: expect.stringMatching(/^T-10\d\d$/) } });
    });

    it('_entities cannot read a ticket of another tenant, whatever account the representation claims', async () => {
      const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Ticket { subject accountId } } }';
      const result = await h.ask('admin@globex.example', query, { r: [{ __typename: 'Ticket', id: acmeTicketId, accountId: globex }] });
      expect(result.data).toEqual({ _entities: [null] });
      expect(errorPaths(result)).toEqual([['_entities.0', 'UNAUTHORIZED_FIELD_OR_TYPE']]);
      expect(result.errors![0].message).toBe('not authorized to read Ticket: requires tickets:read');
    });

    it('an Account reference shows the fields the caller may read and nulls the rest at their path', async () => {
      const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Account { id tickets { number } deliveries { item } } } }';
      const result = await h.ask('insight@acme.example', query, { r: [{ __typename: 'Account', id: acme }] });
      expect(result.data).toEqual({ _entities: [{ id: acme, tickets: null, deliveries: expect.any(Array) }] });
      expect(result.data!._entities[0].deliveries.map((d: { item: string }) => d.item).sort()).toEqual(ACME_DELIVERIES.map(({ item }) => item).sort());
      expect(result.errors).toEqual([expect.objectContaining({ path: ['_entities', 0, 'tickets'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', permission: 'tickets:read' } })]);
    });
  });

  describe('identity', () => {
    it('without a context token only the schema is served; client identity headers do not count', async () => {
      const before = h.subgraph.requests();
      const sdl = await h.ask(null, '{ _service { sdl } }');
      expect(sdl.data!._service.sdl).toContain('type Ticket');
      expect(h.subgraph.requests()).toBe(before);

      const bearer = await h.t.token('admin@acme.example');
      const result = await h.ask(null, TICKETS, { a: acme }, { authorization: `Bearer ${bearer}` });
      expect(result.data).toEqual({ tickets: null });
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
      expect(h.subgraph.requests()).toBe(before + 1);
    });

    it('a context token signed by someone else is refused', async () => {
      const { loadOrCreateContextSigner } = await import('../../src');
      const { mkdtempSync } = await import('fs');
      const { tmpdir } = await import('os');
      const forger = await loadOrCreateContextSigner(mkdtempSync(`${tmpdir()}/forger-`));
      const user = await h.t.user('admin@acme.example');
      const response = await fetch(h.subgraph.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-portico-context': await forger.sign({ sub: user.id, acct: acme }, 'tickets') },
        body: JSON.stringify({ query: TICKETS, variables: { a: acme } }),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    });
  });
});
