import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PermissionGrant } from '../../policy';

/** A customer's consent that a partner above it may act in its portal, with exactly the rights it names. */
@Entity('impersonation_grants')
@Index('idx_impersonation_grants_customer', ['customerAccountId', 'createdAt'])
@Index('idx_impersonation_grants_partner', ['partnerAccountId', 'customerAccountId'])
export class ImpersonationGrantEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'customer_account_id', type: 'varchar', length: 36 })
  customerAccountId!: string;

  @Column({ name: 'partner_account_id', type: 'varchar', length: 36 })
  partnerAccountId!: string;

  /** The rights as the customer named them: roles of its account type or permissions. */
  @Column({ type: 'simple-json' })
  rights!: string[];

  /** What the rights amount to, with the scope the granting administrator held. */
  @Column({ type: 'simple-json' })
  grants!: PermissionGrant[];

  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt!: Date | null;

  /** The customer administrator who granted it (for a request still PENDING: the partner user who asked). */
  @Column({ name: 'granted_by_user_id', type: 'varchar', length: 36 })
  grantedByUserId!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by_user_id', type: 'varchar', length: 36, nullable: true })
  revokedByUserId!: string | null;

  /** Set when the partner asked for the grant (requestImpersonation); it is PENDING until approved. */
  @Column({ name: 'requested_by_user_id', type: 'varchar', length: 36, nullable: true })
  requestedByUserId!: string | null;

  @Column({ name: 'request_reason', type: 'varchar', length: 500, nullable: true })
  requestReason!: string | null;

  @Column({ name: 'approved_at', type: 'datetime', precision: 3, nullable: true })
  approvedAt!: Date | null;

  /** When the scheduler recorded the grant's end: its expiry passed, or a request went unanswered too long. */
  @Column({ name: 'expired_at', type: 'datetime', precision: 3, nullable: true })
  expiredAt!: Date | null;
}
