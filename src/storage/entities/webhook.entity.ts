import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An event for the outside world, written in the same transaction as the change (and the audit event) it
 * announces. `sequence` is that audit event's place in its account's chain, so events keep their account's order.
 */
@Entity('outbox_events')
@Index('uq_outbox_events_account_sequence', ['accountId', 'sequence'], { unique: true })
export class OutboxEventEntity {
  /** Also the `webhook-id` every delivery of it carries: a receiver de-duplicates on it. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @Column({ type: 'int' })
  sequence!: number;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  /** The JSON body sent: `{ type, timestamp, data }`. */
  @Column({ type: 'text' })
  body!: string;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt!: Date;
}

/** An account's subscription: the events named are POSTed to the URL, signed with the secret. */
@Entity('webhooks')
@Index('idx_webhooks_account', ['accountId', 'createdAt'])
export class WebhookEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @Column({ type: 'varchar', length: 2000 })
  url!: string;

  @Column({ type: 'simple-json' })
  events!: string[];

  /** `whsec_` and the base64 key, as Standard Webhooks libraries take it. */
  @Column({ type: 'varchar', length: 200 })
  secret!: string;

  @Column({ name: 'created_by_user_id', type: 'varchar', length: 36 })
  createdByUserId!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** One event owed to one webhook, and how its attempts went. */
@Entity('webhook_deliveries')
@Index('uq_webhook_deliveries_event', ['webhookId', 'eventId'], { unique: true })
@Index('idx_webhook_deliveries_order', ['webhookId', 'status', 'sequence'])
@Index('idx_webhook_deliveries_due', ['status', 'nextAttemptAt'])
export class WebhookDeliveryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'webhook_id', type: 'varchar', length: 36 })
  webhookId!: string;

  @Column({ name: 'event_id', type: 'varchar', length: 36 })
  eventId!: string;

  @Column({ type: 'int' })
  sequence!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: DeliveryStatus;

  @Column({ type: 'int' })
  attempts!: number;

  /** When the next attempt is due; while an attempt runs, the end of its lease. */
  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3 })
  nextAttemptAt!: Date;

  @Column({ name: 'last_attempt_at', type: 'datetime', precision: 3, nullable: true })
  lastAttemptAt!: Date | null;

  @Column({ name: 'last_status_code', type: 'int', nullable: true })
  lastStatusCode!: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @Column({ name: 'delivered_at', type: 'datetime', precision: 3, nullable: true })
  deliveredAt!: Date | null;
}
