import { LifecycleScheduler } from '../../src/domain/lifecycle-scheduler';
import { verifyAuditChain } from '../../src/storage/audit-chain';
import { AuditEventEntity, DelegatedAdminRelationshipEntity, ImpersonationGrantEntity, ImpersonationSessionEntity, OutboxEventEntity, type AccountEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

type Body = { type: string; data: Record<string, any> };

/** A scheduler of the test's own on the Portico's database, reading the time from `clock.now`; it keeps the outbox (read below). */
function schedulerOf(t: TestPortico, clock: { now: Date }, requestTtlDays = 90): LifecycleScheduler {
  return new LifecycleScheduler(t.portico.services.db, { schedulerIntervalMs: 0, requestTtlDays, outboxRetentionDays: 3650 }, t.portico.logger, () => clock.now);
}

/** The audit events about a target, in chain order, and the outbox events written with them. */
async function trailOf(t: TestPortico, targetId: string): Promise<{ audits: AuditEventEntity[]; events: Body[] }> {
  const em = t.portico.services.db.manager;
  const audits = await em.find(AuditEventEntity, { where: { targetId }, order: { sequence: 'ASC' } });
  const events: Body[] = [];
  for (const audit of audits) {
    const outbox = await em.findBy(OutboxEventEntity, { accountId: audit.subjectAccountId, sequence: audit.sequence });
    events.push(...outbox.map((e) => JSON.parse(e.body) as Body));
  }
  return { audits, events };
}

describe.each(databaseKinds())('the lifecycle scheduler on delegated administration, on %s', (kind) => {
  const ADVISOR = 'advisor@northwind.example';
  const CUSTOMER_MANAGER = 'am@acme.example';
  const FIELDS = 'id status autoExtend expiresAt requestedAt';
  const REQUEST = `mutation($input: RequestDelegatedAdminInput!) { requestDelegatedAdmin(input: $input) { ${FIELDS} } }`;
  const APPROVE = `mutation($id: ID!) { approveDelegatedAdmin(id: $id) { ${FIELDS} } }`;
  const TERMINATE = `mutation($id: ID!) { terminateDelegatedAdmin(id: $id) { ${FIELDS} } }`;
  const AUTO_EXTEND = `mutation($id: ID!, $on: Boolean!) { setDelegatedAdminAutoExtend(id: $id, autoExtend: $on) { ${FIELDS} } }`;

  let t: TestPortico;
  let acme: AccountEntity;
  let scheduler: LifecycleScheduler;
  const clock = { now: new Date() };

  beforeAll(async () => {
    t = await startTestPortico(kind, 'appdirect');
    acme = await t.account('Acme Retail');
    scheduler = schedulerOf(t, clock);
  });
  afterAll(async () => {
    await scheduler.stop();
    await t.stop();
  });

  const em = () => t.portico.services.db.manager;
  const relationship = (id: string) => em().findOneByOrFail(DelegatedAdminRelationshipEntity, { id });
  const request = async (input: Record<string, unknown> = {}) =>
    ok(await t.gql(ADVISOR, REQUEST, { input: { customerAccountId: acme.id, roles: ['ACCOUNT_MANAGER'], durationDays: 40, ...input } })).requestDelegatedAdmin;
  const approved = async (input: Record<string, unknown> = {}) => ok(await t.gql(CUSTOMER_MANAGER, APPROVE, { id: (await request(input)).id })).approveDelegatedAdmin;
  /** Two rounds at the same moment: whatever the first did, the second must not do again. */
  const roundsAt = async (at: number) => {
    clock.now = new Date(at);
    const first = await scheduler.runOnce();
    const second = await scheduler.runOnce();
    expect(second).toEqual({ sessionsExpired: 0, grantsExpired: 0, requestsExpired: 0, relationshipsExpired: 0, relationshipsRenewed: 0, warningsSent: 0, outboxPruned: 0 });
    return first!;
  };

  it('warns 31, 7 and 1 days before the end, each once; then one expires and the auto-extending one is renewed for 180 days', async () => {
    const plain = await approved();
    const renewing = await approved({ autoExtend: true });
    expect(plain.autoExtend).toBe(false);
    expect(renewing).toMatchObject({ status: 'ACTIVE', autoExtend: true });
    const end = Date.parse(plain.expiresAt);
    const renewingEnd = Date.parse(renewing.expiresAt);

    expect((await roundsAt(end - 35 * DAY)).warningsSent).toBe(0);
    for (const days of [31, 7, 1]) {
      expect((await roundsAt(end - days * DAY + HOUR)).warningsSent).toBeGreaterThanOrEqual(2);
      // Between two thresholds nothing more is sent.
      expect((await roundsAt(end - days * DAY + 2 * HOUR)).warningsSent).toBe(0);
    }
    const ended = await roundsAt(end + HOUR);
    expect(ended.relationshipsExpired).toBeGreaterThanOrEqual(1);
    expect(ended.relationshipsRenewed).toBeGreaterThanOrEqual(1);

    const expired = await trailOf(t, plain.id);
    expect(expired.audits.map((a) => a.action)).toEqual(['delegation.request', 'delegation.approve', 'delegation.expiring', 'delegation.expiring', 'delegation.expiring', 'delegation.expire']);
    expect(expired.events.map((e) => e.type)).toEqual(['delegation.requested', 'delegation.approved', 'delegation.expiring', 'delegation.expiring', 'delegation.expiring', 'delegation.expired']);
    expect(expired.events.filter((e) => e.type === 'delegation.expiring').map((e) => e.data.daysBefore)).toEqual([31, 7, 1]);
    expect(expired.events[5].data).toMatchObject({ reason: 'ended', expiresAt: new Date(end).toISOString(), actor: { id: 'portico-scheduler' } });
    for (const audit of expired.audits.slice(2)) expect(audit).toMatchObject({ actorUserId: 'portico-scheduler', requestId: expect.stringMatching(/^scheduler-/) });
    expect((await relationship(plain.id)).status).toBe('EXPIRED');

    const renewed = await relationship(renewing.id);
    expect(renewed.status).toBe('ACTIVE');
    expect(renewed.expiresAt!.getTime()).toBe(renewingEnd + 180 * DAY);
    const renewal = await trailOf(t, renewing.id);
    expect(renewal.events.map((e) => e.type)).toEqual(['delegation.requested', 'delegation.approved', 'delegation.expiring', 'delegation.expiring', 'delegation.expiring', 'delegation.renewed']);
    expect(renewal.events[5].data).toMatchObject({ from: new Date(renewingEnd).toISOString(), to: renewed.expiresAt!.toISOString(), days: 180 });

    // The renewed end is warned of again, once.
    await roundsAt(renewed.expiresAt!.getTime() - 31 * DAY + HOUR);
    const again = await trailOf(t, renewing.id);
    expect(again.events.map((e) => e.type).slice(6)).toEqual(['delegation.expiring']);
    expect(again.events[6].data).toMatchObject({ daysBefore: 31, expiresAt: renewed.expiresAt!.toISOString(), autoExtend: true });
    expect(await verifyAuditChain(em(), acme.id)).toMatchObject({ ok: true });
  });

  it('either side turns auto-extension off; only the customer turns it on; the relationship then ends', async () => {
    const { id, expiresAt } = await approved({ autoExtend: true });
    expect(ok(await t.gql(ADVISOR, AUTO_EXTEND, { id, on: false })).setDelegatedAdminAutoExtend.autoExtend).toBe(false);
    await refused(t, ADVISOR, AUTO_EXTEND, { id, on: true }, 'FORBIDDEN');
    expect((await relationship(id)).autoExtend).toBe(false);
    expect(ok(await t.gql(CUSTOMER_MANAGER, AUTO_EXTEND, { id, on: true })).setDelegatedAdminAutoExtend.autoExtend).toBe(true);
    expect(ok(await t.gql(CUSTOMER_MANAGER, AUTO_EXTEND, { id, on: false })).setDelegatedAdminAutoExtend.autoExtend).toBe(false);
    const actions = (await trailOf(t, id)).audits.map((a) => [a.action, a.details?.autoExtend]);
    expect(actions.filter(([action]) => action === 'delegation.setAutoExtend')).toEqual([
      ['delegation.setAutoExtend', false],
      ['delegation.setAutoExtend', true],
      ['delegation.setAutoExtend', false],
    ]);

    await roundsAt(Date.parse(expiresAt) + HOUR);
    expect((await relationship(id)).status).toBe('EXPIRED');
    expect((await trailOf(t, id)).events.map((e) => e.type).at(-1)).toBe('delegation.expired');
    // Over: nothing renews any more.
    await refused(t, CUSTOMER_MANAGER, AUTO_EXTEND, { id, on: true }, 'CONFLICT');
  });

  it.each([
    { title: 'an unknown relationship', as: CUSTOMER_MANAGER, id: () => '00000000-0000-4000-8000-000000000000', code: 'NOT_FOUND' },
    { title: "another tenant's administrator", as: 'am@contoso.example', id: undefined, code: 'NOT_FOUND' },
  ])('setDelegatedAdminAutoExtend refuses $title with $code, changing nothing', async ({ as, id, code }) => {
    const made = await approved({ autoExtend: true });
    await refused(t, as, AUTO_EXTEND, { id: id ? id() : made.id, on: false }, code);
    expect((await relationship(made.id)).autoExtend).toBe(true);
  });

  it('refuses a terminated relationship as a conflict', async () => {
    const { id } = await approved({ autoExtend: true });
    ok(await t.gql(CUSTOMER_MANAGER, TERMINATE, { id }));
    await refused(t, ADVISOR, AUTO_EXTEND, { id, on: false }, 'CONFLICT');
    expect((await relationship(id)).autoExtend).toBe(true);
  });

  it('expires a request left PENDING for PORTICO_REQUEST_TTL_DAYS, and it can no longer be approved', async () => {
    const pending = await request();
    const requestedAt = Date.parse(pending.requestedAt);
    await roundsAt(requestedAt + 89 * DAY);
    expect((await relationship(pending.id)).status).toBe('PENDING');
    expect((await roundsAt(requestedAt + 90 * DAY + 60_000)).requestsExpired).toBeGreaterThanOrEqual(1);
    expect((await relationship(pending.id)).status).toBe('EXPIRED');
    const { events } = await trailOf(t, pending.id);
    expect(events.map((e) => e.type)).toEqual(['delegation.requested', 'delegation.expired']);
    expect(events[1].data).toMatchObject({ reason: 'unanswered', ttlDays: 90, requestedAt: new Date(requestedAt).toISOString() });
    expect(codes(await t.gql(CUSTOMER_MANAGER, APPROVE, { id: pending.id }))).toEqual(['CONFLICT']);
  });

  it('runs a round on one instance at a time: another waits for the lease, and takes it once handed back', async () => {
    clock.now = new Date();
    const other = schedulerOf(t, clock);
    expect(await scheduler.runOnce()).not.toBeNull();
    expect(await other.runOnce()).toBeNull();
    await scheduler.stop();
    expect(await other.runOnce()).not.toBeNull();
    expect(await scheduler.runOnce()).toBeNull();
    await other.stop();
  });
});

describe.each(databaseKinds())('the lifecycle scheduler on impersonation, on %s', (kind) => {
  const CUSTOMER_ADMIN = 'admin@acme.example';
  const MANAGER = 'ppm@northwind.example';
  const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id expiresAt } }';
  const START = 'mutation($customer: ID!) { startImpersonation(customerAccountId: $customer, reason: "ticket 4711") { session { id expiresAt } } }';
  const REQUEST = 'mutation($input: RequestImpersonationInput!) { requestImpersonation(input: $input) { id status } }';
  const APPROVE = 'mutation($id: ID!) { approveImpersonationGrant(id: $id) { id status } }';

  let t: TestPortico;
  let acme: AccountEntity;
  let northwind: AccountEntity;
  let scheduler: LifecycleScheduler;
  const clock = { now: new Date() };

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
    [acme, northwind] = await Promise.all([t.account('Acme Logistics'), t.account('Northwind Telecom')]);
    scheduler = schedulerOf(t, clock);
  });
  afterAll(async () => {
    await scheduler.stop();
    await t.stop();
  });

  const em = () => t.portico.services.db.manager;
  const runAt = async (at: number) => {
    clock.now = new Date(at);
    const round = (await scheduler.runOnce())!;
    expect(await scheduler.runOnce()).toMatchObject({ sessionsExpired: 0, grantsExpired: 0, requestsExpired: 0 });
    return round;
  };

  it('ends a session whose time ran out, then the grant whose end passed, each once, announced', async () => {
    const grant = ok(await t.gql(CUSTOMER_ADMIN, GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['FLEET_ADMINISTRATOR'], expiresAt: new Date(Date.now() + 3 * HOUR).toISOString() } })).grantImpersonation;
    const session = ok(await t.gql(MANAGER, START, { customer: acme.id })).startImpersonation.session;

    expect(await runAt(Date.now() + 30 * 60_000)).toMatchObject({ sessionsExpired: 0, grantsExpired: 0 });
    expect((await runAt(Date.parse(session.expiresAt) + 60_000)).sessionsExpired).toBe(1);
    const ended = await trailOf(t, session.id);
    expect(ended.events.map((e) => e.type)).toEqual(['impersonation.session.started', 'impersonation.session.ended']);
    expect(ended.events[1].data).toMatchObject({ reason: 'expired', grantId: grant.id, partnerAccountId: northwind.id, actor: { id: 'portico-scheduler' } });
    expect((await em().findOneByOrFail(ImpersonationSessionEntity, { id: session.id })).expiredAt).not.toBeNull();

    expect((await runAt(Date.parse(grant.expiresAt) + 60_000)).grantsExpired).toBe(1);
    const lapsed = await trailOf(t, grant.id);
    expect(lapsed.events.map((e) => e.type)).toEqual(['impersonation.grant.expired']);
    expect(lapsed.audits.map((a) => a.action)).toEqual(['impersonation.grant', 'impersonation.grant.expire']);
    expect((await em().findOneByOrFail(ImpersonationGrantEntity, { id: grant.id })).expiredAt).not.toBeNull();
    // Recorded as expired, the grant lets nobody in.
    expect(codes(await t.gql(MANAGER, START, { customer: acme.id }))).toEqual(['FORBIDDEN']);
  });

  it('expires an unanswered impersonation request after the TTL; the partner may then ask again', async () => {
    const asked = ok(await t.gql(MANAGER, REQUEST, { input: { customerAccountId: acme.id, rights: ['tickets:create'], reason: 'ticket 4712' } })).requestImpersonation;
    const createdAt = (await em().findOneByOrFail(ImpersonationGrantEntity, { id: asked.id })).createdAt.getTime();
    expect((await runAt(createdAt + 89 * DAY)).requestsExpired).toBe(0);
    expect((await runAt(createdAt + 90 * DAY + 60_000)).requestsExpired).toBe(1);
    const { events } = await trailOf(t, asked.id);
    expect(events.map((e) => e.type)).toEqual(['impersonation.grant.requested', 'impersonation.grant.expired']);
    expect(events[1].data).toMatchObject({ reason: 'unanswered', ttlDays: 90 });
    expect(codes(await t.gql(CUSTOMER_ADMIN, APPROVE, { id: asked.id }))).toEqual(['CONFLICT']);
    expect(ok(await t.gql(MANAGER, REQUEST, { input: { customerAccountId: acme.id, rights: ['tickets:create'], reason: 'ticket 4712, again' } })).requestImpersonation.status).toBe('PENDING');
    expect(await verifyAuditChain(em(), acme.id)).toMatchObject({ ok: true });
  });
});
