import { randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import { anyOf, type PorticoViewer } from 'portico-kit';
import type { DemoContext, DemoDefinition, DemoServices } from '../server';
import { InvoiceEntity, type InvoiceStatus } from './invoice.entity';
import { OfferEntity } from './offer.entity';

// Either permission shows the retail price: a Billing Manager through offers:read, a Technical Manager through
// offers:readRetailPrice.
const RETAIL_PRICE = anyOf('offers:read', 'offers:readRetailPrice');

const typeDefs = /* GraphQL */ `
type Query {
  "The marketplace catalog. Prices show as the viewer's rights on their own account allow."
  offers: [Offer!]! @authenticated
  offer(id: ID!): Offer @authenticated
  "The account's invoices, newest first."
  invoices(accountId: ID!): [Invoice!] @requiresPermission(permission: "invoices:read", account: "accountId")
}

"A product of the marketplace. Prices are checked on the viewer's own account."
type Offer @key(fields: "id") @authenticated {
  id: ID!
  name: String!
  vendor: String!
  edition: String!
  currency: String!
  "What the customer pays."
  retailPrice: Float @requiresPermission(permission: "${RETAIL_PRICE}")
  "What the marketplace suggests partners charge."
  suggestedRetailPrice: Float @requiresPermission(permission: "priceList:read")
  "What the partner pays."
  cost: Float @requiresPermission(permission: "priceList:read")
}

enum InvoiceStatus {
  OPEN
  PAID
  OVERDUE
}

type Invoice @key(fields: "id") @requiresPermission(permission: "invoices:read", account: "accountId") {
  id: ID!
  number: String!
  "yyyy-mm-dd"
  issuedOn: String!
  status: InvoiceStatus!
  currency: String!
  total: Float!
  accountId: ID!
  account: Account!
}

type Account @key(fields: "id") @authenticated {
  id: ID!
  invoices: [Invoice!] @requiresPermission(permission: "invoices:read", account: "id")
}
`;

const viewerOf = (ctx: DemoContext): PorticoViewer => ctx.portico!;

const offerView = (row: OfferEntity) => ({
  ...row,
  retailPrice: row.retailCents / 100,
  suggestedRetailPrice: row.suggestedRetailCents / 100,
  cost: row.costCents / 100,
});

const invoiceView = (row: InvoiceEntity) => ({ ...row, total: row.totalCents / 100, account: { id: row.accountId } });

function resolvers({ store, accounts }: DemoServices) {
  const invoices = async (ctx: DemoContext, accountId: string) => {
    await accounts.ensure(viewerOf(ctx), accountId);
    return (await store.manager.find(InvoiceEntity, { where: { accountId }, order: { issuedOn: 'DESC', number: 'DESC' } })).map(invoiceView);
  };
  return {
    Query: {
      offers: async () => (await store.manager.find(OfferEntity, { order: { name: 'ASC' } })).map(offerView),
      offer: async (_: unknown, { id }: { id: string }) => {
        const row = await store.manager.findOneBy(OfferEntity, { id });
        return row ? offerView(row) : null;
      },
      invoices: (_: unknown, { accountId }: { accountId: string }, ctx: DemoContext) => invoices(ctx, accountId),
    },
    Offer: {
      __resolveReference: async ({ id }: { id: string }) => {
        const row = await store.manager.findOneBy(OfferEntity, { id });
        return row ? offerView(row) : null;
      },
    },
    Invoice: {
      __resolveReference: async ({ id }: { id: string }) => {
        const row = await store.manager.findOneBy(InvoiceEntity, { id });
        return row ? invoiceView(row) : null;
      },
    },
    Account: {
      invoices: (account: { id: string }, _: unknown, ctx: DemoContext) => invoices(ctx, account.id),
    },
  };
}

type OfferSeed = [id: string, name: string, vendor: string, edition: string, cost: number, suggestedRetail: number, retail: number];
const CATALOG: OfferSeed[] = [
  ['offer-m365-bs', 'Microsoft 365 Business Standard', 'Microsoft', 'Monthly, per user', 1020, 1250, 1199],
  ['offer-dropbox-adv', 'Dropbox Business Advanced', 'Dropbox', 'Annual, per user', 1500, 2000, 1800],
  ['offer-zoom-pro', 'Zoom Workplace Pro', 'Zoom', 'Monthly, per license', 1100, 1499, 1399],
  ['offer-slack-pro', 'Slack Pro', 'Salesforce', 'Monthly, per user', 575, 875, 825],
];

type InvoiceSeed = [number: string, issuedOn: string, status: InvoiceStatus, total: number];
/** Invoices per account of the appdirect demo data. */
const INVOICES: Record<string, InvoiceSeed[]> = {
  'Northwind Cloud': [
    ['NWC-2026-11', '2026-11-01', 'OPEN', 1824300],
    ['NWC-2026-10', '2026-10-01', 'PAID', 1790150],
  ],
  'Acme Retail': [
    ['ACR-2026-11', '2026-11-01', 'OPEN', 59950],
    ['ACR-2026-10', '2026-10-01', 'PAID', 57550],
  ],
  'Eastside Dental': [['ESD-2026-11', '2026-11-01', 'OVERDUE', 13596]],
  Initech: [['INI-2026-11', '2026-11-01', 'OPEN', 41970]],
  'Fabrikam Client': [['FAC-2026-11', '2026-11-01', 'PAID', 8250]],
  'Umbrella Direct': [['UMB-2026-11', '2026-11-01', 'OPEN', 35970]],
};

async function seedInvoices(em: EntityManager, accountId: string, name: string): Promise<void> {
  for (const [number, issuedOn, status, totalCents] of INVOICES[name] ?? []) {
    await em.insert(InvoiceEntity, { id: randomUUID(), accountId, number, issuedOn, status, currency: 'USD', totalCents });
  }
}

/** appdirect: the offer catalog with field-level prices, and invoices (invoices:read). */
export const offersSubgraph: DemoDefinition = {
  name: 'offers',
  preset: 'appdirect',
  entities: [OfferEntity, InvoiceEntity],
  typeDefs,
  resolvers: resolvers as DemoDefinition['resolvers'],
  seeders: Object.fromEntries(Object.keys(INVOICES).map((name) => [name, seedInvoices])),
  async seedCatalog(em) {
    if ((await em.count(OfferEntity)) > 0) return;
    for (const [id, name, vendor, edition, costCents, suggestedRetailCents, retailCents] of CATALOG) {
      await em.insert(OfferEntity, { id, name, vendor, edition, currency: 'USD', costCents, suggestedRetailCents, retailCents });
    }
  },
};
