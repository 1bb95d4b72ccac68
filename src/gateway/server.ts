import { ApolloServer, type ApolloServerOptionsWithGateway, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { randomUUID, timingSafeEqual } from 'crypto';
import { GraphQLError } from 'graphql';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import pino, { type DestinationStream, type Logger } from 'pino';
import { assertProductionAuditKey, assertProductionIdentity, assertProductionSecrets, ConfigError, loadPolicy, PRESETS, type PorticoConfig } from '../config';
import { RequestContext, type Services } from '../domain/context';
import type { Principal } from '../domain/principal';
import { rolesUnknownTo } from '../domain/roles';
import { WebhookDispatcher } from '../domain/webhook-dispatcher';
import { LifecycleScheduler, type Clock } from '../domain/lifecycle-scheduler';
import { AuditCheckpointer } from '../domain/audit-checkpointer';
import { formatErrorWith } from '../graph/errors';
import { buildAccessControlSubgraph } from '../graph/schema';
import { AuthenticationError, loadOrCreateDevKeys, loadSigningKeys, TokenVerifier, type DevKeyPair } from '../identity';
import { CONTEXT_HEADER, loadOrCreateContextSigner } from '../identity/context-token';
import { PolicyEngine } from '../policy';
import { bootstrapPlatform } from '../storage/bootstrap';
import { isConnectionError } from '../storage/availability';
import { Database } from '../storage/database';
import { seedDemoData } from '../storage/demo-data';
import { loadOrCreateSecretsKey, SecretBox } from '../storage/secret-box';
import { ContextTokens, contextTokenLimits, gatewayContext, identityResolver, mutationsDropHeldRights, PrincipalsInFlight, type GatewayContext } from './context';
import { federatedGateway } from './federation';
import { SubgraphHttpClient, subgraphTransport } from './subgraph-transport';
import { enforcingGateway } from './enforcement';
import { formatGatewayErrorWith } from './errors';
import { readAuthorizationRules } from './rules';
import { PorticoMetrics, RequestObserver, type RequestRecord } from './observability';
import { Playground } from './playground';
import { declaredRequirements, perIdentityIntrospection, type RequirementsOf } from './introspection';
import { AUDIT_EXPORT_PATH, exportAuditTrail } from './audit-export';
import { headerMapOf, keepConnectionsAlive, readGraphQLBody, sendGraphQLResponse, sendInternalError, sendJson } from 'portico-kit/http';
import { operationLimits, TIMEOUT_RESPONSE, withinDeadline } from './limits';
import { DecisionCalls } from './decision-calls';
import { ACCESS_CONTROL_SUBGRAPH, loadSupergraph, supergraphSubgraphs } from './supergraph';

/** A client's x-request-id kept as its clientRequestId: anything else is not logged. */
const REQUEST_ID = /^[\w-]{1,64}$/;

/** Where the gateway publishes the public keys of the context tokens it sends to subgraphs. */
export const CONTEXT_JWKS_PATH = '/.well-known/portico/context-jwks.json';

export interface Portico {
  url: string;
  services: Services;
  devKeys?: DevKeyPair;
  logger: Logger;
  /** Prometheus metrics, when `PORTICO_METRICS` is on. */
  metrics?: PorticoMetrics;
  /** Sends the outbox to webhooks, when `PORTICO_WEBHOOK_DELIVERY` is on. */
  webhooks?: WebhookDispatcher;
  /** Expiries, expiry warnings and renewals, when `PORTICO_SCHEDULER_INTERVAL_MS` is not 0. */
  scheduler?: LifecycleScheduler;
  /** Resolves once the sampled decisions of the requests answered so far are written (they are written after the response). */
  decisionsWritten(): Promise<void>;
  /** Signs audit checkpoints outside the database, when `PORTICO_AUDIT_CHECKPOINT_INTERVAL_MS` is not 0. */
  checkpointer?: AuditCheckpointer;
  stop(): Promise<void>;
}

export interface PorticoStartOptions {
  /** Where the log lines go. @default standard output */
  logDestination?: DestinationStream;
  /** Where the lifecycle scheduler reads the time. @default the system clock */
  clock?: Clock;
}

/** The access-control context of a request, whichever graph serves it: the access-control graph alone, or the gateway. */
const requestContextOf = (context: BaseContext): RequestContext | null => (context instanceof RequestContext ? context : ((context as GatewayContext).portico ?? null));
/** The caller of a request, whichever graph serves it. */
const principalOf = (context: BaseContext): Principal | null => requestContextOf(context)?.principal ?? null;
/** The scopes of the caller's token: only the gateway reads them (the access-control graph declares none). */
const scopesOfContext = (context: BaseContext): ReadonlySet<string> => (context instanceof RequestContext ? new Set() : ((context as GatewayContext).scopes ?? new Set()));

/**
 * Who may read `/metrics` on the main port: with PORTICO_METRICS_TOKEN, its bearer only; without one, anyone
 * outside production and nobody in production (the page does not exist there).
 */
export function metricsAccess(config: Pick<PorticoConfig, 'environment' | 'metricsToken'>, authorization: string | undefined): 'open' | 'refused' | 'hidden' {
  if (config.metricsToken === undefined) return config.environment === 'production' ? 'hidden' : 'open';
  const presented = Buffer.from(/^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '');
  const expected = Buffer.from(config.metricsToken);
  return presented.length === expected.length && timingSafeEqual(presented, expected) ? 'open' : 'refused';
}

async function sendMetrics(res: ServerResponse, metrics: PorticoMetrics): Promise<void> {
  res.writeHead(200, { 'content-type': metrics.registry.contentType });
  res.end(await metrics.registry.metrics());
}

/**
 * A database made under another policy holds roles this one does not define: its users would hold no permission,
 * silently. Refused, naming the preset that does define them when one does.
 */
async function assertPolicyFitsDatabase(db: Database, engine: PolicyEngine, config: PorticoConfig): Promise<void> {
  const unknown = await rolesUnknownTo(db.manager, engine);
  if (unknown.length === 0) return;
  const fitting = PRESETS.filter((preset) => preset !== engine.policy.name).find((preset) => unknown.every((key) => loadPolicy(preset).roles.has(key)));
  const shown = unknown.slice(0, 3).join(', ') + (unknown.length > 3 ? `, and ${unknown.length - 3} more` : '');
  const where = config.databaseUrl ? 'the DATABASE_URL database' : config.dataDir;
  throw new ConfigError(
    'PORTICO_POLICY',
    config.policy,
    `the policy ${where} was made with${fitting ? ` (${fitting})` : ''}: it holds roles ${engine.policy.name} does not define (${shown}); start with that policy, or another PORTICO_DATA_DIR`,
  );
}

/** Starts Portico: database and migrations, policy, platform bootstrap, demo data, the GraphQL endpoint. */
export async function startPortico(config: PorticoConfig, log: (line: string) => void = () => {}, options: PorticoStartOptions = {}): Promise<Portico> {
  assertProductionIdentity(config);
  assertProductionAuditKey(config);
  assertProductionSecrets(config);
  const logger = pino({ level: config.logLevel, redact: ['req.headers.authorization'] }, options.logDestination);
  const engine = new PolicyEngine(loadPolicy(config.policy));
  const db = await Database.open(config, log);
  let started = false;
  // What a start opened, closed in reverse if the start fails (a port in use, a subgraph that is down).
  const opened: Array<() => Promise<void> | void> = [];
  db.availability.onChange((available, { reason, downForMs }) =>
    available ? logger.info({ downForMs }, 'database available again') : logger.error({ reason }, 'database unavailable: requests needing it are refused until it answers'),
  );
  if (db.auditKeyFile) {
    logger.warn({ file: db.auditKeyFile }, 'PORTICO_AUDIT_KEY is unset: the audit trail is keyed with a key created in the data directory, which whoever can read it could rewrite the trail with; set PORTICO_AUDIT_KEY, kept away from the database, in production');
  }
  const metrics = config.metrics ? new PorticoMetrics(db.availability) : undefined;
  const observer = new RequestObserver(logger, metrics);
  try {
    const platform = await bootstrapPlatform(db, engine, config.bootstrapEmail);
    await assertPolicyFitsDatabase(db, engine, config);
    // Demo users have known emails: never in production, whatever the configuration object says.
    if (config.seedDemo && config.environment !== 'production') {
      const seedStarted = Date.now();
      const seeded = await seedDemoData(db, engine.policy.name, platform, log);
      if (seeded > 0) log(`seeded ${seeded} demo accounts for the ${engine.policy.name} preset in ${Date.now() - seedStarted} ms`);
    } else if (config.environment !== 'production') {
      log(`demo data: not seeded (PORTICO_SEED_DEMO=true seeds the ${engine.policy.name} preset's demo tenants into an empty database)`);
    }
    const devKeys = config.jwksUrl ? undefined : await loadOrCreateDevKeys(config.dataDir);
    const signingKeys = config.signingKey || !devKeys ? await loadSigningKeys(config.dataDir, config.signingKey) : devKeys;
    const verifier = new TokenVerifier({ jwksUrl: config.jwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience, devKeys, ownKeys: signingKeys });
    const secretsKey = loadOrCreateSecretsKey(config.dataDir, config.secretsKey);
    if (secretsKey.fromDataDir) logger.warn({ dataDir: config.dataDir }, 'secret settings are encrypted with a development key kept in the data directory: set PORTICO_SECRETS_KEY');
    const services: Services = { config, db, engine, signingKeys, secrets: new SecretBox(secretsKey.key) };
    const { sdl: accessControlSdl, schema } = await buildAccessControlSubgraph();
    const development = config.environment === 'development';
    const signer = await loadOrCreateContextSigner(config.dataDir, config.contextSigningKey);
    const inFlight = new PrincipalsInFlight();
    const contextTokens = new ContextTokens(signer);
    const supergraph = await loadSupergraph(config, accessControlSdl, log);
    // The subgraphs Portico signs context tokens for (the access-control graph runs in-process and gets none): the
    // only audiences a context token sent back may name.
    const tokenHolders = supergraph ? [...supergraphSubgraphs(supergraph).keys()].filter((name) => name !== ACCESS_CONTROL_SUBGRAPH) : [];
    const identities = identityResolver(services, verifier, signer, tokenHolders, inFlight);

    const common: Omit<ApolloServerOptionsWithGateway<BaseContext>, 'gateway'> = {
      introspection: config.introspection !== 'off',
      includeStacktraceInErrorResponses: false,
      hideSchemaDetailsFromClientErrors: true,
      csrfPrevention: true,
      formatError: formatErrorWith(logger, development),
      // The playground is Portico's own (./playground), served from node_modules rather than Apollo's CDN.
      plugins: [observer.plugin(), contextTokenLimits(principalOf), mutationsDropHeldRights(), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginLandingPageDisabled()],
    };
    const limits = operationLimits(config);
    Object.assign(common, { validationRules: limits.validationRules, parseOptions: limits.parseOptions, allowBatchedHttpRequests: false, plugins: [...limits.plugins, ...(common.plugins ?? [])] });
    let apollo: ApolloServer<BaseContext>;
    let subgraphClient: SubgraphHttpClient | undefined;
    type ContextOf = (caller: Awaited<ReturnType<typeof identities.resolve>>, requestId: string, dropHeld: () => void) => BaseContext;
    let contextOf: ContextOf;
    const accessControlContext: ContextOf = ({ principal }, requestId) => new RequestContext(services, requestId, principal) as unknown as BaseContext;
    // Behind a gateway: a subgraph's decision call (a context token asking authorize) served by the
    // access-control graph alone, without the gateway's planning and enforcement passes.
    let decisionCalls: { apollo: ApolloServer<BaseContext>; calls: DecisionCalls } | undefined;
    const schemaViews = (requirementsOf: RequirementsOf) =>
      config.introspection === 'per-identity' ? { plugins: [...(common.plugins ?? []), perIdentityIntrospection({ requestContextOf, scopesOf: scopesOfContext, requirementsOf })] } : {};
    if (!supergraph) {
      // No downstream subgraph: the access-control graph alone, served directly.
      apollo = new ApolloServer<BaseContext>({ ...common, ...schemaViews(declaredRequirements(schema)), schema });
      contextOf = accessControlContext;
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
      subgraphClient = new SubgraphHttpClient(config.subgraphTimeoutMs);
      const transport = subgraphTransport({ accessControlSchema: schema, anonymous, formatError: formatErrorWith(logger, development), urls, client: subgraphClient, logger });
      const gateway = federatedGateway({ supergraphSdl: gatewaySdl, transport });
      apollo = new ApolloServer<BaseContext>({ ...common, ...schemaViews((type, field) => rules.reachRules(type, field)), gateway: enforcingGateway(gateway, rules, config.enforcement, logger), formatError: formatGatewayErrorWith(logger, development) });
      contextOf = ({ principal, scopes }, requestId, dropHeld) => gatewayContext(services, requestId, principal, scopes, contextTokens, dropHeld) as unknown as BaseContext;
      decisionCalls = {
        apollo: new ApolloServer<BaseContext>({ ...common, schema }),
        calls: new DecisionCalls({ schema, validationRules: limits.validationRules, maxTokens: limits.parseOptions.maxTokens, refusalOf: limits.refusalOf }),
      };
      log(`gateway serving ${[...subgraphs.keys()].join(', ')}; enforcement ${config.enforcement}, ${rules.size} fields checked before planning`);
    }
    await apollo.start();
    opened.push(() => apollo.stop(), () => subgraphClient?.close());
    await decisionCalls?.apollo.start();
    opened.push(() => decisionCalls?.apollo.stop());

    const contextFor = async (req: IncomingMessage, record: RequestRecord, held: { release?: () => void }, contextOf: ContextOf): Promise<BaseContext> => {
      try {
        const caller = await identities.resolve(req, record.requestId);
        // A client's request: its subgraphs' decision calls reuse this principal until its response is written.
        if (caller.bearer && caller.principal) held.release = inFlight.hold(record.requestId, caller.principal, caller.scopes);
        const context = contextOf(caller, record.requestId, () => inFlight.drop(record.requestId));
        observer.attach(context, record);
        return context;
      } catch (error) {
        if (error instanceof AuthenticationError) {
          record.errorCodes = ['UNAUTHENTICATED'];
          throw new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
        if (isConnectionError(error)) {
          // Who is calling cannot be known without the database: refused as unavailable, never anonymous.
          record.errorCodes = ['SERVICE_UNAVAILABLE'];
          throw new GraphQLError('the database is unavailable', { originalError: error as Error, extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } } });
        }
        record.errorCodes = ['INTERNAL_SERVER_ERROR'];
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
        const ready = db.availability.available && (await db.ping());
        return sendJson(res, ready ? 200 : 503, ready ? { status: 'ready' } : { status: 'database unreachable', reason: db.availability.reason ?? 'no answer' });
      }
      if (url.pathname === '/metrics' && metrics && config.metricsPort === undefined) {
        const access = metricsAccess(config, req.headers.authorization);
        if (access === 'hidden') return sendJson(res, 404, { error: 'not found' });
        if (access === 'refused') return sendJson(res, 401, { error: 'metrics need the bearer token of PORTICO_METRICS_TOKEN' });
        return sendMetrics(res, metrics);
      }
      // The request id is made here, one per request. A client's own x-request-id is kept beside it for the logs
      // (clientRequestId) and keys nothing; only a subgraph's decision call, which sends back the id this gateway
      // gave the request it serves, is logged under that request while it is in flight here.
      const header = req.headers['x-request-id'];
      const clientRequestId = typeof header === 'string' && REQUEST_ID.test(header) ? header : undefined;
      const servesRequest = clientRequestId !== undefined && req.headers.authorization === undefined && typeof req.headers[CONTEXT_HEADER] === 'string' && inFlight.has(clientRequestId);
      const requestId = servesRequest ? clientRequestId : randomUUID();
      if (url.pathname === AUDIT_EXPORT_PATH) return exportAuditTrail(req, res, url, services, identities, requestId, logger);
      if (url.pathname !== '/graphql' && url.pathname !== '/') return sendJson(res, 404, { error: 'not found' });
      const read = await readGraphQLBody(req, res, config.maxBodyBytes);
      if (!read) return;
      const { body } = read;
      const headers = headerMapOf(req);
      const record = observer.begin(requestId, servesRequest ? undefined : clientRequestId);
      const held: { release?: () => void } = {};
      const timedOut = () => {
        logger.warn({ requestId, timeoutMs: config.requestTimeoutMs }, 'request stopped at its deadline');
        res.setHeader('x-request-id', requestId);
        sendJson(res, 504, TIMEOUT_RESPONSE);
        record.errorCodes.push('TIMEOUT');
        return observer.finish(record, 504);
      };
      const forwarded = req.headers[CONTEXT_HEADER];
      const decisions = decisionCalls !== undefined && req.method === 'POST' && req.headers.authorization === undefined && typeof forwarded === 'string' && forwarded !== '' && decisionCalls.calls.servedAlone(body) ? decisionCalls : undefined;
      if (decisions) {
        const attempt = decisions.calls.answer(body, () => contextFor(req, record, held, accessControlContext));
        const settled = await withinDeadline(attempt.then((answer) => ({ answer })), config.requestTimeoutMs);
        if (!settled) return timedOut();
        if (settled.answer) {
          record.operationName = settled.answer.operationName;
          record.operationType = 'query';
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId });
          res.end(settled.answer.body);
          return observer.finish(record, 200);
        }
      }
      const execution = (decisions?.apollo ?? apollo).executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
        context: () => contextFor(req, record, held, decisions ? accessControlContext : contextOf),
      });
      const response = await withinDeadline(execution, config.requestTimeoutMs).finally(() => held.release?.());
      if (!response) return timedOut();
      await sendGraphQLResponse(res, response, { 'x-request-id': requestId });
      observer.finish(record, response.status ?? 200);
    };

    const server: Server = createServer((req, res) => {
      handle(req, res).catch((error) => {
        logger.error({ err: error }, 'request failed');
        sendInternalError(res);
      });
    });
    keepConnectionsAlive(server);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.port, config.host, resolve));
    if (playground.startupLine) log(playground.startupLine);
    opened.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    // A separate port on loopback only: scrapers on the machine (or a sidecar) read it, nobody outside.
    const metricsServer = metrics && config.metricsPort !== undefined ? createServer((req, res) => void (new URL(req.url ?? '/', 'http://localhost').pathname === '/metrics' ? sendMetrics(res, metrics) : sendJson(res, 404, { error: 'not found' }))) : undefined;
    if (metricsServer) await new Promise<void>((resolve, reject) => metricsServer.once('error', reject).listen(config.metricsPort, '127.0.0.1', resolve));
    const webhooks = config.webhookDelivery ? new WebhookDispatcher(db, config, logger) : undefined;
    webhooks?.start();
    const scheduler = config.schedulerIntervalMs > 0 ? new LifecycleScheduler(db, config, logger, options.clock) : undefined;
    scheduler?.start();
    const checkpointer = config.auditCheckpointIntervalMs > 0 ? new AuditCheckpointer(db, config, logger) : undefined;
    checkpointer?.start();
    started = true;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return {
      url: `http://${host}:${port}/graphql`,
      services,
      devKeys,
      logger,
      metrics,
      webhooks,
      scheduler,
      decisionsWritten: () => observer.decisionsWritten(),
      checkpointer,
      async stop() {
        await scheduler?.stop();
        await checkpointer?.stop();
        await webhooks?.stop();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
        await apollo.stop();
        await decisionCalls?.apollo.stop();
        subgraphClient?.close();
        await observer.decisionsWritten();
        await db.close();
      },
    };
  } finally {
    // A start that fails (a supergraph Portico cannot enforce, a subgraph that is down) leaves nothing open.
    if (!started) {
      for (const close of opened.reverse()) await Promise.resolve(close()).catch(() => undefined);
      await db.close();
    }
  }
}
