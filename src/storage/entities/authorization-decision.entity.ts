import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A sampled authorization decision (PORTICO_DECISION_SAMPLE_RATE): who asked for what on which account, the answer
 * and its reason. `requestId` is the audit trail's too, so a change and the decisions around it are read together.
 */
@Entity('authorization_decisions')
@Index('idx_authorization_decisions_request', ['requestId'])
@Index('idx_authorization_decisions_time', ['occurredAt'])
export class AuthorizationDecisionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt!: Date;

  @Column({ name: 'request_id', type: 'varchar', length: 64 })
  requestId!: string;

  /** The caller, and the principal's actor when it has one (an impersonation session), as the request's log line names them. */
  @Column({ name: 'user_id', type: 'varchar', length: 36, nullable: true })
  userId!: string | null;

  @Column({ name: 'actor_user_id', type: 'varchar', length: 36, nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  /** A permission, one of Portico's actions, or a gateway rule. */
  @Column({ type: 'varchar', length: 128 })
  permission!: string;

  @Column({ type: 'boolean' })
  allowed!: boolean;

  @Column({ type: 'varchar', length: 500 })
  reason!: string;
}
