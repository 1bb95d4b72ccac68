import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type InvoiceStatus = 'OPEN' | 'PAID' | 'OVERDUE';

/** An invoice the marketplace issued to an account. */
@Entity('invoice')
@Index(['accountId'])
export class InvoiceEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('varchar', { length: 64 })
  accountId!: string;

  @Column('varchar', { length: 20 })
  number!: string;

  /** ISO date (yyyy-mm-dd). */
  @Column('varchar', { length: 10 })
  issuedOn!: string;

  @Column('varchar', { length: 20 })
  status!: InvoiceStatus;

  @Column('varchar', { length: 3 })
  currency!: string;

  @Column('integer')
  totalCents!: number;
}
