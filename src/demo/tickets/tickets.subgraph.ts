import { randomUUID } from 'crypto';
import { GraphQLError } from 'graphql';
import type { EntityManager } from 'typeorm';
import type { PorticoViewer } from 'portico-kit';
import type { DemoContext, DemoDefinition, DemoServices } from '../server';
import { DeliveryEntity, type DeliveryStatus } from './delivery.entity';
import { TicketEntity, type TicketPriority, type TicketStatus } from './ticket.entity';

const typeDefs = /* GraphQL */ `
type Query {
  "The account's tickets, newest first."
  tickets(accountId: ID!, status: TicketStatus): [Ticket!] @requiresPermission(permission: "tickets:read", account: "accountId")
  "The ticket, or null when it does not exist or the viewer may not read its account's tickets."
  ticket(id: ID!): Ticket @authenticated
  "The account's deliveries, soonest first."
  deliveries(accountId: ID!): [Delivery!] @requiresPermission(permission: "deliveries:read", account: "accountId")
}

type Mutation {
  openTicket(input: OpenTicketInput!): Ticket @requiresPermission(permission: "tickets:create", account: "input.accountId")
  "Moves a delivery of the account to another day."
  rescheduleDelivery(input: RescheduleDeliveryInput!): Delivery @requiresPermission(permission: "deliveries:manage", account: "input.accountId")
}

input OpenTicketInput {
  accountId: ID!
  subject: String!
  priority: TicketPriority = NORMAL
}

input RescheduleDeliveryInput {
  accountId: ID!
  deliveryId: ID!
  "yyyy-mm-dd"
  scheduledFor: String!
}

enum TicketStatus {
  OPEN
  IN_PROGRESS
  RESOLVED
}

enum TicketPriority {
  LOW
  NORMAL
  HIGH
}

enum DeliveryStatus {
  SCHEDULED
  IN_TRANSIT
  DELIVERED
}

"A support ticket a customer raised with its provider."
type Ticket @key(fields: "id") @requiresPermission(permission: "tickets:read", account: "accountId") {
  id: ID!
  "T-1001"
  number: String!
  subject: String!
  status: TicketStatus!
  priority: TicketPriority!
  openedAt: String!
  accountId: ID!
  account: Account!
}

"Hardware or an installation on its way to a customer's site."
type Delivery @key(fields: "id") @requiresPermission(permission: "deliveries:read", account: "accountId") {
  id: ID!
  item: String!
  quantity: Int!
  status: DeliveryStatus!
  "yyyy-mm-dd"
  scheduledFor: String!
  site: String!
  accountId: ID!
  account: Account!
}

type Account @key(fields: "id") @authenticated {
  id: ID!
  tickets: [Ticket!] @requiresPermission(permission: "tickets:read", account: "id")
  deliveries: [Delivery!] @requiresPermission(permission: "deliveries:read", account: "id")
}
`;

const viewerOf = (ctx: DemoContext): PorticoViewer => ctx.portico!;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function ticketView(row: TicketEntity) {
  return { ...row, number: `T-${row.number}`, account: { id: row.accountId } };
}

function deliveryView(row: DeliveryEntity) {
  return { ...row, account: { id: row.accountId } };
}

function resolvers({ store, accounts }: DemoServices) {
  const tickets = async (ctx: DemoContext, accountId: string, status?: TicketStatus) => {
    await accounts.ensure(viewerOf(ctx), accountId);
    const rows = await store.manager.find(TicketEntity, { where: { accountId, ...(status ? { status } : {}) }, order: { number: 'DESC' } });
    return rows.map(ticketView);
  };
  const deliveries = async (ctx: DemoContext, accountId: string) => {
    await accounts.ensure(viewerOf(ctx), accountId);
    const rows = await store.manager.find(DeliveryEntity, { where: { accountId }, order: { scheduledFor: 'ASC', id: 'ASC' } });
    return rows.map(deliveryView);
  };
  return {
    Query: {
      tickets: (_: unknown, args: { accountId: string; status?: TicketStatus }, ctx: DemoContext) => tickets(ctx, args.accountId, args.status),
      ticket: async (_: unknown, { id }: { id: string }, ctx: DemoContext) => {
        const row = await store.manager.findOneBy(TicketEntity, { id });
        // A ticket of an account the viewer may not read reads as not found.
        if (!row || !(await viewerOf(ctx).can('tickets:read', row.accountId))) return null;
        return ticketView(row);
      },
      deliveries: (_: unknown, { accountId }: { accountId: string }, ctx: DemoContext) => deliveries(ctx, accountId),
    },
    Mutation: {
      openTicket: async (_: unknown, { input }: { input: { accountId: string; subject: string; priority: TicketPriority } }, ctx: DemoContext) => {
        const subject = input.subject.trim();
        if (subject === '' || subject.length > 200) throw new GraphQLError('subject must be 1 to 200 characters', { extensions: { code: 'BAD_USER_INPUT', field: 'subject' } });
        const viewer = viewerOf(ctx);
        await accounts.ensure(viewer, input.accountId);
        const row = await store.write(async (em) => {
          const last = await em.findOne(TicketEntity, { where: {}, order: { number: 'DESC' } });
          const ticket: TicketEntity = {
            id: randomUUID(),
            accountId: input.accountId,
            number: (last?.number ?? 1000) + 1,
            subject,
            status: 'OPEN',
            priority: input.priority,
            openedAt: new Date().toISOString(),
            openedByUserId: viewer.userId,
          };
          await em.insert(TicketEntity, ticket);
          return ticket;
        });
        return ticketView(row);
      },
      rescheduleDelivery: async (_: unknown, { input }: { input: { accountId: string; deliveryId: string; scheduledFor: string } }, ctx: DemoContext) => {
        if (!DAY.test(input.scheduledFor) || Number.isNaN(Date.parse(input.scheduledFor))) {
          throw new GraphQLError('scheduledFor must be a date, yyyy-mm-dd', { extensions: { code: 'BAD_USER_INPUT', field: 'scheduledFor' } });
        }
        await accounts.ensure(viewerOf(ctx), input.accountId);
        const row = await store.write(async (em) => {
          // The permission was checked on input.accountId: the delivery must be that account's, or it is not found.
          const delivery = await em.findOneBy(DeliveryEntity, { id: input.deliveryId, accountId: input.accountId });
          if (!delivery) return null;
          if (delivery.status === 'DELIVERED') throw new GraphQLError('a delivered delivery cannot be rescheduled', { extensions: { code: 'CONFLICT' } });
          delivery.scheduledFor = input.scheduledFor;
          await em.update(DeliveryEntity, { id: delivery.id }, { scheduledFor: delivery.scheduledFor });
          return delivery;
        });
        if (!row) throw new GraphQLError(`delivery ${input.deliveryId.slice(0, 64)} was not found`, { extensions: { code: 'NOT_FOUND' } });
        return deliveryView(row);
      },
    },
    Ticket: {
      __resolveReference: async ({ id }: { id: string }) => {
        const row = await store.manager.findOneBy(TicketEntity, { id });
        return row ? ticketView(row) : null;
      },
    },
    Delivery: {
      __resolveReference: async ({ id }: { id: string }) => {
        const row = await store.manager.findOneBy(DeliveryEntity, { id });
        return row ? deliveryView(row) : null;
      },
    },
    Account: {
      tickets: (account: { id: string }, _: unknown, ctx: DemoContext) => tickets(ctx, account.id),
      deliveries: (account: { id: string }, _: unknown, ctx: DemoContext) => deliveries(ctx, account.id),
    },
  };
}

type TicketSeed = [subject: string, status: TicketStatus, priority: TicketPriority, openedAt: string];
type DeliverySeed = [item: string, quantity: number, status: DeliveryStatus, scheduledFor: string, site: string];

/** Seed rows per customer of the dstny demo data. */
const SEED: Record<string, { tickets: TicketSeed[]; deliveries: DeliverySeed[] }> = {
  'Acme Logistics': {
    tickets: [
      ['No dial tone at the Rotterdam depot', 'OPEN', 'HIGH', '2026-11-20T08:14:00Z'],
      ['Add five extensions for the new warehouse team', 'IN_PROGRESS', 'NORMAL', '2026-11-12T13:02:00Z'],
      ['Voicemail greeting in Dutch and English', 'RESOLVED', 'LOW', '2026-10-03T09:45:00Z'],
    ],
    deliveries: [
      ['Yealink T54W desk phone', 20, 'SCHEDULED', '2026-12-02', 'Rotterdam depot'],
      ['Fibre installation', 1, 'IN_TRANSIT', '2026-11-27', 'Rotterdam depot'],
      ['Jabra Evolve2 65 headset', 12, 'DELIVERED', '2026-11-04', 'Utrecht office'],
    ],
  },
  Globex: {
    tickets: [['Call recording missing since Monday', 'OPEN', 'NORMAL', '2026-11-18T10:30:00Z']],
    deliveries: [['Poly Trio C60 conference phone', 2, 'SCHEDULED', '2026-12-09', 'Globex HQ']],
  },
  Initech: {
    tickets: [['Port 12 numbers from the old provider', 'IN_PROGRESS', 'HIGH', '2026-11-15T15:20:00Z']],
    deliveries: [],
  },
  'Umbrella Direct': {
    tickets: [['Invoice address change', 'OPEN', 'LOW', '2026-11-21T11:00:00Z']],
    deliveries: [['SIP trunk activation', 1, 'SCHEDULED', '2026-11-30', 'Umbrella Direct, Antwerp']],
  },
};

async function seedAccount(em: EntityManager, accountId: string, name: string): Promise<void> {
  const seed = SEED[name];
  if (!seed) return;
  const last = await em.findOne(TicketEntity, { where: {}, order: { number: 'DESC' } });
  let number = last?.number ?? 1000;
  for (const [subject, status, priority, openedAt] of seed.tickets) {
    await em.insert(TicketEntity, { id: randomUUID(), accountId, number: ++number, subject, status, priority, openedAt, openedByUserId: null });
  }
  for (const [item, quantity, status, scheduledFor, site] of seed.deliveries) {
    await em.insert(DeliveryEntity, { id: randomUUID(), accountId, item, quantity, status, scheduledFor, site });
  }
}

/** dstny: tickets (tickets:read / tickets:create) and deliveries (deliveries:read / deliveries:manage). */
export const ticketsSubgraph: DemoDefinition = {
  name: 'tickets',
  preset: 'dstny',
  entities: [TicketEntity, DeliveryEntity],
  typeDefs,
  resolvers: resolvers as DemoDefinition['resolvers'],
  seeders: Object.fromEntries(Object.keys(SEED).map((name) => [name, seedAccount])),
};
