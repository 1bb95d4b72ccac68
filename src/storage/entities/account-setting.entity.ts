import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One account setting as last changed: when and by whom, and for a secret setting its value, sealed (never in the
 * account's `settings`, which every reader of the account's site configuration sees).
 */
@Entity('account_settings')
export class AccountSettingEntity {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  key!: string;

  /** A secret's value, AES-256-GCM under PORTICO_SECRETS_KEY; null for a setting kept in the account's settings. */
  @Column({ name: 'sealed_value', type: 'text', nullable: true })
  sealedValue!: string | null;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'updated_by_user_id', type: 'varchar', length: 36 })
  updatedByUserId!: string;
}
