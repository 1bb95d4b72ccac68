import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AccountType, PermissionGrant } from '../../policy';

/** A role a tenant defined at run time; its permissions were a subset of its creator's. */
@Entity('custom_roles')
@Index('uq_custom_roles_owner_name', ['ownerAccountId', 'name'], { unique: true })
export class CustomRoleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'owner_account_id', type: 'varchar', length: 36 })
  ownerAccountId!: string;

  @Column({ name: 'account_type', type: 'varchar', length: 16 })
  accountType!: AccountType;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ type: 'simple-json' })
  grants!: PermissionGrant[];

  @Column({ name: 'created_by_user_id', type: 'varchar', length: 36 })
  createdByUserId!: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
