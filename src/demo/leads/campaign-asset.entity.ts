import { Column, Entity, PrimaryColumn } from 'typeorm';

export type CampaignAssetKind = 'PLAYBOOK' | 'BANNER' | 'EMAIL_TEMPLATE' | 'VIDEO';

/** Supplier content for partners' campaigns; a custom view restricts an asset to one partner group. */
@Entity('campaign_asset')
export class CampaignAssetEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id!: string;

  @Column('varchar', { length: 200 })
  title!: string;

  @Column('varchar', { length: 20 })
  kind!: CampaignAssetKind;

  /** The partner group (by name) the asset is shown to; null shows it to every partner. */
  @Column('varchar', { length: 200, nullable: true })
  partnerGroup!: string | null;
}
