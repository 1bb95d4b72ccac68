import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A Portico account this subgraph has rows for: its id in Portico and the demo account name it was seeded from. */
@Entity('demo_account')
export class DemoAccountEntity {
  @PrimaryColumn('varchar', { length: 64 })
  id!: string;

  @Column('varchar', { length: 200 })
  name!: string;
}
