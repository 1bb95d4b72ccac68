import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadPolicy } from '../../src/config';
import { loadOrCreateDevKeys, signDevToken, type DevKeyPair } from '../../src/identity';
import { PolicyEngine } from '../../src/policy';
import { Database } from '../../src/storage/database';
import { AccountEntity, UserEntity } from '../../src/storage/entities';
import { progressBar, seedHierarchy } from '../seed';
import { dropDatabase, freshDatabase, serveIdentityJwks } from './fixtures';
import { load, type LoadRequest } from './load';
import type { BenchOptions } from './options';
import { ENTRY, startChild, stopAll, type Child } from './processes';
import { alternate, measured, type Measured } from './stats';

export interface StorageResult {
  /** createAccount per second over 8 connections, per database. */
  mutationsPerSecond: Record<'embedded' | 'mariadb', Measured>;
  /** The embedded file's mutations/s ÷ MariaDB's, per round. */
  embeddedVsMariaDb: Measured;
  /** Accounts in the embedded files of the latency comparison. */
  scales: number[];
  seedSeconds: Record<number, number>;
  /** Milliseconds of one createAccount, one request at a time, per scale of the embedded file. */
  latency: Record<number, { mean: Measured; p50: Measured; p99: Measured }>;
  /** Mean latency of one mutation at the largest scale ÷ at the smallest, per round. */
  latencyGrowth: Measured;
}

const CREATE = 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }';
const OPERATOR = 'admin@platform.local';

/** A mutation request for the operator of this database: a partner created under the platform. */
async function createAccountRequest(db: Database, devKeys: DevKeyPair, url: string): Promise<LoadRequest> {
  const platform = await db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
  const operator = await db.manager.findOneByOrFail(UserEntity, { email: OPERATOR });
  return {
    url,
    body: JSON.stringify({ query: CREATE, variables: { input: { type: 'PARTNER', name: 'Benchmark Partner', parentId: platform.id } } }),
    // As the identity provider would: a verified email, which links the user at their first request.
    headers: { authorization: `Bearer ${await signDevToken(devKeys, operator, '12h', { email_verified: true })}` },
  };
}

/** One answered mutation before any load: a load of GraphQL errors would measure nothing. */
async function assertMutates(request: LoadRequest): Promise<void> {
  const response = await fetch(request.url, { method: 'POST', headers: { 'content-type': 'application/json', ...request.headers }, body: request.body });
  const body = (await response.json()) as { data?: { createAccount?: { id: string } }; errors?: unknown };
  if (!body.data?.createAccount?.id) throw new Error(`the benchmark mutation failed at ${request.url}: ${JSON.stringify(body)}`);
}

/**
 * Writes: the same mutation on the embedded SQLite file (libsql, WAL, synchronous=FULL) and on MariaDB, alternated round by
 * round; then one mutation at a time on embedded files of 1,000 and 100,000 accounts (appdirect's partner tree), to
 * show that the cost of a write does not grow with the database.
 */
export async function runStorage(options: BenchOptions, log: (line: string) => void): Promise<StorageResult> {
  const { seconds, rounds, warmup, connections } = options.load;
  const scales = [Math.min(...options.scales), Math.max(...options.scales)];
  const root = mkdtempSync(join(tmpdir(), 'portico-bench-storage-'));
  const devKeys = await loadOrCreateDevKeys(root);
  const identity = await serveIdentityJwks(devKeys);
  const engine = new PolicyEngine(loadPolicy('appdirect'));
  const children: Child[] = [];
  const mariaDbName = 'portico_bench_storage';
  try {
    const throughput: Record<'embedded' | 'mariadb', LoadRequest> = {} as never;
    for (const database of ['embedded', 'mariadb'] as const) {
      const dataDir = join(root, database);
      const databaseUrl = database === 'mariadb' ? await freshDatabase(mariaDbName) : undefined;
      const db = await Database.open({ dataDir, databaseUrl });
      try {
        await seedHierarchy(db, engine, OPERATOR, { scale: scales[0] });
        const portico = await startChild(`portico on ${database}`, ENTRY.portico, { ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), PORTICO_POLICY: 'appdirect', PORTICO_DATA_DIR: dataDir, PORTICO_SEED_DEMO: 'false', ...identity.env });
        children.push(portico);
        throughput[database] = await createAccountRequest(db, devKeys, portico.url);
      } finally {
        await db.close();
      }
      await assertMutates(throughput[database]);
    }
    for (const database of ['embedded', 'mariadb'] as const) await load(throughput[database], warmup, connections, true);
    const writeRounds = await alternate(['embedded', 'mariadb'] as const, rounds, (database) => load(throughput[database], seconds, connections));
    const mutationsPerSecond = { embedded: measured(writeRounds.map((r) => r.embedded.rps), 0), mariadb: measured(writeRounds.map((r) => r.mariadb.rps), 0) };
    const embeddedVsMariaDb = measured(writeRounds.map((r) => r.embedded.rps / r.mariadb.rps));
    log(`storage: createAccount/s embedded ${mutationsPerSecond.embedded.median}, MariaDB ${mutationsPerSecond.mariadb.median}: ${embeddedVsMariaDb.median}×`);
    await stopAll(children.splice(0));

    const seedSeconds: Record<number, number> = {};
    const single: Record<number, LoadRequest> = {};
    for (const scale of scales) {
      const dataDir = join(root, `embedded-${scale}`);
      const db = await Database.open({ dataDir });
      try {
        seedSeconds[scale] = (await seedHierarchy(db, engine, OPERATOR, { scale, progress: progressBar(`seeding ${scale.toLocaleString('en-US')} (SQLite)`) })).seconds;
        const portico = await startChild(`portico on ${scale} accounts`, ENTRY.portico, { PORTICO_POLICY: 'appdirect', PORTICO_DATA_DIR: dataDir, PORTICO_SEED_DEMO: 'false', ...identity.env });
        children.push(portico);
        single[scale] = await createAccountRequest(db, devKeys, portico.url);
      } finally {
        await db.close();
      }
      await assertMutates(single[scale]);
      log(`storage: ${scale.toLocaleString('en-US')} accounts seeded on SQLite in ${seedSeconds[scale].toFixed(1)} s`);
    }
    for (const scale of scales) await load(single[scale], warmup, 1, true);
    const latencyRounds = await alternate(scales.map(String), rounds, (scale) => load(single[Number(scale)], seconds, 1));
    const latency: StorageResult['latency'] = {};
    for (const scale of scales) {
      const of = (figure: 'mean' | 'p50' | 'p99') => measured(latencyRounds.map((r) => r[String(scale)][figure]), 2);
      latency[scale] = { mean: of('mean'), p50: of('p50'), p99: of('p99') };
    }
    const [smallest, largest] = scales.map(String);
    const latencyGrowth = measured(latencyRounds.map((r) => r[largest].mean / r[smallest].mean));
    log(`storage: one mutation, mean ${scales.map((s) => `${s}: ${latency[s].mean.median} ms`).join(', ')}: ${latencyGrowth.median}×`);
    return { mutationsPerSecond, embeddedVsMariaDb, scales, seedSeconds, latency, latencyGrowth };
  } finally {
    await stopAll(children);
    await identity.close();
    await dropDatabase(mariaDbName);
    rmSync(root, { recursive: true, force: true });
  }
}
