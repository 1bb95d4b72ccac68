import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, parse, type GraphQLFormattedError } from 'graphql';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { headerMapOf, keepConnectionsAlive, readGraphQLBody, sendGraphQLResponse, sendInternalError, sendJson } from 'portico-kit/http';
import { applyPorticoDirectives, buildSubgraphSchema, porticoKit, porticoSubgraphHeader, type PorticoContext, type SubgraphResolvers } from 'portico-kit';
import { AccountDirectory, type AccountSeeder } from './accounts';
import { DemoStore } from './store';

export type DemoSubgraphName = 'tickets' | 'offers' | 'leads';

export interface DemoSubgraphOptions {
  /** Loopback port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Portico's GraphQL endpoint, asked for decisions and row scopes. */
  porticoUrl: string;
  /** The gateway's context-signing keys: `<gateway>/.well-known/portico/context-jwks.json`. */
  contextJwksUrl: string;
  /** Keep the subgraph's SQLite file here (`demo-<name>.sqlite`); unset keeps it in memory. @default undefined */
  dataDir?: string;
  /** Demo account name → Portico account id, seeded at start; unset learns ids from Portico on first use. @default undefined */
  accounts?: Record<string, string>;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
}

export interface DemoSubgraph {
  name: string;
  url: string;
  /** GraphQL requests received, not counting the gateway's schema loads (`{ _service { sdl } }`). */
  requests(): number;
  /**
   * Seeds the named accounts now (a name → Portico account id map, as `accounts` at start): what one who runs
   * Portico beside the subgraph does once Portico has seeded its demo data.
   */
  bindAccounts(accounts: Readonly<Record<string, string>>): Promise<void>;
  /**
   * Binds rows the seed names by partner group to the groups' ids (a name → Portico partner group id map): group ids
   * are made by Portico, and a subgraph keys its rows to ids, never names.
   */
  bindPartnerGroups(groups: Readonly<Record<string, string>>): Promise<void>;
  stop(): Promise<void>;
  /** Stops as a crashed process would: every open connection dropped at once, requests in flight included. */
  kill(): Promise<void>;
}

/** What a demo subgraph's resolvers get besides the request context. */
export interface DemoServices {
  store: DemoStore;
  accounts: AccountDirectory;
}

export type DemoContext = PorticoContext;

/** One demo subgraph: its schema, resolvers, entities and seed. */
export interface DemoDefinition {
  name: DemoSubgraphName;
  /** The policy preset whose demo accounts and permissions it is written for. */
  preset: 'dstny' | 'appdirect' | 'unifyr';
  entities: Array<EntityTarget<ObjectLiteral>>;
  /** The schema below the header that links Portico's directives. */
  typeDefs: string;
  resolvers(services: DemoServices): SubgraphResolvers<DemoContext>;
  /** Rows per demo account name, written when the account is first bound. */
  seeders: Record<string, AccountSeeder>;
  /** Rows that belong to no account (a catalog), written once into an empty database. */
  seedCatalog?(em: EntityManager): Promise<void>;
  /** Binds the seed's rows named by partner group to the groups' ids. */
  bindPartnerGroups?(em: EntityManager, groups: Readonly<Record<string, string>>): Promise<void>;
}

export const sdlOf = (definition: DemoDefinition): string => porticoSubgraphHeader() + definition.typeDefs.trim() + '\n';

const SCHEMA_LOAD = /^\s*(query\b[^{]*)?\{\s*_service\s*\{\s*sdl\s*\}\s*\}\s*$/;
/** GraphQL's and the kit's errors keep their code and message; anything else (a database error, a bug) is masked. */
function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (unwrapResolverError(error) instanceof GraphQLError) return formatted;
  return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** Starts a demo subgraph: its storage and seed, the kit, and a GraphQL endpoint at `/graphql`. */
export async function serveDemoSubgraph(definition: DemoDefinition, options: DemoSubgraphOptions): Promise<DemoSubgraph> {
  const store = await DemoStore.open(definition.name, definition.entities, options.dataDir);
  const accounts = new AccountDirectory(store, definition.seeders);
  if (definition.seedCatalog) await store.write((em) => definition.seedCatalog!(em));
  if (options.accounts) await accounts.bindAll(options.accounts);

  const kit = porticoKit({ subgraph: definition.name, porticoUrl: options.porticoUrl, contextJwksUrl: options.contextJwksUrl });
  const schema = applyPorticoDirectives(buildSubgraphSchema({ typeDefs: parse(sdlOf(definition)), resolvers: definition.resolvers({ store, accounts }) }));
  const apollo = new ApolloServer<DemoContext>({
    schema,
    introspection: process.env.NODE_ENV !== 'production',
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: true,
    csrfPrevention: true,
    formatError,
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();

  let requests = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' || url.pathname === '/readyz') return sendJson(res, 200, { status: 'ok', subgraph: definition.name });
    if (url.pathname !== '/graphql' && url.pathname !== '/') return sendJson(res, 404, { error: 'not found' });
    const read = await readGraphQLBody(req, res);
    if (!read) return;
    const { body } = read;
    const query = (body as { query?: unknown } | undefined)?.query ?? url.searchParams.get('query');
    if (!(typeof query === 'string' && SCHEMA_LOAD.test(query))) requests += 1;
    const headers = headerMapOf(req);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
      context: () => kit.context(req),
    });
    await sendGraphQLResponse(res, response);
  };

  const server: Server = keepConnectionsAlive(
    createServer((req, res) => {
      handle(req, res).catch(() => sendInternalError(res));
    }),
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    name: definition.name,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/graphql`,
    requests: () => requests,
    bindAccounts: (named) => accounts.bindAll(named),
    bindPartnerGroups: async (named) => {
      if (definition.bindPartnerGroups) await store.write((em) => definition.bindPartnerGroups!(em, named));
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await apollo.stop();
      await store.close();
    },
    async kill() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await apollo.stop();
      await store.close();
    },
  };
}
