import { existsSync, readFileSync } from 'fs';
import { basename, isAbsolute, join, resolve } from 'path';
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

/**
 * The configuration, read once from the environment. Each field names its variable; the variable's default, what it
 * accepts and its meaning are written once, in CONFIG_VARIABLES.
 */
export interface PorticoConfig {
  /** HTTP port. `PORT` */
  port: number;
  /** Interface to listen on; `0.0.0.0` for every interface (the docker files set it). `HOST` */
  host: string;
  /** Where the embedded database and the signing keys live; each preset has its own. `PORTICO_DATA_DIR` */
  dataDir: string;
  /** `mysql://user:pass@host:port/db` for MySQL / MariaDB; unset means the embedded SQLite file. `DATABASE_URL` */
  databaseUrl?: string;
  /**
   * How the embedded SQLite file syncs a commit: `FULL` makes every answered write survive power loss; `NORMAL`
   * survives a crash of Portico but may lose the last commits on power loss, for more writes per second.
   * `PORTICO_SQLITE_SYNCHRONOUS`
   */
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** How long a write on the embedded file waits for another process's write to finish. `PORTICO_SQLITE_BUSY_TIMEOUT_MS` */
  sqliteBusyTimeoutMs: number;
  /** A preset name (dstny, appdirect, unifyr) or a path to a policy file. `PORTICO_POLICY` */
  policy: string;
  /** Email of the platform operator created on first start. `PORTICO_BOOTSTRAP_EMAIL` */
  bootstrapEmail: string;
  /** Seed demo data for the preset when the database is empty; never under NODE_ENV=production. `PORTICO_SEED_DEMO` */
  seedDemo: boolean;
  /** JWKS of the identity provider; unset means the local development key. `PORTICO_JWKS_URL` */
  jwksUrl?: string;
  /** Expected `iss` of bearer tokens; required in production with a JWKS. `PORTICO_JWT_ISSUER` */
  jwtIssuer?: string;
  /** Expected `aud` of bearer tokens; required in production with a JWKS. `PORTICO_JWT_AUDIENCE` */
  jwtAudience?: string;
  /**
   * Portico's own signing key (a private ES256 JWK, as JSON) for the impersonation tokens it issues; unset means the
   * key created under the data directory, which every instance sharing that directory uses. `PORTICO_SIGNING_KEY`
   */
  signingKey?: string;
  /**
   * The 256-bit key (base64 or hex) that encrypts secret account settings at rest; give every instance the same one.
   * Required in production; unset elsewhere means a key created once under the data directory. `PORTICO_SECRETS_KEY`
   */
  secretsKey?: Buffer;
  /** The longest an impersonation session lasts, in minutes; never longer than its grant. `PORTICO_IMPERSONATION_MAX_MINUTES` */
  impersonationMaxMinutes: number;
  /** The largest `first` a list accepts. `PORTICO_MAX_PAGE_SIZE` */
  maxPageSize: number;
  /** `NODE_ENV` */
  environment: 'development' | 'production' | 'test';
  /** pino level. `LOG_LEVEL` */
  logLevel: string;
  /**
   * Downstream subgraphs, `name=url,...`. Without a static supergraph they are composed at start from their
   * `_service { sdl }`; with one, they override the URLs it names. `PORTICO_SUBGRAPHS`
   */
  subgraphs: SubgraphEndpoint[];
  /** A supergraph SDL file (written by `npm run compose`) to serve instead of composing at start. `PORTICO_SUPERGRAPH` */
  supergraphPath?: string;
  /** `PORTICO_ENFORCEMENT` */
  enforcement: EnforcementMode;
  /**
   * Private EC P-256 JWK (JSON) that signs the context tokens sent to subgraphs; give every gateway instance the
   * same one. Unset means a key created once under the data directory. `PORTICO_CONTEXT_SIGNING_KEY`
   */
  contextSigningKey?: string;
  /** Deepest field nesting an operation may have (fragments counted by their fields). `PORTICO_MAX_DEPTH` */
  maxDepth: number;
  /** Most aliases in one operation. `PORTICO_MAX_ALIASES` */
  maxAliases: number;
  /** Most directives in one operation. `PORTICO_MAX_DIRECTIVES` */
  maxDirectives: number;
  /** Most lexical tokens in one operation document. `PORTICO_MAX_TOKENS` */
  maxTokens: number;
  /** Highest cost of an operation (graphql-armor's model; `first`/`last`/`limit` multiply a list). `PORTICO_MAX_COST` */
  maxCost: number;
  /** Largest request body, in bytes; a larger one is answered 413. `PORTICO_MAX_BODY_BYTES` */
  maxBodyBytes: number;
  /** Time a request may take before it is stopped with a `TIMEOUT` error (HTTP 504). `PORTICO_REQUEST_TIMEOUT_MS` */
  requestTimeoutMs: number;
  /** Serve Prometheus metrics at `/metrics`. `PORTICO_METRICS` */
  metrics: boolean;
  /**
   * Bearer token `/metrics` requires; in production without it (and without a metrics port) `/metrics` is not served.
   * `PORTICO_METRICS_TOKEN`
   */
  metricsToken?: string;
  /** Serves `/metrics` on its own port on 127.0.0.1 instead, without a token. `PORTICO_METRICS_PORT` */
  metricsPort?: number;
  /** How long the gateway waits for a downstream subgraph before its fields fail as unavailable. `PORTICO_SUBGRAPH_TIMEOUT_MS` */
  subgraphTimeoutMs: number;
  /**
   * Serves the GraphiQL playground at `/playground` and at `/graphql` for browsers, from the installed packages
   * (no CDN). Its sign-in helper exists only in development with the development key. `PORTICO_PLAYGROUND`
   */
  playground: boolean;
  /** Webhook URLs may name loopback, link-local and private addresses in production too. `PORTICO_WEBHOOK_ALLOW_PRIVATE` */
  webhookAllowPrivate: boolean;
  /**
   * Seconds to wait before each delivery attempt of a webhook event, the first counted from the event; after the
   * last, the delivery is marked failed. `PORTICO_WEBHOOK_RETRY_SCHEDULE`
   */
  webhookRetrySchedule: number[];
  /** Deliver webhook events from this process (every instance may; each delivery is claimed by one). `PORTICO_WEBHOOK_DELIVERY` */
  webhookDelivery: boolean;
  /** How often the webhook dispatcher looks for due deliveries. `PORTICO_WEBHOOK_POLL_MS` */
  webhookPollMs: number;
  /**
   * Days an outbox event and its deliveries are kept once none of them is pending; the lifecycle scheduler deletes
   * older ones. `PORTICO_OUTBOX_RETENTION_DAYS` @default 30
   */
  outboxRetentionDays: number;
  /**
   * Which authorization decisions get a log line of their own (who, permission, account, reason, request id):
   * none, the denied ones, or all of them. `PORTICO_DECISION_LOG`
   */
  decisionLog: DecisionLogMode;
  /**
   * What introspection answers: `off` (refused), `per-identity` (each caller's own schema: the fields their roles,
   * grants and delegations could ever reach; anonymous callers only the public part) or `full` (the whole graph).
   * `PORTICO_INTROSPECTION` @default "per-identity", "off" when NODE_ENV=production
   */
  introspection: IntrospectionMode;
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
  /**
   * The secret the audit trail is chained (HMAC-SHA-256) and its checkpoints signed with, kept outside the database;
   * required in production, elsewhere a key created under the data directory. `PORTICO_AUDIT_KEY`
   */
  auditKey?: string;
  /** The directory signed audit checkpoints are written to, outside the database; unset means `auditCheckpointsDir` of the data directory. `PORTICO_AUDIT_CHECKPOINTS` */
  auditCheckpoints?: string;
  /** How often this instance signs a checkpoint of the chains that changed; `0` or `off` signs none. `PORTICO_AUDIT_CHECKPOINT_INTERVAL_MS` @default 3600000 */
  auditCheckpointIntervalMs: number;
}

/**
 * What introspection answers: `off` refuses it, `full` describes the whole graph to anyone, `per-identity`
 * describes to each caller only the fields and operations some permission of theirs could ever reach.
 */
export const INTROSPECTION_MODES = ['off', 'per-identity', 'full'] as const;
export type IntrospectionMode = (typeof INTROSPECTION_MODES)[number];

export const DECISION_LOG_MODES = ['off', 'denied', 'all'] as const;
export type DecisionLogMode = (typeof DECISION_LOG_MODES)[number];

export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [0, 1, 5, 30, 120, 600, 3600, 21600];

const retrySchedule = z
  .string()
  .transform((text) => text.split(',').map((part) => Number(part.trim())))
  .refine((seconds) => seconds.length >= 1 && seconds.length <= 20 && seconds.every((n) => Number.isFinite(n) && n >= 0 && n <= 7 * 86_400));

const SUBGRAPH_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Parses `name=url,name=url`; names are unique and may not be the access-control graph's own. Undefined when invalid. */
function subgraphEndpoints(value: string): SubgraphEndpoint[] | undefined {
  if (value.trim() === '') return [];
  const endpoints = value.split(',').map((pair) => {
    const at = pair.indexOf('=');
    return { at, name: pair.slice(0, at).trim(), url: pair.slice(at + 1).trim() };
  });
  if (endpoints.some(({ at, name, url }) => at < 1 || !SUBGRAPH_NAME.test(name) || !z.url({ protocol: /^https?$/ }).safeParse(url).success)) return undefined;
  const names = endpoints.map((e) => e.name);
  if (new Set(names).size !== names.length || names.includes('access-control')) return undefined;
  return endpoints.map(({ name, url }) => ({ name, url }));
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

const rate = z.coerce.number().min(0).max(1);
const schedulerInterval = z.union([z.literal('off').transform(() => 0), z.coerce.number().int().min(0).max(86_400_000)]);
const positiveInteger = (max: number) => z.coerce.number().int().min(1).max(max);
const port = (min: number) => z.coerce.number().int().min(min).max(65535);
/** A 256-bit key written as 64 hex digits or as base64; undefined for anything else. */
export function secretsKeyBytes(text: string): Buffer | undefined {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
  return bytes?.length === 32 ? bytes : undefined;
}

const PRIVATE_JWK_ACCEPTED = 'a private EC P-256 JWK as JSON ({"kty":"EC","crv":"P-256","d":…})';
/** What PORTICO_AUDIT_KEY must be, named when it is missing or too short. */
export const AUDIT_KEY_ACCEPTED = 'a secret of at least 32 characters, kept outside the database (openssl rand -base64 32 makes one)';
const SUBGRAPHS_ACCEPTED = 'a comma-separated list of name=http(s)://url pairs with distinct names other than access-control';

/** One environment variable: how it is read, what it means and its default, written here once for code and docs alike. */
export interface ConfigVariable<T> {
  schema: z.ZodType<T>;
  /** What a valid value looks like, named when one is refused. */
  accepted: string;
  /** What it is for: the "meaning" column of docs/configuration.md. */
  description: string;
  /** The value when unset; absent when there is none or it depends on other variables (then `defaultText` says how). */
  default?: NoInfer<T>;
  defaultText?: string;
  /** A secret: a refused value is not repeated in the error. */
  secret?: boolean;
}

const variable = <T>(spec: ConfigVariable<T>): ConfigVariable<T> => spec;

/**
 * Every variable Portico's configuration reads, in the order of the table in docs/configuration.md, which
 * `npm run config:docs` writes from it (and a test fails when the table is stale).
 */
export const CONFIG_VARIABLES = {
  PORT: variable({ schema: port(0), accepted: 'a port number 0-65535', default: 4000, description: 'HTTP port' }),
  HOST: variable({
    schema: z.union([z.ipv4(), z.ipv6(), z.literal('localhost')]),
    accepted: 'an IP address to listen on (127.0.0.1, 0.0.0.0, ::1, ::) or localhost',
    default: '127.0.0.1',
    description: 'interface to listen on; `0.0.0.0` for every interface (the docker files set it), which turns the development sign-in helper off',
  }),
  PORTICO_POLICY: variable({
    schema: z.string().refine((policy) => (PRESETS as readonly string[]).includes(policy) || /\.ya?ml$/.test(policy)),
    accepted: `one of ${PRESETS.join(', ')} or a path to a .yaml policy file`,
    default: 'dstny',
    description: '`dstny`, `appdirect`, `unifyr` or a path to a policy file',
  }),
  PORTICO_DATA_DIR: variable({
    schema: z.string().transform((dir) => resolve(dir)),
    accepted: 'a directory',
    defaultText: '`data/<preset>` (a policy file: `data/<its name>`); `data` itself while it holds the `portico.sqlite` of the older single-directory layout',
    description: 'the embedded SQLite file and the signing keys; each preset has its own, so presets never share a database',
  }),
  DATABASE_URL: variable({
    schema: z.string().refine(isMysqlUrl),
    accepted: 'a mysql://user:password@host:port/database URL, with a database name, and no option but ?ssl=true',
    defaultText: '(unset: SQLite)',
    description: "`mysql://user:pass@host:3306/db` for MySQL 8 / MariaDB 10.11+; `?ssl=true` for TLS with the server's certificate checked (no other option is read)",
  }),
  PORTICO_SQLITE_SYNCHRONOUS: variable({
    schema: z.enum(['FULL', 'NORMAL']),
    accepted: 'FULL or NORMAL',
    default: 'FULL',
    description: 'the embedded file: `FULL` syncs every commit (an answered write survives power loss); `NORMAL` survives a crash of Portico but may lose the last commits on power loss',
  }),
  PORTICO_SQLITE_BUSY_TIMEOUT_MS: variable({
    schema: z.coerce.number().int().min(0).max(600_000),
    accepted: 'a number of milliseconds from 0 to 600000',
    default: 5000,
    description: "the embedded file: how long a write waits for another process's write before it fails (retried up to 4 times)",
  }),
  PORTICO_SEED_DEMO: variable({
    schema: booleanString,
    accepted: 'true or false',
    defaultText: '`true` on SQLite, `false` on MySQL',
    description: "seed the preset's demo tenants into an empty database; never under `NODE_ENV=production`",
  }),
  PORTICO_BOOTSTRAP_EMAIL: variable({ schema: z.email(), accepted: 'an email address', default: 'admin@platform.local', description: 'the platform operator created on first start' }),
  PORTICO_JWKS_URL: variable({
    schema: z.url(),
    accepted: 'an https URL of a JWKS',
    defaultText: '(unset: development key)',
    description: 'JWKS of your OIDC provider, whose `(iss, sub)` maps to a user through a linked external identity (see [security](security.md)); required with `NODE_ENV=production`',
  }),
  PORTICO_JWT_ISSUER: variable({
    schema: z.string(),
    accepted: 'an issuer',
    defaultText: '`portico-dev` with the development key',
    description: 'expected `iss`; required in production with `PORTICO_JWKS_URL`, and needed to link an identity',
  }),
  PORTICO_JWT_AUDIENCE: variable({
    schema: z.string(),
    accepted: 'an audience',
    defaultText: '`portico` with the development key',
    description: 'expected `aud`; required in production with `PORTICO_JWKS_URL`, and needed to link an identity',
  }),
  PORTICO_MAX_PAGE_SIZE: variable({
    schema: z.coerce.number().int().min(1).max(10000),
    accepted: 'an integer from 1 to 10000',
    default: 100,
    description: 'the largest `first` a list accepts (`first`, `last`, `limit` of any field, checked at the gateway)',
  }),
  PORTICO_IMPERSONATION_MAX_MINUTES: variable({
    schema: z.coerce.number().int().min(1).max(1440),
    accepted: 'an integer from 1 to 1440',
    default: 60,
    description: 'the longest an impersonation session lasts (never longer than its grant)',
  }),
  PORTICO_SIGNING_KEY: variable({
    schema: privateJwk,
    accepted: PRIVATE_JWK_ACCEPTED,
    defaultText: '(unset: the key in the data directory)',
    description: "Portico's own private EC P-256 JWK (JSON), which signs impersonation tokens; give every instance the same one",
  }),
  PORTICO_SECRETS_KEY: variable({
    schema: z.string().refine((text) => secretsKeyBytes(text) !== undefined).transform((text) => secretsKeyBytes(text)!),
    accepted: '32 random bytes as base64 or as 64 hex digits (e.g. `openssl rand -base64 32`)',
    defaultText: '(unset: a key created in the data directory, with a warning; required in production)',
    description: 'the AES-256-GCM key secret account settings are encrypted with, held outside the database; give every instance the same one, and keep it: without it the secrets stored cannot be read',
  }),
  LOG_LEVEL: variable({ schema: z.enum(LOG_LEVELS), accepted: LOG_LEVELS.join(', '), defaultText: '`info` (`silent` under `NODE_ENV=test`)', description: 'pino level' }),
  PORTICO_SUBGRAPHS: variable({
    schema: z.string().refine((value) => subgraphEndpoints(value) !== undefined).transform((value) => subgraphEndpoints(value)!),
    accepted: SUBGRAPHS_ACCEPTED,
    default: [],
    defaultText: '(unset: the access-control graph alone)',
    description: "`name=url,...`: downstream subgraphs, composed at start (or URLs overriding a static supergraph's)",
  }),
  PORTICO_SUPERGRAPH: variable({
    schema: z.string().transform((file) => resolve(file)),
    accepted: 'a supergraph SDL file',
    defaultText: '(unset)',
    description: 'a supergraph SDL file to serve, e.g. `schema/supergraph.graphql` from `npm run compose`',
  }),
  PORTICO_ENFORCEMENT: variable({
    schema: z.enum(ENFORCEMENT_MODES),
    accepted: ENFORCEMENT_MODES.join(', '),
    default: 'filter',
    description: '`filter`, `reject`, `dry-run` or `off` (see [the gateway](gateway.md))',
  }),
  PORTICO_CONTEXT_SIGNING_KEY: variable({
    schema: privateJwk,
    accepted: PRIVATE_JWK_ACCEPTED,
    defaultText: '(unset: a key created in the data directory)',
    description: 'private EC P-256 JWK signing the context tokens sent to subgraphs; give every instance the same one',
  }),
  PORTICO_MAX_DEPTH: variable({
    schema: positiveInteger(1000),
    accepted: 'an integer from 1 to 1000',
    default: 10,
    description: 'deepest field nesting of an operation, fragments counted by their fields (see [limits](security.md#limits-and-secure-defaults))',
  }),
  PORTICO_MAX_ALIASES: variable({ schema: positiveInteger(1000), accepted: 'an integer from 1 to 1000', default: 15, description: 'most aliases in an operation' }),
  PORTICO_MAX_DIRECTIVES: variable({ schema: positiveInteger(1000), accepted: 'an integer from 1 to 1000', default: 20, description: 'most directives in an operation' }),
  PORTICO_MAX_TOKENS: variable({ schema: positiveInteger(1_000_000), accepted: 'an integer from 1 to 1000000', default: 500, description: 'most lexical tokens in an operation document' }),
  PORTICO_MAX_COST: variable({
    schema: positiveInteger(1_000_000_000),
    accepted: 'an integer from 1 to 1000000000',
    default: 100_000,
    description: "highest operation cost (graphql-armor's model; `first` / `last` / `limit` multiply a list)",
  }),
  PORTICO_MAX_BODY_BYTES: variable({ schema: positiveInteger(100_000_000), accepted: 'a number of bytes from 1 to 100000000', default: 1_000_000, description: 'largest request body, in bytes (413 above)' }),
  PORTICO_REQUEST_TIMEOUT_MS: variable({
    schema: positiveInteger(600_000),
    accepted: 'a number of milliseconds from 1 to 600000',
    default: 10_000,
    description: 'deadline of a request (504 `TIMEOUT` past it)',
  }),
  PORTICO_METRICS: variable({ schema: booleanString, accepted: 'true or false', default: true, description: 'serve Prometheus metrics at `GET /metrics` (see [operations](operations.md))' }),
  PORTICO_METRICS_TOKEN: variable({
    schema: z.string().min(16),
    accepted: 'a secret of at least 16 characters',
    defaultText: '(unset: open outside production)',
    description: 'bearer token `/metrics` requires; in production without it (or `PORTICO_METRICS_PORT`) `/metrics` is not served',
  }),
  PORTICO_METRICS_PORT: variable({ schema: port(1), accepted: 'a port number 1-65535', defaultText: '(unset)', description: 'serve `/metrics` on this port of 127.0.0.1 instead, without a token' }),
  PORTICO_SUBGRAPH_TIMEOUT_MS: variable({
    schema: z.coerce.number().int().min(100).max(300000),
    accepted: 'an integer from 100 to 300000 (milliseconds)',
    default: 10000,
    description: 'how long the gateway waits for a downstream subgraph before its fields fail as `SERVICE_UNAVAILABLE`',
  }),
  NODE_ENV: variable({
    schema: z.enum(['development', 'production', 'test']),
    accepted: 'development, production or test',
    default: 'development',
    description: "`development`, `test` or `production`: production turns introspection and the playground off and requires an identity provider; only development has the playground's sign-in helper",
  }),
  PORTICO_PLAYGROUND: variable({
    schema: booleanString,
    accepted: 'true or false',
    defaultText: '`true`, `false` in production',
    description: 'serve the playground at `/playground` (and `/graphql` to browsers), from the installed packages; see [the playground](playground.md)',
  }),
  PORTICO_WEBHOOK_ALLOW_PRIVATE: variable({ schema: booleanString, accepted: 'true or false', default: false, description: 'in production, webhook URLs may name loopback, link-local and private addresses' }),
  PORTICO_WEBHOOK_RETRY_SCHEDULE: variable({
    schema: retrySchedule,
    accepted: 'comma-separated seconds, 1 to 20 of them, each from 0 to 604800',
    default: DEFAULT_WEBHOOK_RETRY_SCHEDULE,
    description: 'seconds before each webhook delivery attempt, the first counted from the event; after the last, the delivery is `FAILED`',
  }),
  PORTICO_WEBHOOK_DELIVERY: variable({
    schema: booleanString,
    accepted: 'true or false',
    default: true,
    description: 'this instance delivers webhook events (every instance may: each delivery is claimed by one)',
  }),
  PORTICO_WEBHOOK_POLL_MS: variable({ schema: positiveInteger(600_000), accepted: 'a number of milliseconds from 1 to 600000', default: 1000, description: 'how often the webhook dispatcher looks for due deliveries' }),
  PORTICO_OUTBOX_RETENTION_DAYS: variable({
    schema: positiveInteger(3650),
    accepted: 'a number of days from 1 to 3650',
    default: 30,
    description: 'days an outbox event and its webhook deliveries are kept once none is pending (delivered or failed); the lifecycle scheduler deletes older ones',
  }),
  PORTICO_DECISION_LOG: variable({
    schema: z.enum(DECISION_LOG_MODES),
    accepted: DECISION_LOG_MODES.join(', '),
    default: 'off',
    description: '`off`, `denied` or `all`: a log line per authorization decision (see [events and audit](events-and-audit.md))',
  }),
  PORTICO_DECISION_SAMPLE_RATE: variable({
    schema: rate,
    accepted: 'a number from 0 to 1',
    default: 1,
    description: 'with `PORTICO_DECISION_LOG=denied` or `all`, the share of requests whose denied decisions are also stored in the `authorization_decisions` table (joined to the audit trail by request id)',
  }),
  PORTICO_DECISION_SAMPLE_RATE_ALLOWED: variable({ schema: rate, accepted: 'a number from 0 to 1', default: 0, description: 'with `PORTICO_DECISION_LOG=all`, the share of requests whose allowed decisions are stored there too' }),
  PORTICO_SCHEDULER_INTERVAL_MS: variable({
    schema: schedulerInterval,
    accepted: 'off, 0, or a number of milliseconds from 1 to 86400000',
    default: 60_000,
    description: 'how often this instance runs the lifecycle scheduler (expiries, expiry warnings, unanswered requests, auto-extension); `0` or `off` runs none here; each round runs on one instance at a time',
  }),
  PORTICO_REQUEST_TTL_DAYS: variable({ schema: positiveInteger(3650), accepted: 'a number of days from 1 to 3650', default: 90, description: 'days a PENDING delegation or impersonation request waits for an answer before it expires' }),
  PORTICO_AUDIT_KEY: variable({
    schema: z.string().min(32),
    secret: true,
    accepted: AUDIT_KEY_ACCEPTED,
    defaultText: '(unset: a key created in the data directory, with a warning; required in production)',
    description: 'the secret the audit trail is chained with (HMAC-SHA-256) and its checkpoints signed with; keep it outside the database (see [events and audit](events-and-audit.md))',
  }),
  PORTICO_AUDIT_CHECKPOINTS: variable({
    schema: z.string().transform((dir) => resolve(dir)),
    accepted: 'a directory',
    defaultText: '`<data dir>/audit-checkpoints`',
    description: 'where signed audit checkpoints are written, outside the database: point it at storage the database\'s writers cannot change (a write-once bucket mount, another host)',
  }),
  PORTICO_AUDIT_CHECKPOINT_INTERVAL_MS: variable({
    schema: schedulerInterval,
    accepted: 'off, 0, or a number of milliseconds from 1 to 86400000',
    default: 3_600_000,
    description: 'how often this instance signs a checkpoint of the audit chains that changed (and once at start); `0` or `off` signs none here',
  }),
  PORTICO_INTROSPECTION: variable({
    schema: z.enum(INTROSPECTION_MODES),
    accepted: INTROSPECTION_MODES.join(', '),
    defaultText: '`per-identity`, `off` in production',
    description: '`off` refuses introspection; `per-identity` shows each caller only the fields and operations their roles, grants and delegations could ever reach (anonymous callers: the public part); `full` shows the whole graph',
  }),
};

export type ConfigVariableName = keyof typeof CONFIG_VARIABLES;
type ValueOf<K extends ConfigVariableName> = (typeof CONFIG_VARIABLES)[K] extends ConfigVariable<infer T> ? T : never;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PorticoConfig {
  /** The variable's value, parsed; undefined when unset or empty; a ConfigError naming it when it is not valid. */
  const given = <K extends ConfigVariableName>(name: K): ValueOf<K> | undefined => {
    const value = env[name];
    if (value === undefined || value === '') return undefined;
    const spec = CONFIG_VARIABLES[name] as ConfigVariable<ValueOf<K>>;
    const parsed = spec.schema.safeParse(value);
    if (!parsed.success) throw new ConfigError(name, spec.secret ? `(${value.length} characters, not shown)` : value, spec.accepted);
    return parsed.data;
  };
  /** The variable's value, or its default. */
  const read = <K extends ConfigVariableName>(name: K): ValueOf<K> => {
    const value = given(name);
    if (value !== undefined) return value;
    const fallback = (CONFIG_VARIABLES[name] as ConfigVariable<ValueOf<K>>).default;
    if (fallback === undefined) throw new Error(`${name} has no default: read it with given()`);
    return fallback;
  };
  const environment = read('NODE_ENV');
  assertProductionIdentity({ environment, jwksUrl: env.PORTICO_JWKS_URL || undefined, jwtIssuer: env.PORTICO_JWT_ISSUER || undefined, jwtAudience: env.PORTICO_JWT_AUDIENCE || undefined });
  const auditKey = given('PORTICO_AUDIT_KEY');
  assertProductionAuditKey({ environment, auditKey });
  const databaseUrl = given('DATABASE_URL');
  const policy = read('PORTICO_POLICY');
  return {
    port: read('PORT'),
    host: read('HOST'),
    dataDir: given('PORTICO_DATA_DIR') ?? resolve(defaultDataDir(policy)),
    databaseUrl,
    sqliteSynchronous: read('PORTICO_SQLITE_SYNCHRONOUS'),
    sqliteBusyTimeoutMs: read('PORTICO_SQLITE_BUSY_TIMEOUT_MS'),
    policy,
    bootstrapEmail: read('PORTICO_BOOTSTRAP_EMAIL'),
    // Demo users with known emails are never created in production, whatever PORTICO_SEED_DEMO says.
    seedDemo: environment !== 'production' && (given('PORTICO_SEED_DEMO') ?? databaseUrl === undefined),
    jwksUrl: given('PORTICO_JWKS_URL'),
    jwtIssuer: given('PORTICO_JWT_ISSUER'),
    jwtAudience: given('PORTICO_JWT_AUDIENCE'),
    signingKey: given('PORTICO_SIGNING_KEY'),
    secretsKey: given('PORTICO_SECRETS_KEY'),
    impersonationMaxMinutes: read('PORTICO_IMPERSONATION_MAX_MINUTES'),
    maxPageSize: read('PORTICO_MAX_PAGE_SIZE'),
    environment,
    logLevel: given('LOG_LEVEL') ?? (environment === 'test' ? 'silent' : 'info'),
    subgraphs: read('PORTICO_SUBGRAPHS'),
    supergraphPath: given('PORTICO_SUPERGRAPH'),
    enforcement: read('PORTICO_ENFORCEMENT'),
    contextSigningKey: given('PORTICO_CONTEXT_SIGNING_KEY'),
    maxDepth: read('PORTICO_MAX_DEPTH'),
    maxAliases: read('PORTICO_MAX_ALIASES'),
    maxDirectives: read('PORTICO_MAX_DIRECTIVES'),
    maxTokens: read('PORTICO_MAX_TOKENS'),
    maxCost: read('PORTICO_MAX_COST'),
    maxBodyBytes: read('PORTICO_MAX_BODY_BYTES'),
    requestTimeoutMs: read('PORTICO_REQUEST_TIMEOUT_MS'),
    metrics: read('PORTICO_METRICS'),
    metricsToken: given('PORTICO_METRICS_TOKEN'),
    metricsPort: given('PORTICO_METRICS_PORT'),
    subgraphTimeoutMs: read('PORTICO_SUBGRAPH_TIMEOUT_MS'),
    playground: given('PORTICO_PLAYGROUND') ?? environment !== 'production',
    webhookAllowPrivate: read('PORTICO_WEBHOOK_ALLOW_PRIVATE'),
    webhookRetrySchedule: read('PORTICO_WEBHOOK_RETRY_SCHEDULE'),
    webhookDelivery: read('PORTICO_WEBHOOK_DELIVERY'),
    webhookPollMs: read('PORTICO_WEBHOOK_POLL_MS'),
    outboxRetentionDays: read('PORTICO_OUTBOX_RETENTION_DAYS'),
    decisionLog: read('PORTICO_DECISION_LOG'),
    introspection: given('PORTICO_INTROSPECTION') ?? (environment === 'production' ? 'off' : 'per-identity'),
    decisionSampleRate: read('PORTICO_DECISION_SAMPLE_RATE'),
    decisionSampleRateAllowed: read('PORTICO_DECISION_SAMPLE_RATE_ALLOWED'),
    schedulerIntervalMs: read('PORTICO_SCHEDULER_INTERVAL_MS'),
    requestTtlDays: read('PORTICO_REQUEST_TTL_DAYS'),
    auditKey,
    auditCheckpoints: given('PORTICO_AUDIT_CHECKPOINTS'),
    auditCheckpointIntervalMs: read('PORTICO_AUDIT_CHECKPOINT_INTERVAL_MS'),
  };
}

/** The Markdown table of every variable, its default and its meaning, as docs/configuration.md holds it. */
export function renderConfigurationTable(): string {
  const defaultOf = (spec: ConfigVariable<unknown>): string => {
    if (spec.defaultText !== undefined) return spec.defaultText;
    if (spec.default === undefined) return '(unset)';
    return `\`${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)}\``;
  };
  const rows = Object.entries(CONFIG_VARIABLES).map(([name, spec]) => `| \`${name}\` | ${defaultOf(spec as ConfigVariable<unknown>)} | ${spec.description} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/**
 * Each preset keeps its data apart (`data/dstny`, `data/appdirect`, …), so switching PORTICO_POLICY never opens a
 * database made for another preset. A `data/portico.sqlite` of the earlier single-directory layout keeps being used.
 */
export function defaultDataDir(policy: string): string {
  if (existsSync(join('data', 'portico.sqlite'))) return 'data';
  const name = (PRESETS as readonly string[]).includes(policy) ? policy : basename(policy).replace(/\.ya?ml$/, '');
  return join('data', name);
}



/** A MySQL / MariaDB URL naming its database; `?ssl=true` (TLS, certificate checked) is the one option it takes. */
function isMysqlUrl(value: string): boolean {
  if (!/^(mysql|mariadb):\/\//.test(value)) return false;
  try {
    const url = new URL(value);
    const options = [...url.searchParams.entries()];
    return url.hostname !== '' && url.pathname.replace(/^\//, '') !== '' && options.every(([name, option]) => name === 'ssl' && option === 'true');
  } catch {
    return false;
  }
}

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

/** Where signed audit checkpoints go: PORTICO_AUDIT_CHECKPOINTS, else `audit-checkpoints` in the data directory. */
export function auditCheckpointsDir(config: Pick<PorticoConfig, 'auditCheckpoints' | 'dataDir'>): string {
  return config.auditCheckpoints ?? join(config.dataDir, 'audit-checkpoints');
}

/**
 * In production the audit trail is kept with a key from the environment: a key the database's writers could read
 * beside it would let them rewrite the trail and its checkpoints alike.
 */
export function assertProductionAuditKey(config: Pick<PorticoConfig, 'environment' | 'auditKey'>): void {
  if (config.environment === 'production' && !config.auditKey) throw new ConfigError('PORTICO_AUDIT_KEY', undefined, `${AUDIT_KEY_ACCEPTED} when NODE_ENV=production`);
}

/** Secret settings stored under a key created beside the database would be readable by whoever holds the database's directory. */
export function assertProductionSecrets(config: Pick<PorticoConfig, 'environment' | 'secretsKey'>): void {
  if (config.environment === 'production' && !config.secretsKey) {
    throw new ConfigError('PORTICO_SECRETS_KEY', undefined, 'a 256-bit key (`openssl rand -base64 32`) when NODE_ENV=production: secret settings are encrypted with it');
  }
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
