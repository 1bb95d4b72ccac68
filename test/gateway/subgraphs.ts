import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { IncomingHttpHeaders } from 'http';
import { parse } from 'graphql';

/** A subgraph started by a test: what it received, so a test can prove what the gateway sent or did not send. */
export interface TestSubgraph {
  name: string;
  url: string;
  sdl: string;
  /** Operations received since start (schema loads included) or since the last reset. */
  received: Array<{ query: string; headers: IncomingHttpHeaders }>;
  /** Operations received, without the gateway's schema loads. */
  operations(): Array<{ query: string; headers: IncomingHttpHeaders }>;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A fleet subgraph written the Portico way (its linked directive spec, shared with @composeDirective) that also
 * uses Apollo's @requiresScopes and @policy: every kind of rule the gateway enforces before planning.
 */
export const FLEET_SDL = `
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@requiresScopes", "@policy", "@composeDirective"])
  @link(url: "https://portico.dev/authz/v0.1", import: ["@authenticated", "@requiresPermission"])
  @composeDirective(name: "@authenticated")
  @composeDirective(name: "@requiresPermission")

directive @authenticated on FIELD_DEFINITION | OBJECT
directive @requiresPermission(permission: String!, account: String) on FIELD_DEFINITION | OBJECT

type Query {
  fleetStatus: String
  vehicles: [Vehicle!]! @authenticated
  vehicle(id: ID!): Vehicle @authenticated
  assets: [Asset!]! @authenticated
  fleetReport(accountId: ID!): String @requiresPermission(permission: "fleet:read", account: "accountId")
  telemetry: String @requiresScopes(scopes: [["fleet.read", "fleet.export"], ["fleet.admin"]])
}

type Mutation {
  renameVehicle(id: ID!, name: String!): Vehicle @requiresPermission(permission: "fleet:manage")
  orderService(name: String!): String @policy(policies: [["services:order"], ["tickets:create", "purchases:create"]])
}

union Asset = Vehicle | Phone

type Vehicle @key(fields: "id") @authenticated {
  id: ID!
  name: String!
  mileage: Int @requiresPermission(permission: "fleet:read")
  vin: String! @requiresPermission(permission: "fleet:read")
  invoiceTotal: Float @policy(policies: [["invoices:read"]])
}

type Phone @key(fields: "id") @authenticated {
  id: ID!
  number: String!
}
`;

const VEHICLES = [
  { id: 'v1', name: 'Van 1', mileage: 1200, vin: 'VIN-1', invoiceTotal: 99.5 },
  { id: 'v2', name: 'Van 2', mileage: 800, vin: 'VIN-2', invoiceTotal: 12 },
];

export const startFleetSubgraph = () =>
  startTestSubgraph('fleet', FLEET_SDL, {
    Query: {
      fleetStatus: () => 'operational',
      vehicles: () => VEHICLES,
      vehicle: (_: unknown, { id }: { id: string }) => VEHICLES.find((v) => v.id === id) ?? null,
      assets: () => [VEHICLES[0], { id: 'p1', number: '+32 2 555 0101' }, VEHICLES[1]],
      fleetReport: (_: unknown, { accountId }: { accountId: string }) => `report for ${accountId}`,
      telemetry: () => 'telemetry',
    },
    Mutation: {
      renameVehicle: (_: unknown, { id, name }: { id: string; name: string }) => ({ ...VEHICLES.find((v) => v.id === id)!, name }),
      orderService: (_: unknown, { name }: { name: string }) => `ordered ${name}`,
    },
    Asset: { __resolveType: (asset: { vin?: string }) => (asset.vin ? 'Vehicle' : 'Phone') },
    Vehicle: { __resolveReference: (ref: { id: string }) => VEHICLES.find((v) => v.id === ref.id) },
  });

/** A subgraph written for Apollo Router: only federation's own @authenticated and @requiresScopes. */
export const ROUTER_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated", "@requiresScopes"])

type Query {
  forecast: String @authenticated
  detailedForecast: String @requiresScopes(scopes: [["forecast:read"]])
}
`;

export const startRouterSubgraph = () =>
  startTestSubgraph('weather', ROUTER_SDL, { Query: { forecast: () => 'sunny', detailedForecast: () => 'sunny, 21°C, wind 3 Bft' } });

/** Starts a plain @apollo/subgraph on a loopback port, recording each request it receives (query text and headers). */
export async function startTestSubgraph(name: string, sdl: string, resolvers: Record<string, unknown>): Promise<TestSubgraph> {
  const received: TestSubgraph['received'] = [];
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never }),
    plugins: [
      {
        async requestDidStart({ request, contextValue }) {
          received.push({ query: request.query ?? '', headers: (contextValue as { headers: IncomingHttpHeaders }).headers });
        },
      },
    ],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' }, context: async ({ req }) => ({ headers: req.headers }) });
  return {
    name,
    url,
    sdl,
    received,
    operations: () => received.filter((r) => !r.query.includes('_service')),
    reset: () => void received.splice(0),
    stop: () => server.stop(),
  };
}
