import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PartnerGroupRule } from '../../policy';

/** A rule-based set of partner users, defined by the platform; its members are computed from the rule, never stored. */
@Entity('partner_groups')
@Index('uq_partner_groups_platform_name', ['platformAccountId', 'nameKey'], { unique: true })
export class PartnerGroupEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The platform the group belongs to (the root account): names are unique there. */
  @Column({ name: 'platform_account_id', type: 'varchar', length: 36 })
  platformAccountId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** The name lowercased: "Gold partners" and "GOLD PARTNERS" are one name on either database. */
  @Column({ name: 'name_key', type: 'varchar', length: 200 })
  nameKey!: string;

  @Column({ type: 'simple-json' })
  rule!: PartnerGroupRule;

  @Column({ name: 'created_by_user_id', type: 'varchar', length: 36 })
  createdByUserId!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
