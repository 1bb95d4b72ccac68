import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Which instance runs a scheduled job until when. A round of a job runs on the instance holding its lease, so
 * several Portico processes on one database do the work once; each item is also re-checked under its own lock.
 */
@Entity('scheduler_leases')
export class SchedulerLeaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  holder!: string;

  @Column({ name: 'leased_until', type: 'datetime', precision: 3 })
  leasedUntil!: Date;
}

/** A `delegation.expiring` warning sent: one per relationship, end date and threshold (31, 7 or 1 days before). */
@Entity('delegation_expiry_warnings')
export class DelegationExpiryWarningEntity {
  @PrimaryColumn({ name: 'relationship_id', type: 'varchar', length: 36 })
  relationshipId!: string;

  /** The end the warning was about: an extension or a renewal starts the warnings again for the new end. */
  @PrimaryColumn({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @PrimaryColumn({ name: 'days_before', type: 'int' })
  daysBefore!: number;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3 })
  sentAt!: Date;
}
