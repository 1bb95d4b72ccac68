import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A product of the marketplace catalog with its three prices, in cents. */
@Entity('offer')
export class OfferEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('varchar', { length: 200 })
  name!: string;

  @Column('varchar', { length: 100 })
  vendor!: string;

  @Column('varchar', { length: 100 })
  edition!: string;

  @Column('varchar', { length: 3 })
  currency!: string;

  /** What a partner pays the marketplace. */
  @Column('integer')
  costCents!: number;

  /** The retail price the marketplace suggests to partners. */
  @Column('integer')
  suggestedRetailCents!: number;

  /** What customers pay. */
  @Column('integer')
  retailCents!: number;
}
