import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A right held by a user in their home account: a policy role or a tenant's custom role. */
@Entity('role_assignments')
@Index('uq_role_assignments_user_role', ['userId', 'role'], { unique: true })
@Index('idx_role_assignments_account_role', ['accountId', 'role'])
export class RoleAssignmentEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @Column({ type: 'varchar', length: 64 })
  role!: string;

  @Column({ name: 'custom_role_id', type: 'varchar', length: 36, nullable: true })
  customRoleId!: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
