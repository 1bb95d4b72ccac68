import { eventTypeOf } from '../../src/domain/events';
import { AuditEventEntity, OutboxEventEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { ok, startTestPortico, type TestPortico } from '../support/portico';

const ADMIN = 'admin@acme.example';
const MANAGER = 'ppm@northwind.example';
const OPERATOR = 'admin@platform.local';

type Step = { title: string; as: string; query: string; variables: () => Promise<Record<string, unknown>> };

describe.each(databaseKinds())('the outbox beside the audit trail on %s', (kind) => {
  let t: TestPortico;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
  });
  afterAll(() => t.stop());

  const em = () => t.portico.services.db.manager;
  const id = async (name: string) => (await t.account(name)).id;
  const user = async (email: string) => (await t.user(email)).id;
  const invited = `outbox-${kind}@acme.example`;
  const state: { grantId?: string; sessionId?: string; requestId?: string; webhookId?: string } = {};

  const steps: Step[] = [
    { title: 'inviteUser', as: ADMIN, query: 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }', variables: async () => ({ input: { accountId: await id('Acme Logistics'), email: invited, name: 'Outbox Olga', roles: ['FLEET_ADMINISTRATOR'] } }) },
    { title: 'the invited user signs in (acceptInvitation)', as: invited, query: '{ viewer { user { id } } }', variables: async () => ({}) },
    { title: 'assignRole', as: ADMIN, query: 'mutation($u: ID!) { assignRole(userId: $u, role: "FLEET_ADMINISTRATOR") { id } }', variables: async () => ({ u: await user('billing@acme.example') }) },
    { title: 'revokeRole', as: ADMIN, query: 'mutation($u: ID!) { revokeRole(userId: $u, role: "FLEET_ADMINISTRATOR") { id } }', variables: async () => ({ u: await user('billing@acme.example') }) },
    { title: 'setContactRoles', as: ADMIN, query: 'mutation($u: ID!) { setContactRoles(userId: $u, roles: [TECHNICAL_CONTACT]) { id } }', variables: async () => ({ u: await user('billing@acme.example') }) },
    { title: 'updateAccount', as: OPERATOR, query: 'mutation($id: ID!) { updateAccount(id: $id, input: { name: "Initech Global" }) { id } }', variables: async () => ({ id: await id('Initech') }) },
    {
      title: 'grantImpersonation',
      as: ADMIN,
      query: 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }',
      variables: async () => ({ input: { customerAccountId: await id('Acme Logistics'), partnerAccountId: await id('Northwind Telecom'), rights: ['FLEET_ADMINISTRATOR'] } }),
    },
    { title: 'startImpersonation', as: MANAGER, query: 'mutation($c: ID!) { startImpersonation(customerAccountId: $c, reason: "ticket 1") { session { id } } }', variables: async () => ({ c: await id('Acme Logistics') }) },
    { title: 'endImpersonation', as: MANAGER, query: 'mutation($id: ID!) { endImpersonation(sessionId: $id) { id } }', variables: async () => ({ id: state.sessionId }) },
    { title: 'revokeImpersonationGrant', as: ADMIN, query: 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { id } }', variables: async () => ({ id: state.grantId }) },
    {
      title: 'requestImpersonation',
      as: MANAGER,
      query: 'mutation($input: RequestImpersonationInput!) { requestImpersonation(input: $input) { id } }',
      variables: async () => ({ input: { customerAccountId: await id('Acme Logistics'), rights: ['tickets:create'], reason: 'ticket 2' } }),
    },
    { title: 'approveImpersonationGrant', as: ADMIN, query: 'mutation($id: ID!) { approveImpersonationGrant(id: $id) { id } }', variables: async () => ({ id: state.requestId }) },
    {
      title: 'createWebhook',
      as: ADMIN,
      query: 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }',
      variables: async () => ({ input: { accountId: await id('Acme Logistics'), url: 'https://example.com/hook', events: ['role.assigned'] } }),
    },
    { title: 'deleteWebhook', as: ADMIN, query: 'mutation($id: ID!) { deleteWebhook(id: $id) }', variables: async () => ({ id: state.webhookId }) },
  ];

  it('writes, for a representative set of changes, exactly one outbox event per audit event that maps to one, and none otherwise', async () => {
    const before = await em().count(AuditEventEntity);
    for (const step of steps) {
      const data = ok(await t.gql(step.as, step.query, await step.variables()));
      state.grantId ??= data.grantImpersonation?.id;
      state.sessionId ??= data.startImpersonation?.session.id;
      state.requestId ??= data.requestImpersonation?.id;
      state.webhookId ??= data.createWebhook?.id;
    }
    const audits = await em().find(AuditEventEntity, { order: { occurredAt: 'ASC', sequence: 'ASC' } });
    expect(audits.length - before).toBeGreaterThanOrEqual(steps.length);
    const outbox = await em().find(OutboxEventEntity);
    const byPlace = new Map(outbox.map((e) => [`${e.accountId}#${e.sequence}`, e]));
    for (const audit of audits) {
      const type = eventTypeOf(audit.action);
      const event = byPlace.get(`${audit.subjectAccountId}#${audit.sequence}`);
      expect({ action: audit.action, type: event?.type ?? null }).toEqual({ action: audit.action, type: type ?? null });
      if (event) expect((JSON.parse(event.body) as { data: { auditEventId: string } }).data.auditEventId).toBe(audit.id);
    }
    // No event without its audit event.
    const audited = new Set(audits.map((a) => `${a.subjectAccountId}#${a.sequence}`));
    expect(outbox.filter((e) => !audited.has(`${e.accountId}#${e.sequence}`))).toEqual([]);
    const announced = audits.filter((a) => eventTypeOf(a.action)).map((a) => eventTypeOf(a.action));
    expect(new Set(announced)).toEqual(
      new Set(['user.invited', 'role.assigned', 'role.revoked', 'user.contact_roles_changed', 'impersonation.session.started', 'impersonation.session.ended', 'impersonation.grant.revoked', 'impersonation.grant.requested', 'account.updated']),
    );
    expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(['user.acceptInvitation', 'account.update', 'webhook.create', 'webhook.delete', 'impersonation.approve']));
  });

  it('announces requestImpersonation as impersonation.grant.requested, with the partner, the rights and the reason; the requester by id, as the trail names them', async () => {
    const request = await em().findOneByOrFail(AuditEventEntity, { targetId: state.requestId!, action: 'impersonation.request' });
    const event = await em().findOneByOrFail(OutboxEventEntity, { accountId: request.subjectAccountId, sequence: request.sequence });
    expect(event.type).toBe('impersonation.grant.requested');
    const body = JSON.parse(event.body);
    expect(body).toMatchObject({
      type: 'impersonation.grant.requested',
      data: { accountId: await id('Acme Logistics'), targetType: 'ImpersonationGrant', targetId: state.requestId, partnerAccountId: await id('Northwind Telecom'), rights: ['tickets:create'], reason: 'ticket 2' },
    });
    // A partner asking for consent is not one of the customer's users and acts in no session there.
    expect(body.data.actor).toEqual({ id: await user(MANAGER) });
  });

  it.each([
    {
      title: 'setRoles',
      as: ADMIN,
      query: 'mutation($u: ID!) { setRoles(userId: $u, roles: ["INSIGHT_USER"]) { id } }',
      variables: async () => ({ u: await user('fleet@acme.example') }),
      expected: async () => [
        { type: 'role.revoked', data: { subjectUserId: await user('fleet@acme.example'), role: 'FLEET_ADMINISTRATOR', via: 'setRoles' } },
        { type: 'role.assigned', data: { subjectUserId: await user('fleet@acme.example'), role: 'INSIGHT_USER', via: 'setRoles' } },
      ],
    },
    {
      title: 'transferRole',
      as: ADMIN,
      query: 'mutation($from: ID!, $to: ID!) { transferRole(role: "INSIGHT_USER", fromUserId: $from, toUserId: $to) { id } }',
      variables: async () => ({ from: await user('fleet@acme.example'), to: await user('billing@acme.example') }),
      expected: async () => [
        { type: 'role.revoked', data: { subjectUserId: await user('fleet@acme.example'), role: 'INSIGHT_USER', via: 'transferRole' } },
        { type: 'role.assigned', data: { subjectUserId: await user('billing@acme.example'), role: 'INSIGHT_USER', via: 'transferRole' } },
      ],
    },
  ])('announces the roles $title takes and gives as role.revoked and role.assigned, one event each', async ({ as, query, variables, expected }) => {
    const account = await id('Acme Logistics');
    const before = await em().countBy(OutboxEventEntity, { accountId: account });
    ok(await t.gql(as, query, await variables()));
    const events = (await em().find(OutboxEventEntity, { where: { accountId: account }, order: { sequence: 'ASC' } })).slice(before);
    expect(events.map((e) => JSON.parse(e.body))).toEqual((await expected()).map(({ type, data }) => expect.objectContaining({ type, data: expect.objectContaining(data) })));
  });
});
