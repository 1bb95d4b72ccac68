import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type TicketStatus = 'OPEN' | 'IN_PROGRESS' | 'RESOLVED';
export type TicketPriority = 'LOW' | 'NORMAL' | 'HIGH';

/** A support ticket a customer raised with its provider. */
@Entity('ticket')
@Index(['accountId', 'number'])
export class TicketEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  /** The Portico account (a customer) the ticket belongs to. */
  @Column('varchar', { length: 64 })
  accountId!: string;

  @Column('integer')
  number!: number;

  @Column('varchar', { length: 200 })
  subject!: string;

  @Column('varchar', { length: 20 })
  status!: TicketStatus;

  @Column('varchar', { length: 20 })
  priority!: TicketPriority;

  /** ISO timestamp. */
  @Column('varchar', { length: 30 })
  openedAt!: string;

  /** The Portico user who opened it; null for seeded tickets. */
  @Column('varchar', { length: 64, nullable: true })
  openedByUserId!: string | null;
}
