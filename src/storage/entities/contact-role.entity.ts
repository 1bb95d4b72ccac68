import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A contact role (Technical, Billing, Commercial Contact): which communications a user receives. */
@Entity('contact_roles')
@Index('uq_contact_roles_user_role', ['userId', 'role'], { unique: true })
@Index('idx_contact_roles_account_role', ['accountId', 'role'])
export class ContactRoleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @Column({ type: 'varchar', length: 32 })
  role!: string;
}
