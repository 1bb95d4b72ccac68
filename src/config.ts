import { existsSync, readFileSync } from 'fs';
import { isAbsolute, join, resolve } from 'path';
import { z } from 'zod';
import { parsePolicy, type CompiledPolicy } from './policy';

export const PRESETS = ['dstny', 'appdirect', 'unifyr'] as const;

/**
 * How the gateway applies the graph's authorization directives before planning: `filter` removes denied fields
 * (they read null with an error), `reject` fails the whole operation, `dry-run` only reports what would be denied,
 * `off` skips the gateway's checks (subgraphs still enforce their own; for benchmarks and diagnosis).
 */
export const ENFORCEMENT_MODES = ['filter', 'reject', 'dry-run', 'off'] as const;
export type EnforcementMode = (typeof ENFORCEMENT_MODES)[number];

/** A downstream subgraph the gateway composes: its name in the supergraph and its GraphQL URL. */
export interface SubgraphEndpoint {
  name: string;
  url: string;
}

/** A configuration value that cannot be used: names the variable, the value and what is accepted. */
export class ConfigError extends Error {
  constructor(variable: string, value: string | undefined, accepted: string) {
    super(`${variable}=${value === undefined ? '(unset)' : JSON.stringify(value)} is not valid: expected ${accepted}`);
    this.name = 'ConfigError';
  }
}

export interface PorticoConfig {
  /** HTTP port. `PORT` @default 4000 */
  port: number;
  /** Interface to listen on; `0.0.0.0` for every interface (the docker files set it). `HOST` @default "127.0.0.1" */
  host: string;
  /** Where the embedded database and the development signing key live. `PORTICO_DATA_DIR` @default "./data" */
  dataDir: string;
  /** `mysql://user:pass@host:port/db` for MySQL / MariaDB; unset means the embedded SQLite file. `DATABASE_URL` @default undefined */
  databaseUrl?: string;
  /**
   * How the embedded SQLite file syncs a commit: `FULL` makes every answered write survive power loss; `NORMAL`
   * survives a crash of Portico but may lose the last commits on power loss, for more writes per second.
   * `PORTICO_SQLITE_SYNCHRONOUS` @default "FULL"
   */
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** How long a write on the embedded file waits for another process's write to finish. `PORTICO_SQLITE_BUSY_TIMEOUT_MS` @default 5000 */
  sqliteBusyTimeoutMs: number;
  /** A preset name (dstny, appdirect, unifyr) or a path to a policy file. `PORTICO_POLICY` @default "dstny" */
  policy: string;
  /** Email of the platform operator created on first start. `PORTICO_BOOTSTRAP_EMAIL` @default "admin@platform.local" */
  bootstrapEmail: string;
  /** Seed demo data for the preset when the database is empty; never under NODE_ENV=production. `PORTICO_SEED_DEMO` @default true on the embedded database, false on MySQL */
  seedDemo: boolean;
  /** JWKS of the identity provider; unset means the local development key. `PORTICO_JWKS_URL` @default undefined */
  jwksUrl?: string;
  /** Expected `iss` of bearer tokens; required in production with a JWKS. `PORTICO_JWT_ISSUER` @default "portico-dev" with the development key, unchecked with a JWKS (which then links no identity) */
  jwtIssuer?: string;
  /** Expected `aud` of bearer tokens; required in production with a JWKS. `PORTICO_JWT_AUDIENCE` @default "portico" with the development key, unchecked with a JWKS (which then links no identity) */
  jwtAudience?: string;
  /**
   * Portico's own signing key (a private ES256 JWK, as JSON) for the impersonation tokens it issues; unset means the
   * key created under the data directory, which every instance sharing that directory uses. `PORTICO_SIGNING_KEY`
   * @default undefined
   */
  signingKey?: string;
  /** The longest an impersonation session lasts, in minutes; never longer than its grant. `PORTICO_IMPERSONATION_MAX_MINUTES` @default 60 */
  impersonationMaxMinutes: number;
  /** The largest `first` a list accepts. `PORTICO_MAX_PAGE_SIZE` @default 100 */
  maxPageSize: number;
  /** `NODE_ENV` @default "development" */
  environment: 'development' | 'production' | 'test';
  /** pino level. `LOG_LEVEL` @default "info" ("silent" under test) */
  logLevel: string;
  /**
   * Downstream subgraphs, `name=url,...`. Without a static supergraph they are composed at start from their
   * `_service { sdl }`; with one, they override the URLs it names. `PORTICO_SUBGRAPHS` @default [] (the access-control graph alone)
   */
  subgraphs: SubgraphEndpoint[];
  /** A supergraph SDL file (written by `npm run compose`) to serve instead of composing at start. `PORTICO_SUPERGRAPH` @default undefined */
  supergraphPath?: string;
  /** `PORTICO_ENFORCEMENT` @default "filter" */
  enforcement: EnforcementMode;
  /**
   * Private EC P-256 JWK (JSON) that signs the context tokens sent to subgraphs; give every gateway instance the
   * same one. Unset means a key created once under the data directory. `PORTICO_CONTEXT_SIGNING_KEY` @default undefined
   */
  contextSigningKey?: string;
  /** Deepest field nesting an operation may have (fragments counted by their fields). `PORTICO_MAX_DEPTH` @default 10 */
  maxDepth: number;
  /** Most aliases in one operation. `PORTICO_MAX_ALIASES` @default 15 */
  maxAliases: number;
  /** Most directives in one operation. `PORTICO_MAX_DIRECTIVES` @default 20 */
  maxDirectives: number;
  /** Most lexical tokens in one operation document. `PORTICO_MAX_TOKENS` @default 500 */
  maxTokens: number;
  /** Highest cost of an operation (graphql-armor's model; `first`/`last`/`limit` multiply a list). `PORTICO_MAX_COST` @default 100000 */
  maxCost: number;
  /** Largest request body, in bytes; a larger one is answered 413. `PORTICO_MAX_BODY_BYTES` @default 1000000 */
  maxBodyBytes: number;
  /** Time a request may take before it is stopped with a `TIMEOUT` error (HTTP 504). `PORTICO_REQUEST_TIMEOUT_MS` @default 10000 */
  requestTimeoutMs: number;
  /** Serve Prometheus metrics at `/metrics`. `PORTICO_METRICS` @default true */
  metrics: boolean;
  /**
   * Bearer token `/metrics` requires; in production without it (and without a metrics port) `/metrics` is not served.
   * `PORTICO_METRICS_TOKEN` @default undefined (open outside production)
   */
  metricsToken?: string;
  /** Serves `/metrics` on its own port on 127.0.0.1 instead, without a token. `PORTICO_METRICS_PORT` @default undefined */
  metricsPort?: number;
  /** How long the gateway waits for a downstream subgraph before its fields fail as unavailable. `PORTICO_SUBGRAPH_TIMEOUT_MS` @default 10000 */
  subgraphTimeoutMs: number;
  /**
   * Serves the GraphiQL playground at `/playground` and at `/graphql` for browsers, from the installed packages
   * (no CDN). Its sign-in helper exists only in development with the development key. `PORTICO_PLAYGROUND`
   * @default true, false when NODE_ENV=production
   */
  playground: boolean;
  /** Webhook URLs may name loopback, link-local and private addresses in production too. `PORTICO_WEBHOOK_ALLOW_PRIVATE` @default false */
  webhookAllowPrivate: boolean;
  /**
   * Seconds to wait before each delivery attempt of a webhook event, the first counted from the event; after the
   * last, the delivery is marked failed. `PORTICO_WEBHOOK_RETRY_SCHEDULE` @default "0,1,5,30,120,600,3600,21600"
   */
  webhookRetrySchedule: number[];
  /** Deliver webhook events from this process (every instance may; each delivery is claimed by one). `PORTICO_WEBHOOK_DELIVERY` @default true */
  webhookDelivery: boolean;
  /** How often the webhook dispatcher looks for due deliveries. `PORTICO_WEBHOOK_POLL_MS` @default 1000 */
  webhookPollMs: number;
  /**
   * Which authorization decisions get a log line of their own (who, permission, account, reason, request id):
   * none, the denied ones, or all of them. `PORTICO_DECISION_LOG` @default "off"
   */
  decisionLog: DecisionLogMode;
  /**
   * The share of requests whose denied decisions are stored in the `authorization_decisions` table, from 0 to 1.
   * `PORTICO_DECISION_SAMPLE_RATE` @default 1
   */
  decisionSampleRate: number;
  /** The share of requests whose allowed decisions are stored there too, from 0 to 1. `PORTICO_DECISION_SAMPLE_RATE_ALLOWED` @default 0 */
  decisionSampleRateAllowed: number;
  /**
   * How often this instance runs the lifecycle scheduler (expiries, expiry warnings, unanswered requests,
   * auto-extension); `0` or `off` runs none here. Each round runs on one instance at a time.
   * `PORTICO_SCHEDULER_INTERVAL_MS` @default 60000
   */
  schedulerIntervalMs: number;
  /** Days a PENDING delegation or impersonation request waits for an answer before it expires. `PORTICO_REQUEST_TTL_DAYS` @default 90 */
  requestTtlDays: number;
}

export const DECISION_LOG_MODES = ['off', 'denied', 'all'] as const;
export type DecisionLogMode = (typeof DECISION_LOG_MODES)[number];

export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [0, 1, 5, 30, 120, 600, 3600, 21600];

const retrySchedule = z
  .string()
  .transform((text) => text.split(',').map((part) => Number(part.trim())))
  .refine((seconds) => seconds.length >= 1 && seconds.length <= 20 && seconds.every((n) => Number.isFinite(n) && n >= 0 && n <= 7 * 86_400));

const SUBGRAPH_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Parses `name=url,name=url`; names are unique and may not be the access-control graph's own. */
function parseSubgraphs(value: string | undefined): SubgraphEndpoint[] {
  if (value === undefined || value.trim() === '') return [];
  const accepted = 'a comma-separated list of name=http(s)://url pairs with distinct names other than access-control';
  const endpoints = value.split(',').map((pair) => {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const url = pair.slice(at + 1).trim();
    if (at < 1 || !SUBGRAPH_NAME.test(name) || !z.url({ protocol: /^https?$/ }).safeParse(url).success) throw new ConfigError('PORTICO_SUBGRAPHS', value, accepted);
    return { name, url };
  });
  const names = endpoints.map((e) => e.name);
  if (new Set(names).size !== names.length || names.includes('access-control')) throw new ConfigError('PORTICO_SUBGRAPHS', value, accepted);
  return endpoints;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const booleanString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const privateJwk = z.string().refine((text) => {
  try {
    const jwk = JSON.parse(text) as Record<string, unknown>;
    return jwk.kty === 'EC' && jwk.crv === 'P-256' && typeof jwk.d === 'string';
  } catch {
    return false;
  }
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PorticoConfig {
  const read = <T>(variable: string, schema: z.ZodType<T>, accepted: string): T | undefined => {
    const value = env[variable];
    if (value === undefined || value === '') return undefined;
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new ConfigError(variable, value, accepted);
    return parsed.data;
  };
  const environment = read('NODE_ENV', z.enum(['development', 'production', 'test']), 'development, production or test') ?? 'development';
  assertProductionIdentity({ environment, jwksUrl: env.PORTICO_JWKS_URL || undefined, jwtIssuer: env.PORTICO_JWT_ISSUER || undefined, jwtAudience: env.PORTICO_JWT_AUDIENCE || undefined });
  const databaseUrl = read('DATABASE_URL', mysqlUrl, 'a mysql://user:password@host:port/database URL, with a database name, and no option but ?ssl=true');
  const policy = env.PORTICO_POLICY || 'dstny';
  if (!(PRESETS as readonly string[]).includes(policy) && !/\.ya?ml$/.test(policy)) {
    throw new ConfigError('PORTICO_POLICY', policy, `one of ${PRESETS.join(', ')} or a path to a .yaml policy file`);
  }
  return {
    port: read('PORT', z.coerce.number().int().min(0).max(65535), 'a port number 0-65535') ?? 4000,
    host: read('HOST', z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]), 'an IP address to listen on (127.0.0.1, 0.0.0.0, ::1, ::) or localhost') ?? '127.0.0.1',
    dataDir: resolve(env.PORTICO_DATA_DIR || './data'),
    databaseUrl,
    sqliteSynchronous: read('PORTICO_SQLITE_SYNCHRONOUS', z.enum(['FULL', 'NORMAL']), 'FULL or NORMAL') ?? 'FULL',
    sqliteBusyTimeoutMs: read('PORTICO_SQLITE_BUSY_TIMEOUT_MS', z.coerce.number().int().min(0).max(600_000), 'a number of milliseconds from 0 to 600000') ?? 5000,
    policy,
    bootstrapEmail: read('PORTICO_BOOTSTRAP_EMAIL', z.email(), 'an email address') ?? 'admin@platform.local',
    // Demo users with known emails are never created in production, whatever PORTICO_SEED_DEMO says.
    seedDemo: environment !== 'production' && (read('PORTICO_SEED_DEMO', booleanString, 'true or false') ?? databaseUrl === undefined),
    jwksUrl: read('PORTICO_JWKS_URL', z.url(), 'an https URL of a JWKS'),
    jwtIssuer: env.PORTICO_JWT_ISSUER || undefined,
    jwtAudience: env.PORTICO_JWT_AUDIENCE || undefined,
    signingKey: read('PORTICO_SIGNING_KEY', privateJwk, 'a private EC P-256 JWK as JSON ({"kty":"EC","crv":"P-256","d":…})'),
    impersonationMaxMinutes: read('PORTICO_IMPERSONATION_MAX_MINUTES', z.coerce.number().int().min(1).max(1440), 'an integer from 1 to 1440') ?? 60,
    maxPageSize: read('PORTICO_MAX_PAGE_SIZE', z.coerce.number().int().min(1).max(10000), 'an integer from 1 to 10000') ?? 100,
    environment,
    logLevel: read('LOG_LEVEL', z.enum(LOG_LEVELS), LOG_LEVELS.join(', ')) ?? (environment === 'test' ? 'silent' : 'info'),
    subgraphs: parseSubgraphs(env.PORTICO_SUBGRAPHS),
    supergraphPath: env.PORTICO_SUPERGRAPH ? resolve(env.PORTICO_SUPERGRAPH) : undefined,
    enforcement: read('PORTICO_ENFORCEMENT', z.enum(ENFORCEMENT_MODES), ENFORCEMENT_MODES.join(', ')) ?? 'filter',
    contextSigningKey: read('PORTICO_CONTEXT_SIGNING_KEY', privateJwk, 'a private EC P-256 JWK as JSON ({"kty":"EC","crv":"P-256","d":…})'),
    maxDepth: read('PORTICO_MAX_DEPTH', positiveInteger(1000), 'an integer from 1 to 1000') ?? 10,
    maxAliases: read('PORTICO_MAX_ALIASES', positiveInteger(1000), 'an integer from 1 to 1000') ?? 15,
    maxDirectives: read('PORTICO_MAX_DIRECTIVES', positiveInteger(1000), 'an integer from 1 to 1000') ?? 20,
    maxTokens: read('PORTICO_MAX_TOKENS', positiveInteger(1_000_000), 'an integer from 1 to 1000000') ?? 500,
    maxCost: read('PORTICO_MAX_COST', positiveInteger(1_000_000_000), 'an integer from 1 to 1000000000') ?? 100_000,
    maxBodyBytes: read('PORTICO_MAX_BODY_BYTES', positiveInteger(100_000_000), 'a number of bytes from 1 to 100000000') ?? 1_000_000,
    requestTimeoutMs: read('PORTICO_REQUEST_TIMEOUT_MS', positiveInteger(600_000), 'a number of milliseconds from 1 to 600000') ?? 10_000,
    metrics: read('PORTICO_METRICS', booleanString, 'true or false') ?? true,
    metricsToken: read('PORTICO_METRICS_TOKEN', z.string().min(16), 'a secret of at least 16 characters'),
    metricsPort: read('PORTICO_METRICS_PORT', z.coerce.number().int().min(1).max(65535), 'a port number 1-65535'),
    subgraphTimeoutMs: read('PORTICO_SUBGRAPH_TIMEOUT_MS', z.coerce.number().int().min(100).max(300000), 'an integer from 100 to 300000 (milliseconds)') ?? 10000,
    playground: read('PORTICO_PLAYGROUND', booleanString, 'true or false') ?? environment !== 'production',
    webhookAllowPrivate: read('PORTICO_WEBHOOK_ALLOW_PRIVATE', booleanString, 'true or false') ?? false,
    webhookRetrySchedule: read('PORTICO_WEBHOOK_RETRY_SCHEDULE', retrySchedule, 'comma-separated seconds, 1 to 20 of them, each from 0 to 604800') ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE,
    webhookDelivery: read('PORTICO_WEBHOOK_DELIVERY', booleanString, 'true or false') ?? true,
    webhookPollMs: read('PORTICO_WEBHOOK_POLL_MS', positiveInteger(600_000), 'a number of milliseconds from 1 to 600000') ?? 1000,
    decisionLog: read('PORTICO_DECISION_LOG', z.enum(DECISION_LOG_MODES), DECISION_LOG_MODES.join(', ')) ?? 'off',
    decisionSampleRate: read('PORTICO_DECISION_SAMPLE_RATE', rate, 'a number from 0 to 1') ?? 1,
    decisionSampleRateAllowed: read('PORTICO_DECISION_SAMPLE_RATE_ALLOWED', rate, 'a number from 0 to 1') ?? 0,
    schedulerIntervalMs: read('PORTICO_SCHEDULER_INTERVAL_MS', schedulerInterval, 'off, 0, or a number of milliseconds from 1 to 86400000') ?? 60_000,
    requestTtlDays: read('PORTICO_REQUEST_TTL_DAYS', positiveInteger(3650), 'a number of days from 1 to 3650') ?? 90,
  };
}

const positiveInteger = (max: number) => z.coerce.number().int().min(1).max(max);

const rate = z.coerce.number().min(0).max(1);

const schedulerInterval = z.union([z.literal('off').transform(() => 0), z.coerce.number().int().min(0).max(86_400_000)]);

/** A MySQL / MariaDB URL naming its database; `?ssl=true` (TLS, certificate checked) is the one option it takes. */
const mysqlUrl = z.string().refine((value) => {
  if (!/^(mysql|mariadb):\/\//.test(value)) return false;
  try {
    const url = new URL(value);
    const options = [...url.searchParams.entries()];
    return url.hostname !== '' && url.pathname.replace(/^\//, '') !== '' && options.every(([name, option]) => name === 'ssl' && option === 'true');
  } catch {
    return false;
  }
});

/**
 * In production bearer tokens are verified against the identity provider's keys (the development key is refused),
 * and only tokens of the configured issuer, for the configured audience: another client of the same provider is
 * not a Portico sign-in.
 */
export function assertProductionIdentity(config: Pick<PorticoConfig, 'environment' | 'jwksUrl' | 'jwtIssuer' | 'jwtAudience'>): void {
  if (config.environment !== 'production') return;
  if (!config.jwksUrl) throw new ConfigError('PORTICO_JWKS_URL', undefined, 'the JWKS URL of the identity provider when NODE_ENV=production (the development key is refused there)');
  if (!config.jwtIssuer) throw new ConfigError('PORTICO_JWT_ISSUER', undefined, "the identity provider's issuer (iss) when NODE_ENV=production with PORTICO_JWKS_URL");
  if (!config.jwtAudience) throw new ConfigError('PORTICO_JWT_AUDIENCE', undefined, "Portico's client id at the identity provider (aud) when NODE_ENV=production with PORTICO_JWKS_URL");
}

/** The folder holding package.json, whether running from src/ (tests) or dist/src/ (built). */
export function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
  return dir;
}

export function policyPath(policy: string): string {
  if ((PRESETS as readonly string[]).includes(policy)) return join(packageRoot(), 'schema', 'policies', `${policy}.yaml`);
  return isAbsolute(policy) ? policy : resolve(policy);
}

/** Reads and validates the policy file; a bad file stops start-up with the file, line, role and problem. */
export function loadPolicy(policy: string): CompiledPolicy {
  const path = policyPath(policy);
  if (!existsSync(path)) throw new ConfigError('PORTICO_POLICY', policy, `one of ${PRESETS.join(', ')} or an existing policy file (${path} not found)`);
  return parsePolicy(readFileSync(path, 'utf8'), path);
}
