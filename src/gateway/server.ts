import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerOptionsWithGateway, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { randomUUID } from 'crypto';
import { GraphQLError } from 'graphql';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import pino, { type Logger } from 'pino';
import { ConfigError, loadPolicy, type PorticoConfig } from '../config';
import { RequestContext, type Services } from '../domain/context';
import { formatErrorWith } from '../graph/errors';
import { buildAccessControlSubgraph } from '../graph/schema';
import { AuthenticationError, loadOrCreateDevKeys, loadSigningKeys, TokenVerifier, type DevKeyPair } from '../identity';
import { loadOrCreateContextSigner } from '../identity/context-token';
import { PolicyEngine } from '../policy';
import { bootstrapPlatform } from '../storage/bootstrap';
import { Database } from '../storage/database';
import { seedDemoData } from '../storage/demo-data';
import { ContextTokens, gatewayContext, identityResolver } from './context';
import { ContextForwardingSubgraph, InProcessSubgraph } from './data-sources';
import { enforcingGateway } from './enforcement';
import { formatGatewayErrorWith } from './errors';
import { readAuthorizationRules } from './rules';
import { Playground } from './playground';
import { headerMapOf, readGraphQLBody, sendGraphQLResponse, sendInternalError, sendJson } from './http';
import { ACCESS_CONTROL_SUBGRAPH, loadSupergraph, supergraphSubgraphs } from './supergraph';

/** Where the gateway publishes the public keys of the context tokens it sends to subgraphs. */
export const CONTEXT_JWKS_PATH = '/.well-known/portico/context-jwks.json';

export interface Portico {
  url: string;
  services: Services;
  devKeys?: DevKeyPair;
  logger: Logger;
  stop(): Promise<void>;
}

/** Starts Portico: database and migrations, policy, platform bootstrap, demo data, the GraphQL endpoint. */
export async function startPortico(config: PorticoConfig, log: (line: string) => void = () => {}): Promise<Portico> {
  const logger = pino({ level: config.logLevel, redact: ['req.headers.authorization'] });
  const engine = new PolicyEngine(loadPolicy(config.policy));
  const db = await Database.open(config, log);
  let started = false;
  try {
    const platform = await bootstrapPlatform(db, engine, config.bootstrapEmail);
    if (config.seedDemo) {
      const seedStarted = Date.now();
      const seeded = await seedDemoData(db, engine.policy.name, platform, log);
      if (seeded > 0) log(`seeded ${seeded} demo accounts for the ${engine.policy.name} preset in ${Date.now() - seedStarted} ms`);
    }
    const devKeys = config.jwksUrl ? undefined : await loadOrCreateDevKeys(config.dataDir);
    const signingKeys = config.signingKey || !devKeys ? await loadSigningKeys(config.dataDir, config.signingKey) : devKeys;
    const verifier = new TokenVerifier({ jwksUrl: config.jwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience, devKeys, ownKeys: signingKeys });
    const services: Services = { config, db, engine, signingKeys };
    const { sdl: accessControlSdl, schema } = await buildAccessControlSubgraph();
    const production = config.environment === 'production';
    const development = config.environment === 'development';
    const signer = await loadOrCreateContextSigner(config.dataDir, config.contextSigningKey);
    const identities = identityResolver(services, verifier, signer);
    const supergraph = await loadSupergraph(config, accessControlSdl, log);

    const common: Omit<ApolloServerOptionsWithGateway<BaseContext>, 'gateway'> = {
      introspection: !production,
      includeStacktraceInErrorResponses: false,
      hideSchemaDetailsFromClientErrors: true,
      csrfPrevention: true,
      formatError: formatErrorWith(logger, development),
      // The playground is Portico's own (./playground), served from node_modules rather than Apollo's CDN.
      plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginLandingPageDisabled()],
    };
    let apollo: ApolloServer<BaseContext>;
    let contextOf: (caller: Awaited<ReturnType<typeof identities.resolve>>, requestId: string) => BaseContext;
    if (!supergraph) {
      // No downstream subgraph: the access-control graph alone, served directly.
      apollo = new ApolloServer<BaseContext>({ ...common, schema });
      contextOf = ({ principal }, requestId) => new RequestContext(services, requestId, principal) as unknown as BaseContext;
    } else {
      const { rules, gatewaySdl, warnings } = readAuthorizationRules(supergraph, engine);
      for (const warning of warnings) logger.warn(warning);
      const subgraphs = supergraphSubgraphs(supergraph);
      if (!subgraphs.has(ACCESS_CONTROL_SUBGRAPH)) throw new ConfigError('PORTICO_SUPERGRAPH', config.supergraphPath, `a supergraph that includes the ${ACCESS_CONTROL_SUBGRAPH} subgraph`);
      for (const { name } of config.subgraphs) {
        if (!subgraphs.has(name)) throw new ConfigError('PORTICO_SUBGRAPHS', config.subgraphs.map((s) => `${s.name}=${s.url}`).join(','), `subgraphs of the supergraph (${[...subgraphs.keys()].join(', ')})`);
      }
      const urls = new Map(config.subgraphs.map((s) => [s.name, s.url]));
      const anonymous = () => new RequestContext(services, 'gateway', null);
      const gateway = new ApolloGateway({
        supergraphSdl: gatewaySdl,
        logger,
        buildService: ({ name, url }) =>
          name === ACCESS_CONTROL_SUBGRAPH ? new InProcessSubgraph(schema, anonymous, formatErrorWith(logger, development)) : new ContextForwardingSubgraph({ url: urls.get(name) ?? url }),
      });
      apollo = new ApolloServer<BaseContext>({ ...common, gateway: enforcingGateway(gateway, rules, config.enforcement, logger), formatError: formatGatewayErrorWith(logger, development) });
      const tokens = new ContextTokens(signer);
      contextOf = ({ principal, scopes }, requestId) => gatewayContext(services, requestId, principal, scopes, tokens) as unknown as BaseContext;
      log(`gateway serving ${[...subgraphs.keys()].join(', ')}; enforcement ${config.enforcement}, ${rules.size} fields checked before planning`);
    }
    await apollo.start();

    const contextFor = async (req: IncomingMessage, requestId: string): Promise<BaseContext> => {
      try {
        return contextOf(await identities.resolve(req, requestId), requestId);
      } catch (error) {
        if (error instanceof AuthenticationError) {
          throw new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
        throw error;
      }
    };

    const playground = new Playground({ services, devKeys, graphqlPath: '/graphql' });
    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (await playground.handle(req, res, url)) return;
      if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (url.pathname === CONTEXT_JWKS_PATH) return sendJson(res, 200, signer.jwks());
      if (url.pathname === '/readyz') {
        const ready = await db.ping();
        return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'database unreachable' });
      }
      if (url.pathname !== '/graphql' && url.pathname !== '/') return sendJson(res, 404, { error: 'not found' });
      const requestId = (typeof req.headers['x-request-id'] === 'string' && /^[\w-]{1,64}$/.test(req.headers['x-request-id']) ? req.headers['x-request-id'] : undefined) ?? randomUUID();
      const read = await readGraphQLBody(req, res);
      if (!read) return;
      const { body } = read;
      const headers = headerMapOf(req);
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
        context: () => contextFor(req, requestId),
      });
      await sendGraphQLResponse(res, response, { 'x-request-id': requestId });
    };

    const server: Server = createServer((req, res) => {
      handle(req, res).catch((error) => {
        logger.error({ err: error }, 'request failed');
        sendInternalError(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(config.port, '0.0.0.0', resolve));
    const { port } = server.address() as AddressInfo;
    started = true;
    return {
      url: `http://127.0.0.1:${port}/graphql`,
      services,
      devKeys,
      logger,
      async stop() {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await apollo.stop();
        await db.close();
      },
    };
  } finally {
    // A start that fails (a supergraph Portico cannot enforce, a subgraph that is down) leaves nothing open.
    if (!started) await db.close();
  }
}
