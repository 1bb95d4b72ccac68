import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { UserStatus } from '../../policy';

@Entity('users')
@Index('idx_users_account_email', ['accountId', 'email'])
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  /** The canonical form (see `canonicalEmail`): the one a user is found and compared by. */
  @Index('uq_users_email', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** SHA-256 of the email's UTS #39 confusable skeleton: unique, so no two users' emails can pass for one another. */
  @Index('uq_users_email_skeleton', { unique: true })
  @Column({ name: 'email_skeleton', type: 'varchar', length: 64 })
  emailSkeleton!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 16, default: 'INVITED' })
  status!: UserStatus;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
