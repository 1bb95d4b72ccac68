import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Who a view is shown to: the partner groups, by id, whose members see it; none shows it to no one. */
export interface ViewAudience {
  partnerGroupIds: string[];
}

/**
 * A custom view of the portal (a page or menu entry at a path), defined by the platform and shown to the members
 * of the partner groups its audience names. The audience holds group ids, so renaming a group keeps its views.
 */
@Entity('views')
@Index('uq_views_platform_path', ['platformAccountId', 'pathKey'], { unique: true })
export class ViewEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The platform the view belongs to (the root account): paths are unique there. */
  @Column({ name: 'platform_account_id', type: 'varchar', length: 36 })
  platformAccountId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** Where the portal shows it, e.g. `/campaigns/gold`. */
  @Column({ type: 'varchar', length: 300 })
  path!: string;

  /** The path lowercased: `/Gold` and `/gold` are one path on either database. */
  @Column({ name: 'path_key', type: 'varchar', length: 300 })
  pathKey!: string;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description!: string | null;

  /** The view's place in the navigation: lower first, then by path. */
  @Column({ type: 'int' })
  position!: number;

  @Column({ type: 'simple-json' })
  audience!: ViewAudience;

  @Column({ name: 'created_by_user_id', type: 'varchar', length: 36 })
  createdByUserId!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
