import { exportJWK, generateKeyPair } from 'jose';
import { randomBytes } from 'crypto';
import { mkdtempSync } from 'fs';
import { createServer, type Server } from 'http';
import { createConnection } from 'mysql2/promise';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadPolicy } from '../../src/config';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKeys, signDevToken, type DevKeyPair } from '../../src/identity';
import { loadOrCreateContextSigner, type ContextSigner } from '../../src/identity/context-token';
import { PolicyEngine } from '../../src/policy';
import { addAccount, addUser, bootstrapPlatform } from '../../src/storage/bootstrap';
import { Database } from '../../src/storage/database';
import { auditKeySecretIn } from '../../src/storage/audit-key';
import { seedDemoData } from '../../src/storage/demo-data';
import { AccountEntity, RoleAssignmentEntity, UserEntity } from '../../src/storage/entities';
import { serverEnvironment } from './processes';

/** MariaDB / MySQL server the benchmark creates its `portico_bench_*` databases on. */
export const BENCH_MYSQL_URL = (process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');

/**
 * What replaces `portico_bench` in the names of this run's databases: a smoke run names its own, so that it never drops
 * the databases of a benchmark (or another smoke run) running on the same server.
 */
let databasePrefix = 'portico_bench';

export function useDatabasePrefix(prefix: string): void {
  databasePrefix = prefix;
}

const named = (name: string) => name.replace(/^portico_bench/, databasePrefix);

/** A fresh database on the benchmark's server (dropped first if a previous run left it). */
export async function freshDatabase(database: string): Promise<string> {
  const name = named(database);
  const connection = await createConnection({ uri: BENCH_MYSQL_URL, connectTimeout: 5000 });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
  return `${BENCH_MYSQL_URL}/${name}`;
}

export async function dropDatabase(database: string): Promise<void> {
  const connection = await createConnection({ uri: BENCH_MYSQL_URL });
  await connection.query(`DROP DATABASE IF EXISTS \`${named(database)}\``);
  await connection.end();
}

/** Keys and a database shared by every server of one benchmark stack. */
export interface Environment {
  preset: string;
  databaseName: string;
  databaseUrl: string;
  dataDir: string;
  devKeys: DevKeyPair;
  contextSigningKey: string;
  signer: ContextSigner;
  /** The environment each server of the stack starts with. */
  env: Record<string, string>;
  token(email: string): Promise<string>;
  /** A context token for the user, as Portico would send it to a subgraph (60 s). */
  /** A context token for one subgraph, as the gateway would sign it. */
  contextToken(email: string, subgraph: string): Promise<string>;
  accountId(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A preset's demo tenants in a fresh MariaDB database, through the same code Portico starts with (migrations,
 * platform, demo data), plus `extra` work on it; a development key and a context-signing key every server shares.
 */
export async function prepareEnvironment(preset: string, databaseName: string, extra?: (db: Database, engine: PolicyEngine) => Promise<void>): Promise<Environment> {
  const databaseUrl = await freshDatabase(databaseName);
  const dataDir = mkdtempSync(join(tmpdir(), `portico-bench-${preset}-`));
  const devKeys = await loadOrCreateDevKeys(dataDir);
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const contextSigningKey = JSON.stringify({ ...(await exportJWK(privateKey)), kid: `bench-${preset}` });
  const signer = await loadOrCreateContextSigner(dataDir, contextSigningKey);
  const identity = await serveIdentityJwks(devKeys);
  const engine = new PolicyEngine(loadPolicy(preset));
  const db = await Database.open({ databaseUrl, dataDir });
  const platform = await bootstrapPlatform(db, engine, 'admin@platform.local');
  await seedDemoData(db, preset, platform);
  await extra?.(db, engine);
  const user = (email: string) => db.manager.findOneByOrFail(UserEntity, { email });
  return {
    preset,
    databaseName,
    databaseUrl,
    dataDir,
    devKeys,
    contextSigningKey,
    signer,
    env: { ...serverEnvironment, DATABASE_URL: databaseUrl, PORTICO_POLICY: preset, PORTICO_DATA_DIR: dataDir, PORTICO_CONTEXT_SIGNING_KEY: contextSigningKey, PORTICO_SEED_DEMO: 'false', PORTICO_AUDIT_KEY: auditKeySecretIn(dataDir), ...identity.env },
    // As the identity provider would: a verified email, which links the user at their first request.
    token: async (email) => signDevToken(devKeys, await user(email), '12h', { email_verified: true }),
    contextToken: async (email, subgraph) => {
      const u = await user(email);
      // Who the caller is, as Portico's gateway names them (the demo subgraphs learn an account from its own users).
      const account = await db.manager.findOneByOrFail(AccountEntity, { id: u.accountId });
      const roles = (await db.manager.findBy(RoleAssignmentEntity, { userId: u.id, accountId: u.accountId })).map((r) => r.role);
      return signer.sign({ sub: u.id, acct: u.accountId, email: u.email, acct_name: account.name, acct_type: account.type, roles }, subgraph);
    },
    accountId: async (name) => (await db.manager.findOneByOrFail(AccountEntity, { name })).id,
    close: async () => {
      await identity.close();
      await db.close();
    },
  };
}

/** `count` customers under the partner, each with two users holding the roles given. */
export async function addDashboardCustomers(db: Database, partnerName: string, count: number, roles: [string, string]): Promise<void> {
  const partner = await db.manager.findOneByOrFail(AccountEntity, { name: partnerName });
  await db.transaction(async (em) => {
    for (let i = 0; i < count; i++) {
      const customer = await addAccount(em, partner, 'CUSTOMER', `Dashboard Customer ${String(i).padStart(3, '0')}`);
      await addUser(em, customer, { email: `first${i}@dashboard.example`, name: `First ${i}`, roles: [roles[0]] });
      await addUser(em, customer, { email: `second${i}@dashboard.example`, name: `Second ${i}`, roles: [roles[1]] });
    }
  });
}

/** Serves the context-signing keys, for subgraphs behind the plain gateway (no Portico there to publish them). */
export function serveJwks(signer: ContextSigner): Promise<{ url: string; close(): Promise<void> }> {
  return serveKeys(signer.jwks());
}

/**
 * Stands in for the identity provider: the development key's public half as a JWKS, and the environment that makes a
 * production Portico verify the tokens the benchmark signs with it (production refuses the development key itself).
 */
export async function serveIdentityJwks(devKeys: DevKeyPair): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  const jwk = { ...(await exportJWK(devKeys.publicKey)), kid: devKeys.kid, alg: 'ES256', use: 'sig' };
  const served = await serveKeys({ keys: [jwk] });
  // Production also requires a key for secret settings: one for the run.
  const env = { PORTICO_JWKS_URL: served.url, PORTICO_JWT_ISSUER: DEV_ISSUER, PORTICO_JWT_AUDIENCE: DEV_AUDIENCE, PORTICO_SECRETS_KEY: randomBytes(32).toString('base64') };
  return { env, close: served.close };
}

async function serveKeys(jwks: unknown): Promise<{ url: string; close(): Promise<void> }> {
  const body = JSON.stringify(jwks);
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/jwks.json`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
