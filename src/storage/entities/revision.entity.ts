import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a revision counts: the writes to one shared set of rows every instance keeps a copy of. */
export type RevisionName = 'partner_groups';

/**
 * A counter raised in the same transaction as every write to the rows it names. Read in the statement that loads
 * a caller, it tells each instance, on every request, whether its copy of those rows is still current.
 */
@Entity('revisions')
export class RevisionEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: RevisionName;

  @Column({ type: 'int' })
  revision!: number;
}
