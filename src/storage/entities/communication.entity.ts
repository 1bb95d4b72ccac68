import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A message sent to an account on a topic; who received it is resolved once, at send time, and kept. */
@Entity('communications')
@Index('idx_communications_account', ['accountId', 'sentAt', 'id'])
export class CommunicationEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @Column({ type: 'varchar', length: 64 })
  topic!: string;

  @Column({ type: 'varchar', length: 200 })
  subject!: string;

  @Column({ type: 'text' })
  body!: string;

  @Column({ name: 'sender_user_id', type: 'varchar', length: 36 })
  senderUserId!: string;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3 })
  sentAt!: Date;
}

/** One recipient of a communication: their inbox entry, read or not. */
@Entity('communication_recipients')
@Index('idx_communication_recipients_inbox', ['userId', 'sentAt', 'communicationId'])
export class CommunicationRecipientEntity {
  @PrimaryColumn({ name: 'communication_id', type: 'varchar', length: 36 })
  communicationId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  /** The communication's time, kept here so an inbox pages on one index. */
  @Column({ name: 'sent_at', type: 'datetime', precision: 3 })
  sentAt!: Date;

  @Column({ name: 'read_at', type: 'datetime', precision: 3, nullable: true })
  readAt!: Date | null;
}

/** A person of the platform or of a parent account named as an account's contact (its account manager, say). */
@Entity('provider_contacts')
export class ProviderContactEntity {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  /** What they are to the account: `ACCOUNT_MANAGER`, `TECHNICAL_SUPPORT`, … */
  @Column({ type: 'varchar', length: 64 })
  role!: string;

  @Column({ name: 'named_by_user_id', type: 'varchar', length: 36 })
  namedByUserId!: string;

  @Column({ name: 'named_at', type: 'datetime', precision: 3 })
  namedAt!: Date;
}
