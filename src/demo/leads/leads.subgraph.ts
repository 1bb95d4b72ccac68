import { randomUUID } from 'crypto';
import { In, IsNull, type EntityManager } from 'typeorm';
import type { PorticoViewer } from 'portico-kit';
import type { DemoContext, DemoDefinition, DemoServices } from '../server';
import { CampaignAssetEntity, type CampaignAssetKind } from './campaign-asset.entity';
import { LeadEntity, type LeadSource, type LeadStage } from './lead.entity';
import { leadInScope, whereLeadScope } from './lead-scope';

const typeDefs = /* GraphQL */ `
type Query {
  """
  The account's leads that the viewer's leads:read scope covers, newest first: all of them; or (distributed) those
  from marketing activities and those distributed to the viewer; or (assigned) those assigned to the viewer.
  Registered leads need the scope all.
  """
  leads(accountId: ID!): [Lead!] @requiresPermission(permission: "leads:read", account: "accountId")
  "The lead, or null when it does not exist or the viewer's scope does not cover it."
  lead(id: ID!): Lead @authenticated
  """
  Campaign content from the supplier, in title order: what every partner sees, and the custom views of the partner
  groups the viewer belongs to, by the group ids of the context token (those who manage partner groups see every view).
  """
  campaignAssets: [CampaignAsset!]! @requiresPermission(permission: "content:read")
}

enum CampaignAssetKind {
  PLAYBOOK
  BANNER
  EMAIL_TEMPLATE
  VIDEO
}

"Supplier content for partners' campaigns."
type CampaignAsset @authenticated {
  id: ID!
  title: String!
  kind: CampaignAssetKind!
  "The id of the partner group whose custom view it belongs to; null for content every partner sees."
  partnerGroupId: ID
}

enum LeadSource {
  MARKETING
  DISTRIBUTED
  REGISTERED
}

enum LeadStage {
  NEW
  CONTACTED
  QUALIFIED
}

"A sales lead of a partner account."
type Lead @key(fields: "id") @requiresPermission(permission: "leads:read", account: "accountId") {
  id: ID!
  company: String!
  contactName: String!
  source: LeadSource!
  stage: LeadStage!
  "yyyy-mm-dd"
  createdOn: String!
  accountId: ID!
  account: Account!
  "Who the lead is assigned or distributed to."
  assignedTo: User
}

type User @key(fields: "id", resolvable: false) @authenticated {
  id: ID!
}

type Account @key(fields: "id") @authenticated {
  id: ID!
  leads: [Lead!] @requiresPermission(permission: "leads:read", account: "id")
}
`;

const viewerOf = (ctx: DemoContext): PorticoViewer => ctx.portico!;

const leadView = (row: LeadEntity) => ({ ...row, account: { id: row.accountId }, assignedTo: row.assignedToUserId ? { id: row.assignedToUserId } : null });

function resolvers({ store, accounts }: DemoServices) {
  /** Binds the seed's assignments (by email) to the viewer's user id; a no-op once they are bound. */
  const claimAssignments = async (viewer: PorticoViewer) => {
    if (!viewer.email) return;
    const email = viewer.email.toLowerCase();
    if (!(await store.manager.existsBy(LeadEntity, { assignedToEmail: email, assignedToUserId: IsNull() }))) return;
    await store.write((em) => em.update(LeadEntity, { assignedToEmail: email, assignedToUserId: IsNull() }, { assignedToUserId: viewer.userId }));
  };

  const leads = async (ctx: DemoContext, accountId: string) => {
    const viewer = viewerOf(ctx);
    const [scope] = await Promise.all([viewer.scopeFor('leads:read', accountId), accounts.ensure(viewer, accountId).then(() => claimAssignments(viewer))]);
    if (scope === null) return [];
    const query = store.manager.createQueryBuilder(LeadEntity, 'lead').where('lead.accountId = :accountId', { accountId });
    const rows = await whereLeadScope(query, 'lead', scope, viewer.userId).orderBy('lead.createdOn', 'DESC').addOrderBy('lead.company', 'ASC').getMany();
    return rows.map(leadView);
  };

  /** One lead, only if the viewer's scope on its account covers it: the same rule for `lead(id)` and `_entities`. */
  const oneLead = async (ctx: DemoContext, id: string) => {
    const viewer = viewerOf(ctx);
    await claimAssignments(viewer);
    const row = await store.manager.findOneBy(LeadEntity, { id });
    if (!row || !leadInScope(row, await viewer.scopeFor('leads:read', row.accountId), viewer.userId)) return null;
    return leadView(row);
  };

  /** A custom view: the rows of no group, and those of the viewer's groups, by the ids the context token names. */
  const campaignAssets = async (ctx: DemoContext) => {
    const viewer = viewerOf(ctx);
    const order = { title: 'ASC' as const };
    if (await viewer.can('partnerGroups:manage')) return store.manager.find(CampaignAssetEntity, { order });
    const groups = [...viewer.partnerGroupIds];
    const everyone = { partnerGroupId: IsNull(), seedGroupName: IsNull() };
    return store.manager.find(CampaignAssetEntity, { where: [everyone, ...(groups.length > 0 ? [{ partnerGroupId: In(groups) }] : [])], order });
  };

  return {
    Query: {
      leads: (_: unknown, { accountId }: { accountId: string }, ctx: DemoContext) => leads(ctx, accountId),
      lead: (_: unknown, { id }: { id: string }, ctx: DemoContext) => oneLead(ctx, id),
      campaignAssets: (_: unknown, __: unknown, ctx: DemoContext) => campaignAssets(ctx),
    },
    Lead: {
      __resolveReference: ({ id }: { id: string }, ctx: DemoContext) => oneLead(ctx, id),
    },
    Account: {
      leads: (account: { id: string }, _: unknown, ctx: DemoContext) => leads(ctx, account.id),
    },
  };
}

type LeadSeed = [company: string, contactName: string, source: LeadSource, stage: LeadStage, createdOn: string, assignedToEmail: string | null];
/** Leads per partner of the unifyr demo data. */
const SEED: Record<string, LeadSeed[]> = {
  'Northwind Solutions': [
    ['Fabrikam Inc.', 'Dana Fabrikam', 'MARKETING', 'NEW', '2026-11-19', null],
    ['Tailspin Toys', 'Tom Tailspin', 'DISTRIBUTED', 'CONTACTED', '2026-11-17', 'sales@northwind.example'],
    ['Wingtip Toys', 'Wendy Wingtip', 'DISTRIBUTED', 'NEW', '2026-11-16', 'marketing@northwind.example'],
    ['Litware', 'Lars Litware', 'REGISTERED', 'QUALIFIED', '2026-11-10', 'sales@northwind.example'],
    ['Proseware', 'Paula Proseware', 'REGISTERED', 'NEW', '2026-11-08', null],
    ['Adventure Works', 'Alan Adventure', 'DISTRIBUTED', 'CONTACTED', '2026-11-05', 'rep@northwind.example'],
  ],
  'Contoso Resellers': [
    ['Woodgrove Bank', 'Will Woodgrove', 'MARKETING', 'NEW', '2026-11-18', null],
    ['Coho Winery', 'Cora Coho', 'DISTRIBUTED', 'CONTACTED', '2026-11-14', 'sales@contoso.example'],
    ['Lucerne Publishing', 'Luc Lucerne', 'REGISTERED', 'QUALIFIED', '2026-11-12', 'sales@contoso.example'],
    ["Margie's Travel", 'Margie Travel', 'DISTRIBUTED', 'NEW', '2026-11-02', 'admin@contoso.example'],
  ],
};

/**
 * The supplier's campaign content: one asset for the demo's Gold partners group alone (src/storage/demo-data.ts),
 * named here and bound to the group's id when whoever runs the subgraph beside Portico binds the groups.
 */
const ASSETS: Array<[title: string, kind: CampaignAssetKind, seedGroupName: string | null]> = [
  ['Partner onboarding playbook', 'PLAYBOOK', null],
  ['Winter promotion banner set', 'BANNER', null],
  ['Gold co-marketing campaign kit', 'EMAIL_TEMPLATE', 'Gold partners'],
];

async function seedLeads(em: EntityManager, accountId: string, name: string): Promise<void> {
  for (const [company, contactName, source, stage, createdOn, assignedToEmail] of SEED[name] ?? []) {
    await em.insert(LeadEntity, { id: randomUUID(), accountId, company, contactName, source, stage, createdOn, assignedToUserId: null, assignedToEmail });
  }
}

/** unifyr: leads filtered by the viewer's leads:read scope, and campaign content filtered by partner group. */
export const leadsSubgraph: DemoDefinition = {
  name: 'leads',
  preset: 'unifyr',
  entities: [LeadEntity, CampaignAssetEntity],
  typeDefs,
  resolvers: resolvers as DemoDefinition['resolvers'],
  seeders: Object.fromEntries(Object.keys(SEED).map((name) => [name, seedLeads])),
  async seedCatalog(em) {
    if ((await em.count(CampaignAssetEntity)) > 0) return;
    for (const [title, kind, seedGroupName] of ASSETS) await em.insert(CampaignAssetEntity, { id: randomUUID(), title, kind, partnerGroupId: null, seedGroupName });
  },
  async bindPartnerGroups(em, groups) {
    for (const [name, id] of Object.entries(groups)) await em.update(CampaignAssetEntity, { seedGroupName: name, partnerGroupId: IsNull() }, { partnerGroupId: id, seedGroupName: null });
  },
};
