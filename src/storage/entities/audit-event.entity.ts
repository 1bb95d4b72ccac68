import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Who did what, for whom: written in the same transaction as the change it records. */
@Entity('audit_events')
@Index('idx_audit_events_subject', ['subjectAccountId', 'occurredAt', 'id'])
export class AuditEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt!: Date;

  @Column({ name: 'actor_user_id', type: 'varchar', length: 36 })
  actorUserId!: string;

  @Column({ name: 'subject_account_id', type: 'varchar', length: 36 })
  subjectAccountId!: string;

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
}
