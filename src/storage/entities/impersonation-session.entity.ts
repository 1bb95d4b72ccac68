import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A partner user acting in a customer's portal under a grant, for a bounded time. */
@Entity('impersonation_sessions')
@Index('idx_impersonation_sessions_grant', ['grantId', 'startedAt'])
export class ImpersonationSessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'grant_id', type: 'varchar', length: 36 })
  grantId!: string;

  @Column({ name: 'actor_user_id', type: 'varchar', length: 36 })
  actorUserId!: string;

  @Column({ name: 'partner_account_id', type: 'varchar', length: 36 })
  partnerAccountId!: string;

  @Column({ name: 'customer_account_id', type: 'varchar', length: 36 })
  customerAccountId!: string;

  @Column({ type: 'varchar', length: 500 })
  reason!: string;

  @Column({ name: 'started_at', type: 'datetime', precision: 3 })
  startedAt!: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'ended_at', type: 'datetime', precision: 3, nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'ended_by_user_id', type: 'varchar', length: 36, nullable: true })
  endedByUserId!: string | null;

  /** When the scheduler recorded that the session's time ran out. */
  @Column({ name: 'expired_at', type: 'datetime', precision: 3, nullable: true })
  expiredAt!: Date | null;
}
