import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type DelegatedAdminStatus = 'PENDING' | 'ACTIVE' | 'EXPIRED' | 'TERMINATED';

/**
 * A partner's time-bound administration of a customer below it, approved by the customer. While active its
 * roles apply to the customer for the delegate (or every user of the partner), under their own identity.
 */
@Entity('delegated_admin_relationships')
@Index('idx_delegated_admin_customer', ['customerAccountId', 'requestedAt'])
@Index('idx_delegated_admin_partner', ['partnerAccountId', 'status'])
export class DelegatedAdminRelationshipEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'partner_account_id', type: 'varchar', length: 36 })
  partnerAccountId!: string;

  /** Null: every user of the partner account. */
  @Column({ name: 'delegate_user_id', type: 'varchar', length: 36, nullable: true })
  delegateUserId!: string | null;

  @Column({ name: 'customer_account_id', type: 'varchar', length: 36 })
  customerAccountId!: string;

  @Column({ type: 'simple-json' })
  roles!: string[];

  @Column({ name: 'duration_days', type: 'int' })
  durationDays!: number;

  /** As stored; an ACTIVE relationship past `expiresAt` reads as EXPIRED. */
  @Column({ type: 'varchar', length: 16 })
  status!: DelegatedAdminStatus;

  @Column({ name: 'requested_by_user_id', type: 'varchar', length: 36 })
  requestedByUserId!: string;

  @Column({ name: 'requested_at', type: 'datetime', precision: 3 })
  requestedAt!: Date;

  @Column({ name: 'approved_by_user_id', type: 'varchar', length: 36, nullable: true })
  approvedByUserId!: string | null;

  @Column({ name: 'approved_at', type: 'datetime', precision: 3, nullable: true })
  approvedAt!: Date | null;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'terminated_by_user_id', type: 'varchar', length: 36, nullable: true })
  terminatedByUserId!: string | null;

  @Column({ name: 'terminated_at', type: 'datetime', precision: 3, nullable: true })
  terminatedAt!: Date | null;

  /** Renewed for 180 days at its end, until either side turns this off. */
  @Column({ name: 'auto_extend', type: 'boolean', default: false })
  autoExtend!: boolean;
}
