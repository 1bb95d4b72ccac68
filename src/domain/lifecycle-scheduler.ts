import { randomUUID } from 'crypto';
import type { Logger } from 'pino';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import type { PorticoConfig } from '../config';
import type { Database } from '../storage/database';
import { In } from 'typeorm';
import {
  DelegatedAdminRelationshipEntity,
  DelegationExpiryWarningEntity,
  ImpersonationGrantEntity,
  ImpersonationSessionEntity,
  OutboxEventEntity,
  SchedulerLeaseEntity,
  WebhookDeliveryEntity,
} from '../storage/entities';
import { auditScheduled } from './audit';

/** What the scheduler takes the time from; tests give it a clock of their own. */
export type Clock = () => Date;

/** `delegation.expiring` is sent this many days before a relationship's end, each once. */
export const EXPIRY_WARNING_DAYS = [31, 7, 1] as const;
/** An auto-extending relationship is renewed by this many days at its end. */
export const AUTO_EXTEND_DAYS = 180;

const DAY = 24 * 60 * 60 * 1000;
const LEASE = 'lifecycle';
/** The holder keeps the lease round after round; another instance takes over this long after the holder stops. */
const LEASE_MS = 5 * 60_000;
const BATCH = 100;
const PRUNE_BATCH = 500;
/** The outbox is pruned at most this often (the first round of an instance does). */
const PRUNE_EVERY_MS = 60 * 60_000;

/** What one round did. */
export interface LifecycleRound {
  sessionsExpired: number;
  grantsExpired: number;
  requestsExpired: number;
  relationshipsExpired: number;
  relationshipsRenewed: number;
  warningsSent: number;
  /** Outbox events deleted with their deliveries, none pending, older than PORTICO_OUTBOX_RETENTION_DAYS. */
  outboxPruned: number;
}

type Work = { em: EntityManager; now: Date; requestId: string };

/**
 * The lifecycle work nobody asks for: impersonation sessions and grants whose end passed, delegated admin
 * relationships that end (or renew, when they auto-extend), requests left unanswered past PORTICO_REQUEST_TTL_DAYS,
 * and the warnings 31, 7 and 1 days before a relationship's end. Each change is audited with its event, as a
 * person's would be.
 *
 * Several instances may run it on one database: a round runs on the instance holding the lease, and every item is
 * changed in its own transaction after reading it again under its row lock (on SQLite, the file's write lock), so
 * an item another round has already handled is left alone. Each expiry and warning therefore happens once.
 */
export class LifecycleScheduler {
  /** This instance, as the lease names it. */
  readonly holder = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;
  /** When this instance last pruned the outbox, by its clock. */
  private prunedAt: number | null = null;

  constructor(
    private readonly db: Database,
    private readonly config: Pick<PorticoConfig, 'schedulerIntervalMs' | 'requestTtlDays' | 'outboxRetentionDays'>,
    private readonly logger: Logger,
    private readonly clock: Clock = () => new Date(),
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch((error: unknown) => this.logger.error({ err: error }, 'lifecycle round failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.config.schedulerIntervalMs);
        });
    };
    this.timer = setTimeout(tick, this.config.schedulerIntervalMs);
  }

  /** Waits for a running round, then hands the lease back so another instance takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.db
      .transaction((em) => em.update(SchedulerLeaseEntity, { name: LEASE, holder: this.holder }, { leasedUntil: new Date(0) }))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not hand back the lifecycle lease'));
  }

  /** One round, if this instance holds (or takes) the lease; null when another instance does. */
  async runOnce(): Promise<LifecycleRound | null> {
    const now = this.clock();
    if (!(await this.takeLease(now))) return null;
    const requestId = `scheduler-${randomUUID()}`;
    const round: LifecycleRound = { sessionsExpired: 0, grantsExpired: 0, requestsExpired: 0, relationshipsExpired: 0, relationshipsRenewed: 0, warningsSent: 0, outboxPruned: 0 };
    const requestedBefore = new Date(now.getTime() - this.config.requestTtlDays * DAY);

    round.sessionsExpired = await this.each(
      ImpersonationSessionEntity,
      (q) => q.where('x.endedAt IS NULL AND x.expiredAt IS NULL AND x.expiresAt <= :now', { now }),
      (s) => !s.endedAt && !s.expiredAt && s.expiresAt.getTime() <= now.getTime(),
      async (session, work) => {
        await work.em.update(ImpersonationSessionEntity, { id: session.id }, { expiredAt: work.now });
        await this.audit(work, { action: 'impersonation.expire', subjectAccountId: session.customerAccountId, targetType: 'ImpersonationSession', targetId: session.id, details: { reason: 'expired', expiresAt: session.expiresAt.toISOString(), grantId: session.grantId, partnerAccountId: session.partnerAccountId } });
      },
      now,
      requestId,
    );

    const grantExpired = (g: ImpersonationGrantEntity) => !g.revokedAt && !g.expiredAt && (!g.requestedByUserId || g.approvedAt !== null) && g.expiresAt !== null && g.expiresAt.getTime() <= now.getTime();
    round.grantsExpired = await this.each(
      ImpersonationGrantEntity,
      (q) => q.where('x.revokedAt IS NULL AND x.expiredAt IS NULL AND x.expiresAt <= :now AND (x.requestedByUserId IS NULL OR x.approvedAt IS NOT NULL)', { now }),
      grantExpired,
      async (grant, work) => {
        await work.em.update(ImpersonationGrantEntity, { id: grant.id }, { expiredAt: work.now });
        await this.audit(work, { action: 'impersonation.grant.expire', subjectAccountId: grant.customerAccountId, targetType: 'ImpersonationGrant', targetId: grant.id, details: { reason: 'expired', expiresAt: grant.expiresAt!.toISOString(), partnerAccountId: grant.partnerAccountId } });
      },
      now,
      requestId,
    );

    const unanswered = (g: ImpersonationGrantEntity) => !g.revokedAt && !g.expiredAt && g.requestedByUserId !== null && g.approvedAt === null && g.createdAt.getTime() <= requestedBefore.getTime();
    round.requestsExpired += await this.each(
      ImpersonationGrantEntity,
      (q) => q.where('x.revokedAt IS NULL AND x.expiredAt IS NULL AND x.requestedByUserId IS NOT NULL AND x.approvedAt IS NULL AND x.createdAt <= :before', { before: requestedBefore }),
      unanswered,
      async (grant, work) => {
        await work.em.update(ImpersonationGrantEntity, { id: grant.id }, { expiredAt: work.now });
        await this.audit(work, { action: 'impersonation.grant.expire', subjectAccountId: grant.customerAccountId, targetType: 'ImpersonationGrant', targetId: grant.id, details: { reason: 'unanswered', requestedAt: grant.createdAt.toISOString(), partnerAccountId: grant.partnerAccountId, ttlDays: this.config.requestTtlDays } });
      },
      now,
      requestId,
    );

    round.requestsExpired += await this.each(
      DelegatedAdminRelationshipEntity,
      (q) => q.where("x.status = 'PENDING' AND x.requestedAt <= :before", { before: requestedBefore }),
      (r) => r.status === 'PENDING' && r.requestedAt.getTime() <= requestedBefore.getTime(),
      async (relationship, work) => {
        await work.em.update(DelegatedAdminRelationshipEntity, { id: relationship.id }, { status: 'EXPIRED' });
        await this.audit(work, { action: 'delegation.expire', subjectAccountId: relationship.customerAccountId, targetType: 'DelegatedAdminRelationship', targetId: relationship.id, details: { reason: 'unanswered', requestedAt: relationship.requestedAt.toISOString(), partnerAccountId: relationship.partnerAccountId, ttlDays: this.config.requestTtlDays } });
      },
      now,
      requestId,
    );

    const ending = (r: DelegatedAdminRelationshipEntity) => r.status === 'ACTIVE' && r.expiresAt !== null && r.expiresAt.getTime() <= now.getTime();
    await this.each(
      DelegatedAdminRelationshipEntity,
      (q) => q.where("x.status = 'ACTIVE' AND x.expiresAt <= :now", { now }),
      ending,
      async (relationship, work) => {
        const from = relationship.expiresAt!;
        if (relationship.autoExtend) {
          // Renewed from its end, not from now: a late round does not lengthen it.
          const to = new Date(from.getTime() + AUTO_EXTEND_DAYS * DAY);
          await work.em.update(DelegatedAdminRelationshipEntity, { id: relationship.id }, { expiresAt: to });
          await this.audit(work, { action: 'delegation.renew', subjectAccountId: relationship.customerAccountId, targetType: 'DelegatedAdminRelationship', targetId: relationship.id, details: { from: from.toISOString(), to: to.toISOString(), days: AUTO_EXTEND_DAYS, partnerAccountId: relationship.partnerAccountId } });
          round.relationshipsRenewed++;
        } else {
          await work.em.update(DelegatedAdminRelationshipEntity, { id: relationship.id }, { status: 'EXPIRED' });
          await this.audit(work, { action: 'delegation.expire', subjectAccountId: relationship.customerAccountId, targetType: 'DelegatedAdminRelationship', targetId: relationship.id, details: { reason: 'ended', expiresAt: from.toISOString(), partnerAccountId: relationship.partnerAccountId } });
          round.relationshipsExpired++;
        }
      },
      now,
      requestId,
    );

    // The warning due is the nearest threshold at or past: a relationship approved for five days is warned 7 days and 1 day before, never 31.
    for (const [i, days] of EXPIRY_WARNING_DAYS.entries()) {
      const closer = EXPIRY_WARNING_DAYS[i + 1];
      const latest = new Date(now.getTime() + days * DAY);
      const earliest = closer === undefined ? now : new Date(now.getTime() + closer * DAY);
      const due = (r: DelegatedAdminRelationshipEntity) => r.status === 'ACTIVE' && r.expiresAt !== null && r.expiresAt.getTime() > earliest.getTime() && r.expiresAt.getTime() <= latest.getTime();
      round.warningsSent += await this.each(
        DelegatedAdminRelationshipEntity,
        (q) =>
          q
            .where("x.status = 'ACTIVE' AND x.expiresAt > :earliest AND x.expiresAt <= :latest", { earliest, latest })
            .andWhere(
              (sub) =>
                `NOT EXISTS ${sub.subQuery().select('1').from(DelegationExpiryWarningEntity, 'w').where('w.relationshipId = x.id AND w.expiresAt = x.expiresAt AND w.daysBefore = :days', { days }).getQuery()}`,
            ),
        due,
        async (relationship, work) => {
          const expiresAt = relationship.expiresAt!;
          if (await work.em.existsBy(DelegationExpiryWarningEntity, { relationshipId: relationship.id, expiresAt, daysBefore: days })) return false;
          await work.em.insert(DelegationExpiryWarningEntity, { relationshipId: relationship.id, expiresAt, daysBefore: days, sentAt: work.now });
          await this.audit(work, {
            action: 'delegation.expiring',
            subjectAccountId: relationship.customerAccountId,
            targetType: 'DelegatedAdminRelationship',
            targetId: relationship.id,
            details: { daysBefore: days, expiresAt: expiresAt.toISOString(), autoExtend: relationship.autoExtend, partnerAccountId: relationship.partnerAccountId, delegateUserId: relationship.delegateUserId },
          });
        },
        now,
        requestId,
      );
    }

    if (this.prunedAt === null || now.getTime() - this.prunedAt >= PRUNE_EVERY_MS) {
      round.outboxPruned = await this.pruneOutbox(new Date(now.getTime() - this.config.outboxRetentionDays * DAY));
      this.prunedAt = now.getTime();
    }

    if (Object.values(round).some((n) => n > 0)) this.logger.info({ requestId, ...round }, 'lifecycle round');
    return round;
  }

  /**
   * Deletes the outbox events older than `before` none of whose deliveries is still pending, with their deliveries
   * (delivered or failed): the outbox is a queue, the audit trail is the record. A batch at a time, each in its own
   * transaction. A delivery is written only with its event and never becomes pending again, so none is lost.
   */
  private async pruneOutbox(before: Date): Promise<number> {
    let pruned = 0;
    for (;;) {
      const deleted = await this.db.transaction(async (em) => {
        const events = await em
          .createQueryBuilder(OutboxEventEntity, 'o')
          .select('o.id')
          .where('o.occurredAt < :before', { before })
          .andWhere((qb) => `NOT EXISTS ${qb.subQuery().select('1').from(WebhookDeliveryEntity, 'd').where("d.eventId = o.id AND d.status = 'PENDING'").getQuery()}`)
          .orderBy('o.occurredAt', 'ASC')
          .take(PRUNE_BATCH)
          .getMany();
        if (events.length === 0) return 0;
        const ids = events.map((e) => e.id);
        await em.delete(WebhookDeliveryEntity, { eventId: In(ids) });
        await em.delete(OutboxEventEntity, { id: In(ids) });
        return ids.length;
      });
      pruned += deleted;
      if (deleted < PRUNE_BATCH) return pruned;
    }
  }

  private audit(work: Work, entry: Parameters<typeof auditScheduled>[1]): Promise<void> {
    return auditScheduled(work.em, entry, { requestId: work.requestId, occurredAt: work.now });
  }

  /**
   * Handles every row the query finds, a batch at a time, each in its own transaction: the row is read again under
   * its lock and handled only if `still` holds (another instance's round may have handled it meanwhile). `handle`
   * returning false means it found the work done. Returns how many rows were handled.
   */
  private async each<T extends { id: string }>(
    entity: new () => T,
    query: (q: SelectQueryBuilder<T>) => SelectQueryBuilder<T>,
    still: (row: T) => boolean,
    handle: (row: T, work: Work) => Promise<void | false>,
    now: Date,
    requestId: string,
  ): Promise<number> {
    let handled = 0;
    const skipped = new Set<string>();
    for (;;) {
      const q = query(this.db.manager.createQueryBuilder(entity, 'x'));
      if (skipped.size > 0) q.andWhere('x.id NOT IN (:...skipped)', { skipped: [...skipped] });
      const rows = await q.orderBy('x.id', 'ASC').take(BATCH).getMany();
      for (const row of rows) {
        const done = await this.db.transaction(async (em) => {
          const read = em.createQueryBuilder(entity, 'x').where('x.id = :id', { id: row.id });
          if (this.db.kind === 'mysql') read.setLock('pessimistic_write');
          const current = await read.getOne();
          if (!current || !still(current)) return false;
          return (await handle(current, { em, now, requestId })) !== false;
        });
        if (done) handled++;
        else skipped.add(row.id);
      }
      if (rows.length < BATCH) return handled;
    }
  }

  /**
   * Takes the lease, or keeps it, for LEASE_MS; false when another instance holds it. The update is one statement
   * on one row: of two instances racing, the second finds the first's lease in force and changes nothing.
   */
  private async takeLease(now: Date): Promise<boolean> {
    return this.db.transaction(async (em) => {
      await em.createQueryBuilder().insert().into(SchedulerLeaseEntity).values({ name: LEASE, holder: '', leasedUntil: new Date(0) }).orIgnore().execute();
      const { affected } = await em
        .createQueryBuilder()
        .update(SchedulerLeaseEntity)
        .set({ holder: this.holder, leasedUntil: new Date(now.getTime() + LEASE_MS) })
        .where('name = :name AND (leased_until <= :now OR holder = :holder)', { name: LEASE, now, holder: this.holder })
        .execute();
      return (affected ?? 0) > 0;
    });
  }
}
