import 'reflect-metadata';
import { randomBytes, randomUUID } from 'crypto';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig, type PorticoConfig } from '../../src/config';
import { startPortico, type Portico, type PorticoStartOptions } from '../../src/gateway/server';
import { DEV_AUDIENCE, DEV_ISSUER, signDevToken } from '../../src/identity';
import {
  AccountEntity,
  AuditEventEntity,
  ContactRoleEntity,
  CustomRoleEntity,
  DelegatedAdminRelationshipEntity,
  ExternalIdentityEntity,
  ImpersonationGrantEntity,
  ImpersonationSessionEntity,
  RoleAssignmentEntity,
  UserEntity,
} from '../../src/storage/entities';
import { seedDemoData } from '../../src/storage/demo-data';
import { createMysqlDatabase, type DatabaseKind } from './databases';
import { startTestIdentityProvider } from './identity-provider';

/** The audit key the suites' production starts are given, as an operator would set PORTICO_AUDIT_KEY. */
export const TEST_AUDIT_KEY = 'test-audit-key-0123456789abcdefghijklmnop';

export interface GraphQLResult<T = Record<string, any>> {
  status: number;
  /**
   * The id Portico made for the request (its x-request-id response header): what its audit events, decisions and log
   * lines are keyed by. Set by `gql`, and not enumerable, so that comparing whole results leaves it out.
   */
  readonly requestId?: string;
  data?: T;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

/** Who runs an operation: a seeded user's email, a bearer token (an impersonation session's, say), or nobody. */
export type Caller = string | { token: string } | null;

export interface TestPortico {
  portico: Portico;
  kind: DatabaseKind;
  dataDir: string;
  /** What Portico said as it started (migrations, seeding, the sign-in helper). */
  startupLines: string[];
  /** Runs an operation as the user with this email (a development token), with a token as given, or anonymously. */
  gql<T = Record<string, any>>(as: Caller, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResult<T>>;
  raw(init: { token?: string; body: string; contentType?: string; method?: string; headers?: Record<string, string> }): Promise<Response>;
  token(email: string, lifetime?: string): Promise<string>;
  user(email: string): Promise<UserEntity>;
  account(name: string): Promise<AccountEntity>;
  rolesOf(email: string): Promise<string[]>;
  /** Row counts of the tables a failed mutation must leave untouched. */
  snapshot(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** Starts Portico on a loopback port, on a fresh SQLite file or a fresh MariaDB database, seeded with the preset's demo data. */
export async function startTestPortico(kind: DatabaseKind, policy = 'dstny', overrides: Partial<PorticoConfig> = {}, start: PorticoStartOptions = {}): Promise<TestPortico> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-test-'));
  const mysql = kind === 'mysql' ? await createMysqlDatabase() : undefined;
  // Production refuses the development key: tokens then come from an identity provider of the test's own.
  const provider = overrides.environment === 'production' && !overrides.jwksUrl ? await startTestIdentityProvider() : undefined;
  const config: PorticoConfig = {
    ...loadConfig({ NODE_ENV: 'test' }),
    port: 0,
    dataDir,
    databaseUrl: mysql?.url,
    policy,
    seedDemo: true,
    // The dispatcher's polling would show in the suites that count statements: the webhook suites turn it on.
    webhookDelivery: false,
    // Likewise the lifecycle scheduler: its suites drive it with a clock of their own.
    schedulerIntervalMs: 0,
    // And the audit checkpoints' reads: test/audit/audit-checkpoints.test.ts turns them on.
    auditCheckpointIntervalMs: 0,
    // And the decision table's writes after a response: test/audit/decisions.test.ts turns them on.
    decisionSampleRate: 0,
    // Production requires an audit key from the environment; elsewhere the data directory's is used.
    ...(overrides.environment === 'production' ? { auditKey: TEST_AUDIT_KEY } : {}),
    ...(provider ? { jwksUrl: provider.jwksUrl, jwtIssuer: DEV_ISSUER, jwtAudience: DEV_AUDIENCE } : {}),
    // As loadConfig defaults it for NODE_ENV=production.
    ...(overrides.environment === 'production' ? { introspection: 'off' as const, secretsKey: randomBytes(32) } : {}),
    ...overrides,
  };
  const startupLines: string[] = [];
  const portico = await startPortico(config, (line) => startupLines.push(line), start).catch(async (error: unknown) => {
    // A start that fails leaves nothing behind to keep Jest's process alive.
    await provider?.stop();
    await mysql?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  const em = () => portico.services.db.manager;
  // Production never seeds demo data itself: the suites that attack a production Portico write the same tenants here.
  if (config.environment === 'production' && config.seedDemo) {
    await seedDemoData(portico.services.db, portico.services.engine.policy.name, await em().findOneByOrFail(AccountEntity, { type: 'PLATFORM' }));
  }
  const api: TestPortico = {
    portico,
    kind,
    dataDir,
    startupLines,
    async token(email, lifetime) {
      const user = await api.user(email);
      // The test provider's accounts are linked to the users they stand for, as a first sign-in would link them.
      if (provider && !(await em().existsBy(ExternalIdentityEntity, { userId: user.id }))) {
        await em().insert(ExternalIdentityEntity, { id: randomUUID(), issuer: DEV_ISSUER, subject: user.id, userId: user.id, linkedAt: new Date() });
      }
      return signDevToken(provider?.keys ?? portico.devKeys!, user, lifetime);
    },
    async raw({ token, body, contentType = 'application/json', method = 'POST', headers = {} }) {
      return fetch(portico.url, {
        method,
        headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: method === 'GET' ? undefined : body,
      });
    },
    async gql(as, query, variables, headers) {
      const token = as === null ? undefined : typeof as === 'string' ? await api.token(as) : as.token;
      const response = await api.raw({ token, body: JSON.stringify({ query, variables }), headers });
      const json = (await response.json()) as GraphQLResult;
      return Object.defineProperty({ ...json, status: response.status }, 'requestId', { value: response.headers.get('x-request-id') ?? undefined, enumerable: false }) as GraphQLResult<any>;
    },
    async user(email) {
      return em().findOneByOrFail(UserEntity, { email });
    },
    async account(name) {
      return em().findOneByOrFail(AccountEntity, { name });
    },
    async rolesOf(email) {
      const user = await api.user(email);
      return (await em().findBy(RoleAssignmentEntity, { userId: user.id })).map((r) => r.role).sort();
    },
    async snapshot() {
      const [accounts, users, roles, contactRoles, customRoles, audits, grants, sessions, delegations] = await Promise.all([
        em().count(AccountEntity),
        em().count(UserEntity),
        em().count(RoleAssignmentEntity),
        em().count(ContactRoleEntity),
        em().count(CustomRoleEntity),
        em().count(AuditEventEntity),
        em().count(ImpersonationGrantEntity),
        em().count(ImpersonationSessionEntity),
        em().count(DelegatedAdminRelationshipEntity),
      ]);
      const paths = (await em().find(AccountEntity, { order: { id: 'ASC' } })).map((a) => `${a.id}:${a.name}:${a.path}:${a.status}:${JSON.stringify(a.settings)}`).join('|');
      const statuses = (await em().find(UserEntity, { order: { id: 'ASC' } })).map((u) => `${u.id}:${u.email}:${u.name}:${u.status}`).join('|');
      const held = (await em().find(RoleAssignmentEntity, { order: { id: 'ASC' } })).map((r) => `${r.userId}:${r.role}`).join('|');
      const contacts = (await em().find(ContactRoleEntity, { order: { id: 'ASC' } })).map((r) => `${r.userId}:${r.role}`).join('|');
      const consent = [
        ...(await em().find(ImpersonationGrantEntity, { order: { id: 'ASC' } })).map((g) => `${g.id}:${g.revokedAt?.getTime()}:${g.expiresAt?.getTime()}`),
        ...(await em().find(ImpersonationSessionEntity, { order: { id: 'ASC' } })).map((x) => `${x.id}:${x.endedAt?.getTime()}`),
        ...(await em().find(DelegatedAdminRelationshipEntity, { order: { id: 'ASC' } })).map((r) => `${r.id}:${r.status}:${r.expiresAt?.getTime()}`),
      ].join('|');
      return { accounts, users, roles, contactRoles, customRoles, audits, grants, sessions, delegations, consentHash: hash(consent), pathsHash: hash(paths), statusesHash: hash(statuses), rolesHash: hash(held), contactsHash: hash(contacts) };
    },
    async stop() {
      await portico.stop();
      await provider?.stop();
      await mysql?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return api;
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return h;
}

/** The data of a result that must have succeeded: no errors at all. */
export function ok<T = Record<string, any>>(result: GraphQLResult<T>): T {
  expect(result.errors).toBeUndefined();
  return result.data!;
}

/** The error codes of a result, in order. */
export const codes = (result: GraphQLResult) => (result.errors ?? []).map((e) => e.extensions?.code);

/** Runs the operation and checks it is refused with exactly `code`, changing nothing; returns the result for further checks. */
export async function refused(t: TestPortico, as: Caller, query: string, variables: Record<string, unknown>, code: string, message?: RegExp): Promise<GraphQLResult> {
  const before = await t.snapshot();
  const result = await t.gql(as, query, variables);
  expect(codes(result)).toEqual([code]);
  if (message) expect(result.errors![0].message).toMatch(message);
  expect(await t.snapshot()).toEqual(before);
  return result;
}
