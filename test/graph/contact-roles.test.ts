import { loadPolicy } from '../../src/config';
import type { CompiledPolicy } from '../../src/policy';
import { addAccount, addUser } from '../../src/storage/bootstrap';
import { databaseKinds } from '../support/databases';
import { ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const SET = 'mutation($userId: ID!, $roles: [ContactRole!]!) { setContactRoles(userId: $userId, roles: $roles) { id email contactRoles } }';
const CONTACT_ROLES = 'query($id: ID!) { user(id: $id) { contactRoles } }';
const RECIPIENTS = 'query($topic: CommunicationTopic!, $accountId: ID!) { communicationRecipients(topic: $topic, accountId: $accountId) { email } }';
const AUDIT = 'query($accountId: ID!) { auditEvents(accountId: $accountId, first: 100) { nodes { action actorUserId subjectAccountId targetType targetId details } } }';
const SET_STATUS = 'mutation($id: ID!, $status: UserStatus!) { setUserStatus(id: $id, status: $status) { id status } }';

/** The routing the dstny policy promises, written out: who hears about what. */
const ROUTING: Record<string, string[]> = {
  MAINTENANCE: ['TECHNICAL_CONTACT'],
  DEFECT: ['TECHNICAL_CONTACT'],
  UPGRADE: ['TECHNICAL_CONTACT'],
  PRICE_UPDATE: ['BILLING_CONTACT'],
  SYSTEM_UPDATE: ['BILLING_CONTACT'],
  EVENT: ['COMMERCIAL_CONTACT'],
  PRODUCT_UPDATE: ['COMMERCIAL_CONTACT'],
  NEWS: ['COMMERCIAL_CONTACT'],
  INVOICE: [],
  // Seed 001: routed by rights, not contact roles (the Portal Administrators; the Fleet Administrators).
  CONTRACTUAL: [],
  MOBILE_SERVICES: [],
};

describe.each(databaseKinds())('contact roles on %s', (kind) => {
  let t: TestPortico;
  let policy: CompiledPolicy;
  beforeAll(async () => {
    policy = loadPolicy('dstny');
    t = await startTestPortico(kind, 'dstny');
  });
  afterAll(() => t?.stop());

  const contactRolesOf = async (email: string): Promise<string[]> => ok(await t.gql(OPERATOR, CONTACT_ROLES, { id: (await t.user(email)).id })).user.contactRoles;
  const recipients = async (as: string, topic: string, accountId: string): Promise<string[]> =>
    ok(await t.gql(as, RECIPIENTS, { topic, accountId })).communicationRecipients.map((u: { email: string }) => u.email);

  it('the policy routes the topics as written, and contact roles are managed through contactRoles:manage', () => {
    expect(Object.fromEntries(policy.topics)).toEqual(ROUTING);
    expect(policy.actions.get('contactRoles.manage')).toEqual(['contactRoles:manage']);
    expect(policy.actions.get('users.read')).toEqual(['contacts:read', 'rights:assign', 'contactRoles:manage']);
  });

  describe('setContactRoles', () => {
    it.each([
      { title: 'a Portal Administrator replaces a colleague\'s contact roles', actor: 'admin@acme.example', target: 'billing@acme.example', roles: ['TECHNICAL_CONTACT', 'BILLING_CONTACT'] },
      { title: 'a Portal Administrator clears their own contact roles', actor: 'admin@acme.example', target: 'admin@acme.example', roles: [] },
      { title: 'a Partner Portal Administrator replaces a partner colleague\'s contact roles', actor: 'ppa@northwind.example', target: 'ppu@northwind.example', roles: ['COMMERCIAL_CONTACT'] },
      { title: 'the platform operator sets anyone\'s contact roles, a repeated role once', actor: OPERATOR, target: 'admin@initech.example', roles: ['BILLING_CONTACT', 'BILLING_CONTACT'] },
    ])('$title', async ({ actor, target, roles }) => {
      const user = await t.user(target);
      const previous = await contactRolesOf(target);
      const wanted = [...new Set(roles)].sort();
      expect(wanted).not.toEqual(previous);
      const before = await t.snapshot();

      const result = await t.gql(actor, SET, { userId: user.id, roles });
      expect(ok(result).setContactRoles).toEqual({ id: user.id, email: target, contactRoles: wanted });
      expect(await contactRolesOf(target)).toEqual(wanted);

      const after = await t.snapshot();
      expect(after.audits).toBe(before.audits + 1);
      expect(after.contactRoles).toBe(before.contactRoles - previous.length + wanted.length);
      const events = ok(await t.gql(OPERATOR, AUDIT, { accountId: user.accountId })).auditEvents.nodes.filter(
        (e: { action: string; targetId: string }) => e.action === 'user.setContactRoles' && e.targetId === user.id,
      );
      expect(events).toEqual([
        { action: 'user.setContactRoles', actorUserId: (await t.user(actor)).id, subjectAccountId: user.accountId, targetType: 'User', targetId: user.id, details: { from: previous, to: wanted } },
      ]);
    });

    it.each([
      { title: 'a Fleet Administrator cannot change even their own contact roles', actor: 'fleet@acme.example', target: 'fleet@acme.example', code: 'FORBIDDEN' },
      { title: 'an Insight User cannot change their own contact roles', actor: 'insight@acme.example', target: 'insight@acme.example', code: 'FORBIDDEN' },
      { title: 'a Partner Portal Manager cannot change their own contact roles', actor: 'ppm@northwind.example', target: 'ppm@northwind.example', code: 'FORBIDDEN' },
      { title: 'a Fleet Administrator does not even see a colleague', actor: 'fleet@acme.example', target: 'admin@acme.example', code: 'NOT_FOUND' },
      { title: 'a Partner Portal Manager does not even see a colleague', actor: 'ppm@northwind.example', target: 'ppa@northwind.example', code: 'NOT_FOUND' },
      { title: 'a partner does not see its customers\' users', actor: 'ppa@northwind.example', target: 'fleet@acme.example', code: 'NOT_FOUND' },
      { title: 'a Portal Administrator does not see another customer\'s users', actor: 'admin@acme.example', target: 'admin@globex.example', code: 'NOT_FOUND' },
      { title: 'a partner does not see another partner\'s users', actor: 'ppa@contoso.example', target: 'ppm@northwind.example', code: 'NOT_FOUND' },
    ])('$title: $code', async ({ actor, target, code }) => {
      const user = await t.user(target);
      const previous = await contactRolesOf(target);
      const result = await refused(t, actor, SET, { userId: user.id, roles: ['TECHNICAL_CONTACT', 'BILLING_CONTACT', 'COMMERCIAL_CONTACT'] }, code);
      expect(result.data ?? null).toBeNull();
      expect(await contactRolesOf(target)).toEqual(previous);
    });
  });

  describe('communicationRecipients', () => {
    /** A customer of Northwind Telecom with one user per combination of contact roles, set through the API. */
    let accountId: string;
    let people: Array<{ email: string; contactRoles: string[] }>;
    const ADMIN = 'pa@recipients.example';

    beforeAll(async () => {
      const em = t.portico.services.db.manager;
      const account = await addAccount(em, await t.account('Northwind Telecom'), 'CUSTOMER', 'Recipients Ltd');
      accountId = account.id;
      people = [
        { email: ADMIN, contactRoles: ['TECHNICAL_CONTACT', 'COMMERCIAL_CONTACT'] },
        { email: 'tech@recipients.example', contactRoles: ['TECHNICAL_CONTACT'] },
        { email: 'billing@recipients.example', contactRoles: ['BILLING_CONTACT'] },
        { email: 'sales@recipients.example', contactRoles: ['COMMERCIAL_CONTACT'] },
        { email: 'all@recipients.example', contactRoles: ['BILLING_CONTACT', 'COMMERCIAL_CONTACT', 'TECHNICAL_CONTACT'] },
        { email: 'nobody@recipients.example', contactRoles: [] },
      ];
      for (const person of people) {
        const user = await addUser(em, account, { email: person.email, name: person.email.split('@')[0], roles: person.email === ADMIN ? ['PORTAL_ADMINISTRATOR'] : [] });
        ok(await t.gql(ADMIN, SET, { userId: user.id, roles: person.contactRoles }));
      }
    });

    /** The account's users holding one of the contact roles (or rights: only ADMIN holds one) the policy routes the topic to, by email. */
    const expectedFor = (topic: string, except: string[] = []) =>
      people
        .filter((p) => !except.includes(p.email))
        .filter((p) => p.contactRoles.some((r) => policy.topics.get(topic)!.includes(r)) || (p.email === ADMIN && policy.topicRecipients.get(topic)!.roles.includes('PORTAL_ADMINISTRATOR')))
        .map((p) => p.email)
        .sort();

    it('every topic of the policy goes to exactly the users holding its contact roles, and INVOICE to nobody', async () => {
      expect([...policy.topics.keys()].sort()).toEqual(Object.keys(ROUTING).sort());
      for (const topic of policy.topics.keys()) {
        expect({ topic, recipients: await recipients(ADMIN, topic, accountId) }).toEqual({ topic, recipients: expectedFor(topic) });
      }
      expect(await recipients(ADMIN, 'MAINTENANCE', accountId)).toEqual(['all@recipients.example', ADMIN, 'tech@recipients.example']);
      expect(await recipients(ADMIN, 'DEFECT', accountId)).toEqual(['all@recipients.example', ADMIN, 'tech@recipients.example']);
      expect(await recipients(ADMIN, 'PRICE_UPDATE', accountId)).toEqual(['all@recipients.example', 'billing@recipients.example']);
      expect(await recipients(ADMIN, 'NEWS', accountId)).toEqual(['all@recipients.example', ADMIN, 'sales@recipients.example']);
      expect(await recipients(ADMIN, 'INVOICE', accountId)).toEqual([]);
      expect(await recipients(ADMIN, 'CONTRACTUAL', accountId)).toEqual([ADMIN]);
      expect(await recipients(ADMIN, 'MOBILE_SERVICES', accountId)).toEqual([]);
    });

    it('answers from the demo data too: Acme\'s technical contacts hear of maintenance', async () => {
      expect(await recipients(OPERATOR, 'MAINTENANCE', (await t.account('Acme Logistics')).id)).toEqual(
        (await Promise.all(['admin@acme.example', 'billing@acme.example', 'fleet@acme.example', 'insight@acme.example'].map(async (e) => ({ e, roles: await contactRolesOf(e) }))))
          .filter(({ roles }) => roles.includes('TECHNICAL_CONTACT'))
          .map(({ e }) => e),
      );
      expect(await recipients('ppa@northwind.example', 'PRICE_UPDATE', (await t.account('Northwind Telecom')).id)).toEqual(
        (await Promise.all(['ppa@northwind.example', 'ppm@northwind.example', 'ppu@northwind.example'].map(async (e) => ({ e, roles: await contactRolesOf(e) }))))
          .filter(({ roles }) => roles.includes('BILLING_CONTACT'))
          .map(({ e }) => e),
      );
    });

    it('a suspended user receives nothing while suspended, and again once reactivated', async () => {
      const tech = await t.user('tech@recipients.example');
      expect(ok(await t.gql(ADMIN, SET_STATUS, { id: tech.id, status: 'SUSPENDED' })).setUserStatus.status).toBe('SUSPENDED');
      for (const topic of policy.topics.keys()) {
        expect({ topic, recipients: await recipients(ADMIN, topic, accountId) }).toEqual({ topic, recipients: expectedFor(topic, ['tech@recipients.example']) });
      }
      expect(await recipients(ADMIN, 'MAINTENANCE', accountId)).not.toContain('tech@recipients.example');
      expect(ok(await t.gql(ADMIN, SET_STATUS, { id: tech.id, status: 'ACTIVE' })).setUserStatus.status).toBe('ACTIVE');
      expect(await recipients(ADMIN, 'MAINTENANCE', accountId)).toContain('tech@recipients.example');
    });

    it.each([
      { title: 'a Fleet Administrator of the account (no users.read)', actor: 'fleet@acme.example', account: 'Acme Logistics', code: 'FORBIDDEN' },
      { title: 'an Insight User of the account (no users.read)', actor: 'insight@acme.example', account: 'Acme Logistics', code: 'FORBIDDEN' },
      { title: 'the partner above, which reaches the account but not its users', actor: 'ppa@northwind.example', account: 'Recipients Ltd', code: 'FORBIDDEN' },
      { title: 'a Partner Portal Manager about their own partner (no users.read)', actor: 'ppm@northwind.example', account: 'Northwind Telecom', code: 'FORBIDDEN' },
      { title: 'another customer\'s Portal Administrator', actor: 'admin@globex.example', account: 'Recipients Ltd', code: 'NOT_FOUND' },
      { title: 'another partner', actor: 'ppa@contoso.example', account: 'Acme Logistics', code: 'NOT_FOUND' },
    ])('is refused to $title: $code', async ({ actor, account, code }) => {
      const result = await refused(t, actor, RECIPIENTS, { topic: 'MAINTENANCE', accountId: (await t.account(account)).id }, code);
      expect(result.data ?? null).toBeNull();
    });
  });
});
