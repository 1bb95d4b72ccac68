import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { UserStatus } from '../../policy';

@Entity('users')
@Index('idx_users_account_email', ['accountId', 'email'])
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @Index('uq_users_email', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 16, default: 'INVITED' })
  status!: UserStatus;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;
}
