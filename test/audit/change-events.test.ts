import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { COMMON_EVENT_FIELDS, EVENT_EXAMPLES, type EventType } from '../../src/domain/events';
import { AuditEventEntity, OutboxEventEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const SUPPLIER = 'supplier@platform.local';
const ADMIN = 'admin@northwind.example';
const SALES = 'sales@northwind.example';
const SECRET_VALUE = 'sk-live-never-in-an-event';
const OTHER_SECRET = 'sk-live-nor-this-one';

type Body = { type: string; timestamp: string; data: Record<string, any> };

/** A receiver on loopback that accepts everything and keeps the bodies. */
async function receiver() {
  const bodies: Body[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Change {
  title: string;
  as: string;
  query: string;
  variables: () => Promise<Record<string, unknown>>;
  type: EventType;
  /** The account whose outbox receives it. */
  account: () => Promise<string>;
  data: () => Promise<Record<string, unknown>>;
  /** The keys it carries besides the common fields, when not those of its example. */
  keys?: string[];
}

describe.each(databaseKinds())('an event for every change, on %s', (kind) => {
  let t: TestPortico;
  let hook: Awaited<ReturnType<typeof receiver>>;
  const state: { accountId?: string; invitedId?: string; roleId?: string; groupId?: string } = {};
  const em = () => t.portico.services.db.manager;
  const id = async (name: string) => (await t.account(name)).id;
  const user = async (email: string) => (await t.user(email)).id;

  beforeAll(async () => {
    hook = await receiver();
    t = await startTestPortico(kind, 'unifyr', { webhookDelivery: true, webhookRetrySchedule: [0, 0.05, 0.1, 30], webhookPollMs: 25 });
  });
  afterAll(async () => {
    await t?.stop();
    await hook?.close();
  });

  const platformId = async () => (await t.user(SUPPLIER)).accountId;

  const changes: Change[] = [
    {
      title: 'updateUser',
      as: ADMIN,
      query: 'mutation($id: ID!) { updateUser(id: $id, input: { name: "Renamed Marketer", email: "mia@northwind.example" }) { id } }',
      variables: async () => ({ id: await user('marketing@northwind.example') }),
      type: 'user.updated',
      account: () => id('Northwind Solutions'),
      data: async () => ({ subjectUserId: await user('mia@northwind.example'), name: { from: expect.any(String), to: 'Renamed Marketer' }, email: { from: 'marketing@northwind.example', to: 'mia@northwind.example' } }),
    },
    {
      title: 'updateMySettings',
      as: 'mia@northwind.example',
      query: 'mutation { updateMySettings(input: { name: "Mia Marketing" }) { id } }',
      variables: async () => ({}),
      type: 'user.updated',
      account: () => id('Northwind Solutions'),
      data: async () => ({ subjectUserId: await user('mia@northwind.example'), actor: { id: await user('mia@northwind.example'), email: 'mia@northwind.example', name: 'Renamed Marketer' }, name: { from: 'Renamed Marketer', to: 'Mia Marketing' } }),
      keys: ['name'],
    },
    {
      title: 'setUserStatus',
      as: ADMIN,
      query: 'mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { id } }',
      variables: async () => ({ id: await user(SALES) }),
      type: 'user.status_changed',
      account: () => id('Northwind Solutions'),
      data: async () => ({ subjectUserId: await user(SALES), from: 'ACTIVE', to: 'SUSPENDED' }),
    },
    {
      title: 'setContactRoles',
      as: ADMIN,
      query: 'mutation($id: ID!) { setContactRoles(userId: $id, roles: [COMMERCIAL_CONTACT, TECHNICAL_CONTACT]) { id } }',
      variables: async () => ({ id: await user(SALES) }),
      type: 'user.contact_roles_changed',
      account: () => id('Northwind Solutions'),
      data: async () => ({ subjectUserId: await user(SALES), from: ['TECHNICAL_CONTACT'], to: ['COMMERCIAL_CONTACT', 'TECHNICAL_CONTACT'] }),
    },
    {
      title: 'resendInvitation',
      as: ADMIN,
      query: 'mutation($id: ID!) { resendInvitation(userId: $id) { id } }',
      variables: async () => ({ id: state.invitedId }),
      type: 'invitation.resent',
      account: () => id('Northwind Solutions'),
      // What a mail sender needs to deliver it again, as user.invited carries it.
      data: async () => ({ subjectUserId: state.invitedId, email: `olga-${kind}@northwind.example`, roles: ['MARKETING'] }),
    },
    {
      title: 'removeUser',
      as: ADMIN,
      query: 'mutation($id: ID!) { removeUser(id: $id) }',
      variables: async () => ({ id: state.invitedId }),
      type: 'user.removed',
      account: () => id('Northwind Solutions'),
      data: async () => ({ subjectUserId: state.invitedId, email: `olga-${kind}@northwind.example`, roles: ['MARKETING'] }),
    },
    {
      title: 'createAccount',
      as: SUPPLIER,
      query: `mutation($parent: ID!) { createAccount(input: { type: PARTNER, name: "Initech Partners", parentId: $parent, settings: { crmApiKey: "${SECRET_VALUE}" } }) { id } }`,
      variables: async () => ({ parent: await platformId() }),
      type: 'account.created',
      account: async () => state.accountId!,
      // The supplier is not one of the new account's users: an id, as its trail shows them.
      data: async () => ({ actor: { id: await user(SUPPLIER) }, type: 'PARTNER', name: 'Initech Partners', parentId: await platformId(), secretSettingsChanged: ['crmApiKey'] }),
    },
    {
      title: 'updateAccount',
      as: SUPPLIER,
      query: `mutation($id: ID!) { updateAccount(id: $id, input: { name: "Initech Global", settings: { adminsMayAssignRoles: true, crmApiKey: "${OTHER_SECRET}" } }) { id } }`,
      variables: async () => ({ id: state.accountId }),
      type: 'account.updated',
      account: async () => state.accountId!,
      data: async () => ({ name: { from: 'Initech Partners', to: 'Initech Global' }, secretSettingsChanged: ['crmApiKey'] }),
    },
    {
      title: 'setAccountStatus',
      as: SUPPLIER,
      query: 'mutation($id: ID!) { setAccountStatus(id: $id, status: SUSPENDED) { id } }',
      variables: async () => ({ id: state.accountId }),
      type: 'account.status_changed',
      account: async () => state.accountId!,
      data: async () => ({ from: 'ACTIVE', to: 'SUSPENDED' }),
    },
    {
      title: 'setAccountStatus back',
      as: SUPPLIER,
      query: 'mutation($id: ID!) { setAccountStatus(id: $id, status: ACTIVE) { id } }',
      variables: async () => ({ id: state.accountId }),
      type: 'account.status_changed',
      account: async () => state.accountId!,
      data: async () => ({ from: 'SUSPENDED', to: 'ACTIVE' }),
    },
    {
      title: 'deleteAccount',
      as: SUPPLIER,
      query: 'mutation($id: ID!) { deleteAccount(id: $id) }',
      variables: async () => ({ id: state.accountId }),
      type: 'account.deleted',
      // Its own outbox goes with it: the parent's records the deletion.
      account: () => platformId(),
      data: async () => ({ targetId: state.accountId, name: 'Initech Global', type: 'PARTNER', users: [] }),
    },
    {
      title: 'createCustomRole',
      as: SUPPLIER,
      query: 'mutation($id: ID!) { createCustomRole(input: { accountId: $id, accountType: PARTNER, name: "EVENT_DESK", title: "Event desk", permissions: [{ permission: "leads:read" }] }) { id } }',
      variables: async () => ({ id: await id('Northwind Solutions') }),
      type: 'custom_role.created',
      account: () => id('Northwind Solutions'),
      data: async () => ({ targetId: state.roleId, name: 'EVENT_DESK' }),
    },
    {
      title: 'updateCustomRole',
      as: SUPPLIER,
      query: 'mutation($id: ID!) { updateCustomRole(id: $id, input: { title: "Events", permissions: [{ permission: "leads:read" }, { permission: "contacts:add" }] }) { id } }',
      variables: async () => ({ id: state.roleId }),
      type: 'custom_role.updated',
      account: () => id('Northwind Solutions'),
      data: async () => ({ title: { from: 'Event desk', to: 'Events' }, permissions: { from: ['leads:read'], to: ['contacts:add', 'leads:read'] } }),
    },
    {
      title: 'deleteCustomRole',
      as: SUPPLIER,
      query: 'mutation($id: ID!) { deleteCustomRole(id: $id) }',
      variables: async () => ({ id: state.roleId }),
      type: 'custom_role.deleted',
      account: () => id('Northwind Solutions'),
      data: async () => ({ name: 'EVENT_DESK' }),
    },
    {
      title: 'createPartnerGroup',
      as: SUPPLIER,
      query: 'mutation { createPartnerGroup(input: { name: "Event partners", rule: { accountTypes: [PARTNER] } }) { id } }',
      variables: async () => ({}),
      type: 'partner_group.created',
      account: () => platformId(),
      data: async () => ({ targetId: state.groupId, name: 'Event partners' }),
    },
    {
      title: 'updatePartnerGroup',
      as: SUPPLIER,
      query: 'mutation($id: ID!) { updatePartnerGroup(id: $id, input: { name: "Premier partners", rule: { accountTypes: [PARTNER] } }) { id } }',
      variables: async () => ({ id: state.groupId }),
      type: 'partner_group.updated',
      account: () => platformId(),
      data: async () => ({ name: { from: 'Event partners', to: 'Premier partners' } }),
    },
    {
      title: 'deletePartnerGroup',
      as: SUPPLIER,
      query: 'mutation($id: ID!) { deletePartnerGroup(id: $id) }',
      variables: async () => ({ id: state.groupId }),
      type: 'partner_group.deleted',
      account: () => platformId(),
      data: async () => ({ name: 'Premier partners' }),
    },
  ];

  const outboxIds = async () => new Set((await em().find(OutboxEventEntity)).map((e) => e.id));

  it("a webhook of the user's account subscribes to the user events", async () => {
    const events = ['user.updated', 'user.status_changed', 'user.contact_roles_changed', 'invitation.resent', 'user.removed'];
    const created = ok(await t.gql(ADMIN, 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { events } }', { input: { accountId: await id('Northwind Solutions'), url: hook.url, events } }));
    expect([...created.createWebhook.events].sort()).toEqual([...events].sort());
    const invited = ok(await t.gql(ADMIN, 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }', {
      input: { accountId: await id('Northwind Solutions'), email: `olga-${kind}@northwind.example`, name: 'Olga Outbox', roles: ['MARKETING'] },
    }));
    state.invitedId = invited.inviteUser.id;
  });

  it.each(changes.map((c) => [c.title, c] as const))('%s writes one event of its type to the outbox, with the keys of its example and what changed', async (_title, change) => {
    const before = await outboxIds();
    const data = ok(await t.gql(change.as, change.query, await change.variables()));
    state.accountId ??= data.createAccount?.id;
    state.roleId ??= data.createCustomRole?.id;
    state.groupId ??= data.createPartnerGroup?.id;
    const written = (await em().find(OutboxEventEntity)).filter((e) => !before.has(e.id));
    expect(written.map((e) => e.type)).toEqual([change.type]);
    const [event] = written;
    expect(event.accountId).toBe(await change.account());
    const body = JSON.parse(event.body) as Body;
    expect(body.type).toBe(change.type);
    expect(Object.keys(body.data).sort()).toEqual([...COMMON_EVENT_FIELDS, ...(change.keys ?? Object.keys(EVENT_EXAMPLES[change.type].data))].sort());
    expect(body.data).toMatchObject({ accountId: event.accountId, targetType: EVENT_EXAMPLES[change.type].targetType, ...(await change.data()) });
    // The audit event of the same change, which the event names.
    const audited = await em().findOneByOrFail(AuditEventEntity, { id: body.data.auditEventId });
    expect({ account: audited.subjectAccountId, sequence: audited.sequence }).toEqual({ account: event.accountId, sequence: event.sequence });
    expect(event.body).not.toContain(SECRET_VALUE);
    expect(event.body).not.toContain(OTHER_SECRET);
  });

  it("names the account's own administrator by email and name, as its trail does", async () => {
    const updated = (await em().find(OutboxEventEntity, { where: { type: 'user.updated' }, order: { sequence: 'ASC' } })).map((e) => JSON.parse(e.body) as Body);
    expect(updated).toHaveLength(2);
    expect(updated[0].data.actor).toEqual({ id: await user(ADMIN), email: ADMIN, name: expect.any(String), accountId: await id('Northwind Solutions') });
  });

  it('the trail says which event each change announced, and its action filter takes either name', async () => {
    const northwind = await id('Northwind Solutions');
    const TRAIL = 'query($a: ID!, $action: String!) { auditEvents(accountId: $a, first: 50, filter: { action: $action }) { totalCount nodes { action event } } }';
    const byEvent = ok(await t.gql(ADMIN, TRAIL, { a: northwind, action: 'user.updated' })).auditEvents;
    const byAction = ok(await t.gql(ADMIN, TRAIL, { a: northwind, action: 'user.update' })).auditEvents;
    // updateUser is audited as user.update and announced as user.updated: one change, found by either name.
    expect(byAction.totalCount).toBeGreaterThan(0);
    expect(byAction.nodes.every((n: { action: string; event: string }) => n.action === 'user.update' && n.event === 'user.updated')).toBe(true);
    expect(byEvent.nodes.filter((n: { action: string }) => n.action === 'user.update')).toEqual(byAction.nodes);
    expect(byEvent.nodes.every((n: { event: string }) => n.event === 'user.updated')).toBe(true);
    // A change that announces nothing names no event; a name that is neither finds nothing.
    const none = ok(await t.gql(ADMIN, TRAIL, { a: northwind, action: 'no.such.thing' })).auditEvents;
    expect(none).toEqual({ totalCount: 0, nodes: [] });
  });

  it("delivers the user events to the account's subscribed webhook, in order, each once", async () => {
    const expected = ['user.updated', 'user.updated', 'user.status_changed', 'user.contact_roles_changed', 'invitation.resent', 'user.removed'];
    await eventually(() => hook.bodies.length >= expected.length);
    expect(hook.bodies.map((b) => b.type)).toEqual(expected);
    expect(hook.bodies[4].data).toMatchObject({ email: `olga-${kind}@northwind.example`, roles: ['MARKETING'], targetId: state.invitedId });
  });

  it.each([
    { title: 'updateUser on another partner', as: 'admin@contoso.example', query: 'mutation($id: ID!) { updateUser(id: $id, input: { name: "Nobody" }) { id } }', variables: async () => ({ id: await user(ADMIN) }) },
    { title: 'setUserStatus on another partner', as: 'admin@contoso.example', query: 'mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { id } }', variables: async () => ({ id: await user(ADMIN) }) },
    { title: 'createPartnerGroup by a partner Administrator', as: ADMIN, query: 'mutation { createPartnerGroup(input: { name: "Mine", rule: { accountTypes: [PARTNER] } }) { id } }', variables: async () => ({}) },
    {
      title: 'createCustomRole on another partner',
      as: 'admin@contoso.example',
      query: 'mutation($id: ID!) { createCustomRole(input: { accountId: $id, accountType: PARTNER, name: "SPY", title: "Spy", permissions: [{ permission: "leads:read" }] }) { id } }',
      variables: async () => ({ id: await id('Northwind Solutions') }),
    },
    { title: 'deleteAccount of a partner by its Administrator', as: ADMIN, query: 'mutation($id: ID!) { deleteAccount(id: $id) }', variables: async () => ({ id: await id('Contoso Resellers') }) },
    { title: 'setAccountStatus by a partner Administrator', as: 'admin@contoso.example', query: 'mutation($id: ID!) { setAccountStatus(id: $id, status: SUSPENDED) { id } }', variables: async () => ({ id: await id('Northwind Solutions') }) },
  ])('a refused $title writes no event', async ({ as, query, variables }) => {
    const before = await em().count(OutboxEventEntity);
    const result = await t.gql(as, query, await variables());
    expect(result.data ?? null).toBeNull();
    expect(codes(result).every((code) => ['FORBIDDEN', 'NOT_FOUND'].includes(code))).toBe(true);
    expect(codes(result)).toHaveLength(1);
    expect(await em().count(OutboxEventEntity)).toBe(before);
  });
});
