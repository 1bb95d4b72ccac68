import { randomUUID } from 'crypto';
import { In } from 'typeorm';
import {
  AuditEventEntity,
  DelegatedAdminRelationshipEntity,
  DelegationExpiryWarningEntity,
  ImpersonationGrantEntity,
  ImpersonationSessionEntity,
  OutboxEventEntity,
  SchedulerLeaseEntity,
  type AccountEntity,
  type UserEntity,
} from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { buildPortico, startPorticoProcess, type PorticoProcess } from '../support/processes';
import { startTestPortico, type TestPortico } from '../support/portico';

jest.setTimeout(300_000);

const DAY = 24 * 60 * 60 * 1000;

async function eventually(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(databaseKinds())('the lifecycle scheduler in two processes on one %s database', (kind) => {
  let t: TestPortico;
  let acme: AccountEntity;
  let northwind: AccountEntity;
  let advisor: UserEntity;
  const processes: PorticoProcess[] = [];

  beforeAll(async () => {
    buildPortico();
    // This process writes the due work and counts; it runs no scheduler itself.
    t = await startTestPortico(kind, 'appdirect');
    [acme, northwind] = await Promise.all([t.account('Acme Retail'), t.account('Northwind Cloud')]);
    advisor = await t.user('advisor@northwind.example');
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await t.stop();
  });

  const em = () => t.portico.services.db.manager;

  /** Relationships and grants already due, of every kind the scheduler handles; returns their ids by what is due. */
  async function dueWork(n: number) {
    const now = Date.now();
    const relationship = (overrides: Partial<DelegatedAdminRelationshipEntity>) => ({
      id: randomUUID(),
      partnerAccountId: northwind.id,
      delegateUserId: advisor.id,
      customerAccountId: acme.id,
      roles: ['ACCOUNT_MANAGER'],
      durationDays: 30,
      status: 'ACTIVE' as const,
      requestedByUserId: advisor.id,
      requestedAt: new Date(now - 40 * DAY),
      approvedByUserId: advisor.id,
      approvedAt: new Date(now - 30 * DAY),
      expiresAt: new Date(now - 60_000),
      terminatedByUserId: null,
      terminatedAt: null,
      autoExtend: false,
      ...overrides,
    });
    const ending = Array.from({ length: n }, () => relationship({}));
    const renewing = Array.from({ length: n }, () => relationship({ autoExtend: true }));
    const warned = Array.from({ length: n }, () => relationship({ expiresAt: new Date(now + 5 * DAY) }));
    const unanswered = Array.from({ length: n }, () => relationship({ status: 'PENDING', requestedAt: new Date(now - 91 * DAY), approvedAt: null, approvedByUserId: null, expiresAt: null }));
    const grants = Array.from({ length: n }, () => ({
      id: randomUUID(),
      customerAccountId: acme.id,
      partnerAccountId: northwind.id,
      rights: ['ACCOUNT_MANAGER'],
      grants: [],
      expiresAt: new Date(now - 60_000),
      grantedByUserId: advisor.id,
      createdAt: new Date(now - 2 * DAY),
      revokedAt: null,
      revokedByUserId: null,
      requestedByUserId: null,
      requestReason: null,
      approvedAt: null,
      expiredAt: null,
    }));
    const sessions = grants.map((grant) => ({
      id: randomUUID(),
      grantId: grant.id,
      actorUserId: advisor.id,
      partnerAccountId: northwind.id,
      customerAccountId: acme.id,
      reason: 'ticket',
      startedAt: new Date(now - 2 * 60 * 60_000),
      expiresAt: new Date(now - 60 * 60_000),
      endedAt: null,
      endedByUserId: null,
      expiredAt: null,
    }));
    await em().insert(DelegatedAdminRelationshipEntity, [...ending, ...renewing, ...warned, ...unanswered]);
    await em().insert(ImpersonationGrantEntity, grants);
    await em().insert(ImpersonationSessionEntity, sessions);
    const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
    return { ending: ids(ending), renewing: ids(renewing), warned: ids(warned), unanswered: ids(unanswered), grants: ids(grants), sessions: ids(sessions) };
  }

  /** How many audit events, and outbox events written with them, each target has for the action. */
  async function countsOf(action: string, targets: string[]): Promise<{ audits: number[]; events: number[] }> {
    const audits = await em().findBy(AuditEventEntity, { action, targetId: In(targets) });
    const outbox = await em().findBy(OutboxEventEntity, { accountId: acme.id, sequence: In(audits.map((a) => a.sequence).concat(-1)) });
    const bySequence = new Map(outbox.map((e) => [e.sequence, e]));
    return {
      audits: targets.map((id) => audits.filter((a) => a.targetId === id).length),
      events: targets.map((id) => audits.filter((a) => a.targetId === id && bySequence.has(a.sequence)).length),
    };
  }

  async function expectEachOnce(work: Awaited<ReturnType<typeof dueWork>>): Promise<void> {
    const once = (n: number) => ({ audits: Array(n).fill(1), events: Array(n).fill(1) });
    const n = work.ending.length;
    expect(await countsOf('delegation.expire', [...work.ending, ...work.unanswered])).toEqual(once(2 * n));
    expect(await countsOf('delegation.renew', work.renewing)).toEqual(once(n));
    expect(await countsOf('delegation.expiring', work.warned)).toEqual(once(n));
    expect(await countsOf('impersonation.grant.expire', work.grants)).toEqual(once(n));
    expect(await countsOf('impersonation.expire', work.sessions)).toEqual(once(n));
    expect(await em().countBy(DelegationExpiryWarningEntity, { relationshipId: In(work.warned), daysBefore: 7 })).toBe(n);
    const renewed = await em().findBy(DelegatedAdminRelationshipEntity, { id: In(work.renewing) });
    expect(renewed.every((r) => r.status === 'ACTIVE' && r.expiresAt!.getTime() > Date.now() + 170 * DAY)).toBe(true);
  }

  it('each expiry, renewal and warning happens once, whichever process runs it; the other takes over when one stops', async () => {
    const n = 12;
    const first = await dueWork(n);
    const env = {
      DATABASE_URL: t.portico.services.config.databaseUrl,
      PORTICO_DATA_DIR: t.dataDir,
      PORTICO_POLICY: 'appdirect',
      PORTICO_SEED_DEMO: 'false',
      PORTICO_WEBHOOK_DELIVERY: 'false',
      PORTICO_SCHEDULER_INTERVAL_MS: '40',
    };
    processes.push(...(await Promise.all([startPorticoProcess(env), startPorticoProcess(env)])));
    // Sessions are the first job of a round and warnings the last: once both are done for every item, all are.
    const handled = (work: Awaited<ReturnType<typeof dueWork>>) => async () =>
      (await em().countBy(AuditEventEntity, { action: 'delegation.expiring', targetId: In(work.warned) })) === n && (await em().countBy(AuditEventEntity, { action: 'impersonation.expire', targetId: In(work.sessions) })) === n;
    await eventually(handled(first));
    // Many more rounds on both processes: nothing is done twice.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expectEachOnce(first);

    // The process holding the lease stops and hands it back: the other one does the next work, once.
    const lease = await em().findOneByOrFail(SchedulerLeaseEntity, { name: 'lifecycle' });
    const holder = processes.find((p) => lease.holder.startsWith(`${p.child.pid}-`));
    expect(holder).toBeDefined();
    await holder!.kill();
    const second = await dueWork(n);
    await eventually(handled(second));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await expectEachOnce(second);
    const taken = await em().findOneByOrFail(SchedulerLeaseEntity, { name: 'lifecycle' });
    expect(taken.holder).not.toBe(lease.holder);
  });
});
