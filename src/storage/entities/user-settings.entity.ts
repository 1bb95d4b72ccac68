import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One notification preference: a communication topic of the policy and the channels it goes by. */
export interface NotificationPreference {
  topic: string;
  channels: Array<'EMAIL' | 'SMS' | 'IN_APP'>;
}

/** What a user sets for themselves in My Settings, besides their name and email (which are the user's own columns). */
export interface PersonalPreferences {
  /** Personal social accounts (never the company's), e.g. `{ network: 'linkedin', handle: 'ada-lovelace' }`. */
  socialConnections: Array<{ network: string; handle: string }>;
  /** Personal event integrations (webinar and meeting tools), by provider and the account there. */
  eventIntegrations: Array<{ provider: string; account: string }>;
  notifications: NotificationPreference[];
}

/**
 * A user's My Settings: their personal preferences (checked with zod on every write and read), and an email change
 * waiting for its confirmation. One row per user, made on their first change.
 */
@Entity('user_settings')
export class UserSettingsEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ type: 'simple-json' })
  preferences!: PersonalPreferences;

  /** The canonical email the user asked to change to, until they confirm it; their email stays the old one meanwhile. */
  @Index('idx_user_settings_pending_email')
  @Column({ name: 'pending_email', type: 'varchar', length: 254, nullable: true })
  pendingEmail!: string | null;

  /** SHA-256 (hex) of the confirmation code sent to the pending email; the code itself is never stored here. */
  @Column({ name: 'email_code_hash', type: 'varchar', length: 64, nullable: true })
  emailCodeHash!: string | null;

  @Column({ name: 'email_code_expires_at', type: 'datetime', precision: 3, nullable: true })
  emailCodeExpiresAt!: Date | null;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
