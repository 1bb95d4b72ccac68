import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AccountSettings, AccountStatus, AccountType } from '../../policy';

/**
 * A node of the account tree. `path` is the materialized path of ids from the root, `/root/…/id/`:
 * ancestors are read from it without a query, descendants are one indexed prefix match.
 */
@Entity('accounts')
@Index('idx_accounts_parent_name', ['parentId', 'name', 'id'])
@Index('idx_accounts_name', ['name', 'id'])
export class AccountEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  type!: AccountType;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'parent_id', type: 'varchar', length: 36, nullable: true })
  parentId!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'ACTIVE' })
  status!: AccountStatus;

  @Column({ type: 'simple-json' })
  settings!: AccountSettings;

  @Index('idx_accounts_path')
  @Column({ type: 'varchar', length: 400 })
  path!: string;

  @Column({ type: 'int' })
  depth!: number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}

/** Ancestor ids, root first, excluding the account itself. */
export function ancestorIdsOf(path: string): string[] {
  const ids = path.split('/').filter(Boolean);
  ids.pop();
  return ids;
}
