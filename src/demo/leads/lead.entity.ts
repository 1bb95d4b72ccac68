import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Where a lead came from: a marketing activity, distributed by the supplier to a person, or registered by the partner. */
export type LeadSource = 'MARKETING' | 'DISTRIBUTED' | 'REGISTERED';
export type LeadStage = 'NEW' | 'CONTACTED' | 'QUALIFIED';

/** A sales lead of a partner account. */
@Entity('lead')
@Index(['accountId', 'source'])
export class LeadEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('varchar', { length: 64 })
  accountId!: string;

  @Column('varchar', { length: 200 })
  company!: string;

  @Column('varchar', { length: 200 })
  contactName!: string;

  @Column('varchar', { length: 20 })
  source!: LeadSource;

  @Column('varchar', { length: 20 })
  stage!: LeadStage;

  /** ISO date (yyyy-mm-dd). */
  @Column('varchar', { length: 10 })
  createdOn!: string;

  /** The Portico user the lead is assigned or distributed to. */
  @Column('varchar', { length: 64, nullable: true })
  @Index()
  assignedToUserId!: string | null;

  /**
   * The seed names the assignee by email (Portico's user ids are random); the first request a user makes binds
   * their id here from the context token.
   */
  @Column('varchar', { length: 200, nullable: true })
  assignedToEmail!: string | null;
}
