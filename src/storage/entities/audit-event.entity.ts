import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Who did what, for whom: written in the same transaction as the change it records. Each account's events form a
 * hash chain: `sequence` counts them from 1, `previousHash` is the hash of the event before (null for the first)
 * and `hash` is SHA-256 over this event's canonical JSON, `previousHash` included.
 */
@Entity('audit_events')
@Index('idx_audit_events_subject', ['subjectAccountId', 'occurredAt', 'id'])
@Index('uq_audit_events_chain', ['subjectAccountId', 'sequence'], { unique: true })
@Index('idx_audit_events_actor', ['actorUserId', 'occurredAt'])
@Index('idx_audit_events_subject_user', ['subjectUserId', 'occurredAt'])
@Index('idx_audit_events_time', ['occurredAt', 'id'])
export class AuditEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt!: Date;

  @Column({ name: 'actor_user_id', type: 'varchar', length: 36 })
  actorUserId!: string;

  @Column({ name: 'subject_account_id', type: 'varchar', length: 36 })
  subjectAccountId!: string;

  /** The user the change was about, when it was about one. */
  @Column({ name: 'subject_user_id', type: 'varchar', length: 36, nullable: true })
  subjectUserId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32 })
  targetType!: string;

  @Column({ name: 'target_id', type: 'varchar', length: 36 })
  targetId!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 64 })
  requestId!: string;

  @Column({ name: 'impersonation_session_id', type: 'varchar', length: 36, nullable: true })
  impersonationSessionId!: string | null;

  @Column({ name: 'delegated_relationship_id', type: 'varchar', length: 36, nullable: true })
  delegatedRelationshipId!: string | null;

  @Column({ type: 'simple-json', nullable: true })
  details!: Record<string, unknown> | null;

  @Column({ type: 'int' })
  sequence!: number;

  @Column({ name: 'previous_hash', type: 'varchar', length: 64, nullable: true })
  previousHash!: string | null;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}

/** The newest link of an account's chain: locked by every writer appending to it, so links never fork. */
@Entity('audit_chain_heads')
export class AuditChainHeadEntity {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @Column({ type: 'int' })
  sequence!: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  hash!: string | null;
}
