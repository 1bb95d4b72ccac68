import { AuditEventEntity, CommunicationEntity, CommunicationRecipientEntity, OutboxEventEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const SEND = 'mutation($input: SendCommunicationInput!) { sendCommunication(input: $input) { id topic subject sentAt recipients { email } } }';
const INBOX = 'query($first: Int, $after: String, $unreadOnly: Boolean) { viewer { communications(first: $first, after: $after, unreadOnly: $unreadOnly) { totalCount unreadCount pageInfo { hasNextPage endCursor } nodes { id topic subject body readAt sender { email } account { name } } } } }';
const MARK = 'mutation($ids: [ID!]!) { markCommunicationsRead(ids: $ids) { id readAt } }';
const SET_CONTACTS = 'mutation($accountId: ID!, $contacts: [ProviderContactInput!]!) { setProviderContacts(accountId: $accountId, contacts: $contacts) { role name email } }';
const CONTACTS = 'query($id: ID!) { account(id: $id) { providerContacts { role name email } } }';
const RECIPIENTS = 'query($id: ID!, $topic: CommunicationTopic!) { communicationRecipients(accountId: $id, topic: $topic) { email } }';

describe.each(databaseKinds())('communications on %s', (kind) => {
  describe('dstny', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
    });
    afterAll(() => t.stop());

    const send = async (topic: string, subject: string, account = 'Acme Logistics') =>
      ok(await t.gql(OPERATOR, SEND, { input: { accountId: (await t.account(account)).id, topic, subject, body: `About ${subject}.` } })).sendCommunication;
    const inboxOf = async (email: string, variables: Record<string, unknown> = {}) => ok(await t.gql(email, INBOX, variables)).viewer.communications;

    it.each([
      { title: 'MAINTENANCE goes to the Technical Contacts', topic: 'MAINTENANCE', to: ['admin@acme.example', 'fleet@acme.example'] },
      { title: 'PRICE_UPDATE goes to the Billing Contact', topic: 'PRICE_UPDATE', to: ['billing@acme.example'] },
      { title: 'NEWS goes to the Commercial Contact', topic: 'NEWS', to: ['admin@acme.example'] },
      { title: 'CONTRACTUAL goes to the Portal Administrators', topic: 'CONTRACTUAL', to: ['admin@acme.example'] },
      { title: 'MOBILE_SERVICES goes to the Fleet Administrators', topic: 'MOBILE_SERVICES', to: ['fleet@acme.example'] },
      { title: 'INVOICE goes to nobody by contact role, not even the Billing Contact', topic: 'INVOICE', to: [] },
    ])('$title, resolved at send time and kept', async ({ topic, to }) => {
      const sent = await send(topic, `${topic} notice`);
      expect(sent.recipients.map((u: { email: string }) => u.email).sort()).toEqual(to);
      const kept = await t.portico.services.db.manager.findBy(CommunicationRecipientEntity, { communicationId: sent.id });
      expect(kept.map((r) => r.userId).sort()).toEqual((await Promise.all(to.map((e) => t.user(e)))).map((u) => u.id).sort());
      // communicationRecipients answers the same, for the same topic, now.
      const account = await t.account('Acme Logistics');
      expect(ok(await t.gql('admin@acme.example', RECIPIENTS, { id: account.id, topic })).communicationRecipients.map((u: { email: string }) => u.email).sort()).toEqual(to);
    });

    it('keeps who received it when contact roles change later', async () => {
      const sent = await send('PRICE_UPDATE', 'Kept recipients');
      const billing = await t.user('billing@acme.example');
      ok(await t.gql('admin@acme.example', 'mutation($id: ID!) { setContactRoles(userId: $id, roles: []) { id } }', { id: billing.id }));
      const inbox = await inboxOf('billing@acme.example');
      expect(inbox.nodes.map((c: { id: string }) => c.id)).toContain(sent.id);
      ok(await t.gql('admin@acme.example', 'mutation($id: ID!) { setContactRoles(userId: $id, roles: [BILLING_CONTACT]) { id } }', { id: billing.id }));
    });

    it('audits the send and publishes communication.sent with the recipient ids through the outbox', async () => {
      const sent = await send('DEFECT', 'Outage on line 4');
      const audited = await t.portico.services.db.manager.findOneByOrFail(AuditEventEntity, { action: 'communication.send', targetId: sent.id });
      const recipientUserIds = [(await t.user('admin@acme.example')).id, (await t.user('fleet@acme.example')).id].sort();
      expect({ ...audited.details, recipientUserIds: (audited.details!.recipientUserIds as string[]).sort() }).toEqual({ topic: 'DEFECT', subject: 'Outage on line 4', body: 'About Outage on line 4.', recipientUserIds });
      const event = await t.portico.services.db.manager.findOneByOrFail(OutboxEventEntity, { accountId: audited.subjectAccountId, sequence: audited.sequence });
      expect(event.type).toBe('communication.sent');
      expect(JSON.parse(event.body).data).toMatchObject({ topic: 'DEFECT', subject: 'Outage on line 4', targetId: sent.id, recipientUserIds: expect.arrayContaining(recipientUserIds) });
    });

    it('pages an inbox newest first, with its total and unread counts, and marks read', async () => {
      const before = await inboxOf('fleet@acme.example', { first: 100 });
      const a = await send('MOBILE_SERVICES', 'Paging one');
      const b = await send('MOBILE_SERVICES', 'Paging two');
      const first = await inboxOf('fleet@acme.example', { first: 1 });
      expect(first.totalCount).toBe(before.totalCount + 2);
      expect(first.unreadCount).toBe(before.unreadCount + 2);
      expect(first.nodes.map((c: { id: string }) => c.id)).toEqual([b.id]);
      expect(first.nodes[0]).toMatchObject({ topic: 'MOBILE_SERVICES', body: 'About Paging two.', readAt: null, account: { name: 'Acme Logistics' } });
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await inboxOf('fleet@acme.example', { first: 1, after: first.pageInfo.endCursor });
      expect(second.nodes.map((c: { id: string }) => c.id)).toEqual([a.id]);

      const marked = ok(await t.gql('fleet@acme.example', MARK, { ids: [a.id] })).markCommunicationsRead;
      expect(marked[0].readAt).not.toBeNull();
      ok(await t.gql('fleet@acme.example', MARK, { ids: [b.id] }));
      const after = await inboxOf('fleet@acme.example', { first: 100, unreadOnly: true });
      expect(after.unreadCount).toBe(before.unreadCount);
      expect(after.nodes.map((c: { id: string }) => c.id)).not.toEqual(expect.arrayContaining([a.id]));
      expect(after.nodes.map((c: { id: string }) => c.id)).not.toContain(b.id);
    });

    it("reads only the viewer's own: another user's communication is NOT_FOUND and nothing is marked", async () => {
      const sent = await send('PRICE_UPDATE', 'Only for billing');
      const fleetInbox = await inboxOf('fleet@acme.example', { first: 100 });
      expect(fleetInbox.nodes.map((c: { id: string }) => c.id)).not.toContain(sent.id);
      await refused(t, 'fleet@acme.example', MARK, { ids: [sent.id] }, 'NOT_FOUND');
      await refused(t, 'admin@acme.example', MARK, { ids: [sent.id] }, 'NOT_FOUND');
      const entry = await t.portico.services.db.manager.findOneByOrFail(CommunicationRecipientEntity, { communicationId: sent.id });
      expect(entry.readAt).toBeNull();
    });

    it.each([
      { title: 'a customer administrator may not send', as: 'admin@acme.example', input: { topic: 'NEWS', subject: 'x', body: 'y' }, code: 'FORBIDDEN' },
      { title: 'a partner administrator may not send to its customer', as: 'ppa@northwind.example', input: { topic: 'NEWS', subject: 'x', body: 'y' }, code: 'FORBIDDEN' },
      { title: 'an empty subject is bad input', as: OPERATOR, input: { topic: 'NEWS', subject: '  ', body: 'y' }, code: 'BAD_USER_INPUT' },
    ])('$title', async ({ as, input, code }) => {
      const before = await t.portico.services.db.manager.count(CommunicationEntity);
      const result = await t.gql(as, SEND, { input: { accountId: (await t.account('Acme Logistics')).id, ...input } });
      expect(codes(result)).toEqual([code]);
      expect(await t.portico.services.db.manager.count(CommunicationEntity)).toBe(before);
    });

    it("names an account's provider contacts from above, and its people read them with providerContacts:read", async () => {
      const acme = await t.account('Acme Logistics');
      const manager = await t.user('ppm@northwind.example');
      const data = ok(await t.gql('ppa@northwind.example', SET_CONTACTS, { accountId: acme.id, contacts: [{ userId: manager.id, role: 'ACCOUNT_MANAGER' }] }));
      expect(data.setProviderContacts).toEqual([{ role: 'ACCOUNT_MANAGER', name: 'Mark Manager', email: 'ppm@northwind.example' }]);
      // The Insight User holds providerContacts:read ("Your Destiny contacts"); the Billing Contact holds no right.
      expect(ok(await t.gql('insight@acme.example', CONTACTS, { id: acme.id })).account.providerContacts).toEqual([{ role: 'ACCOUNT_MANAGER', name: 'Mark Manager', email: 'ppm@northwind.example' }]);
      const billing = await t.gql('billing@acme.example', CONTACTS, { id: acme.id });
      expect(billing.data?.account?.providerContacts ?? null).toBeNull();
      expect(await t.portico.services.db.manager.findOneBy(AuditEventEntity, { action: 'account.setProviderContacts', subjectAccountId: acme.id })).not.toBeNull();
    });

    it.each([
      { title: "the customer's own administrator may not name its provider contacts", as: 'admin@acme.example', contact: 'ppm@northwind.example', code: 'FORBIDDEN' },
      { title: 'a user of the account itself is no provider contact', as: OPERATOR, contact: 'fleet@acme.example', code: 'BAD_USER_INPUT' },
      { title: 'a user of another partner is no provider contact', as: OPERATOR, contact: 'ppa@contoso.example', code: 'BAD_USER_INPUT' },
    ])('$title', async ({ as, contact, code }) => {
      const acme = await t.account('Acme Logistics');
      await refused(t, as, SET_CONTACTS, { accountId: acme.id, contacts: [{ userId: (await t.user(contact)).id, role: 'ACCOUNT_MANAGER' }] }, code);
    });
  });

  describe('appdirect: notifications:read reads the inbox', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'appdirect');
    });
    afterAll(() => t.stop());

    it('a Technical Manager receives a maintenance notice as Technical Contact and reads it in its inbox', async () => {
      const northwind = await t.account('Northwind Cloud');
      const sent = ok(await t.gql('admin@platform.local', SEND, { input: { accountId: northwind.id, topic: 'MAINTENANCE', subject: 'Planned work', body: 'Sunday 02:00.' } })).sendCommunication;
      expect(sent.recipients.map((u: { email: string }) => u.email)).toEqual(['tech@northwind.example']);
      const inbox = ok(await t.gql('tech@northwind.example', INBOX, {})).viewer.communications;
      expect(inbox).toMatchObject({ totalCount: 1, unreadCount: 1, nodes: [{ id: sent.id, subject: 'Planned work' }] });
      // The partner's Account Manager names the customer's account manager; the customer's Technical Manager reads it.
      const retail = await t.account('Acme Retail');
      ok(await t.gql('am@northwind.example', SET_CONTACTS, { accountId: retail.id, contacts: [{ userId: (await t.user('am@northwind.example')).id, role: 'ACCOUNT_MANAGER' }] }));
      expect(ok(await t.gql('tech@acme.example', CONTACTS, { id: retail.id })).account.providerContacts).toEqual([{ role: 'ACCOUNT_MANAGER', name: 'Ann Account-Manager', email: 'am@northwind.example' }]);
    });

    it('a topic the preset does not have is bad input', async () => {
      const northwind = await t.account('Northwind Cloud');
      await refused(t, 'admin@platform.local', SEND, { input: { accountId: northwind.id, topic: 'MOBILE_SERVICES', subject: 'x', body: 'y' } }, 'BAD_USER_INPUT', /unknown topic MOBILE_SERVICES/);
    });
  });
});
