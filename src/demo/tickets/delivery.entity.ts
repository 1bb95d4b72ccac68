import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type DeliveryStatus = 'SCHEDULED' | 'IN_TRANSIT' | 'DELIVERED';

/** Hardware or an installation on its way to a customer's site. */
@Entity('delivery')
@Index(['accountId'])
export class DeliveryEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('varchar', { length: 64 })
  accountId!: string;

  @Column('varchar', { length: 200 })
  item!: string;

  @Column('integer')
  quantity!: number;

  @Column('varchar', { length: 20 })
  status!: DeliveryStatus;

  /** ISO date (yyyy-mm-dd). */
  @Column('varchar', { length: 10 })
  scheduledFor!: string;

  @Column('varchar', { length: 200 })
  site!: string;
}
