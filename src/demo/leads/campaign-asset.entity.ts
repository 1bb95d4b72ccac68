import { Column, Entity, PrimaryColumn } from 'typeorm';

export type CampaignAssetKind = 'PLAYBOOK' | 'BANNER' | 'EMAIL_TEMPLATE' | 'VIDEO';

/** Supplier content for partners' campaigns; a custom view restricts an asset to one partner group, by its id. */
@Entity('campaign_asset')
export class CampaignAssetEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('varchar', { length: 200 })
  title!: string;

  @Column('varchar', { length: 20 })
  kind!: CampaignAssetKind;

  /** The id of the partner group the asset is shown to; null (with no seedGroupName) shows it to every partner. */
  @Column('varchar', { length: 36, nullable: true })
  partnerGroupId!: string | null;

  /**
   * The seed names the group (Portico's ids are random): the first time a member of it calls, the subgraph binds
   * its id here and clears the name. An asset not bound yet is shown to no partner.
   */
  @Column('varchar', { length: 200, nullable: true })
  seedGroupName!: string | null;
}
