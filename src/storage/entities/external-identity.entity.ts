import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An identity provider's account `(issuer, subject)` linked to a Portico user, once: the only way a provider's token
 * names a user. A user has at most one link, and a link never moves to another user.
 */
@Entity('external_identities')
@Index('uq_external_identities_issuer_subject', ['issuer', 'subject'], { unique: true })
export class ExternalIdentityEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  issuer!: string;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  @Index('uq_external_identities_user', { unique: true })
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ name: 'linked_at', type: 'datetime', precision: 3 })
  linkedAt!: Date;
}
