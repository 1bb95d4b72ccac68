import { loadPolicy } from '../../src/config';
import { signDevToken, loadOrCreateDevKeys } from '../../src/identity';
import { PolicyEngine } from '../../src/policy';
import { Database } from '../../src/storage/database';
import { AccountEntity, RoleAssignmentEntity, UserEntity } from '../../src/storage/entities';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { progressBar, seedHierarchy } from '../seed';
import { dropDatabase, freshDatabase, serveIdentityJwks } from './fixtures';
import { load, type LoadRequest } from './load';
import type { BenchOptions } from './options';
import { ENTRY, startChild, stopAll, type Child } from './processes';
import { alternate, measured, type Measured } from './stats';

export interface ScaleResult {
  /** Accounts per database. */
  scales: number[];
  seedSeconds: Record<number, number>;
  /** Milliseconds, per scale: `authorize` on a deepest account, and the first page of 100 of a partner's subtree. */
  authorize: Record<number, { p50: Measured; p99: Measured }>;
  descendants: Record<number, { p50: Measured; p99: Measured }>;
  /** p99 at the largest scale ÷ p99 at the smallest, per round. */
  p99GrowthAuthorize: Measured;
  p99GrowthDescendants: Measured;
}

const AUTHORIZE = 'query($a: ID!) { authorize(checks: [{ permission: "organizations:update", accountId: $a }]) { allowed reason } }';
const DESCENDANTS = '{ accounts(first: 100) { nodes { id name type } pageInfo { hasNextPage } } }';

/**
 * One Portico per scale on a seeded database (appdirect: partners, sub-partners, customers), asked one request at
 * a time so the latencies are those of the work, not of a queue: the Account Manager of the last partner decides on
 * its deepest customer, and reads the first page of its subtree.
 */
export async function runScale(options: BenchOptions, log: (line: string) => void): Promise<ScaleResult> {
  const { seconds, rounds, warmup } = options.load;
  const scales = [...options.scales].sort((a, b) => a - b);
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-bench-scale-'));
  const devKeys = await loadOrCreateDevKeys(dataDir);
  const identity = await serveIdentityJwks(devKeys);
  const engine = new PolicyEngine(loadPolicy('appdirect'));
  const children: Child[] = [];
  const requests: Record<number, { authorize: LoadRequest; descendants: LoadRequest }> = {};
  const seedSeconds: Record<number, number> = {};
  try {
    for (const scale of scales) {
      const databaseUrl = await freshDatabase(`portico_bench_scale_${scale}`);
      const db = await Database.open({ databaseUrl, dataDir });
      try {
        const summary = await seedHierarchy(db, engine, 'admin@platform.local', { scale, progress: progressBar(`seeding ${scale.toLocaleString('en-US')}`) });
        seedSeconds[scale] = summary.seconds;
        const [deepest] = await db.manager.find(AccountEntity, { where: { type: 'CUSTOMER' }, order: { depth: 'DESC', name: 'DESC' }, take: 1 });
        const partnerId = deepest.path.split('/').filter(Boolean)[1];
        const assignment = await db.manager.findOneByOrFail(RoleAssignmentEntity, { accountId: partnerId, role: 'ACCOUNT_MANAGER' });
        const manager = await db.manager.findOneByOrFail(UserEntity, { id: assignment.userId });
        // As the identity provider would: a verified email, which links the user at their first request.
        const headers = { authorization: `Bearer ${await signDevToken(devKeys, manager, '12h', { email_verified: true })}` };
        const portico = await startChild(`portico at ${scale} accounts`, ENTRY.portico, { DATABASE_URL: databaseUrl, PORTICO_POLICY: 'appdirect', PORTICO_DATA_DIR: dataDir, PORTICO_SEED_DEMO: 'false', ...identity.env });
        children.push(portico);
        requests[scale] = {
          authorize: { url: portico.url, body: JSON.stringify({ query: AUTHORIZE, variables: { a: deepest.id } }), headers },
          descendants: { url: portico.url, body: JSON.stringify({ query: DESCENDANTS }), headers },
        };
        const check = (await (await fetch(portico.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: requests[scale].authorize.body })).json()) as { data?: { authorize: Array<{ allowed: boolean }> } };
        if (!check.data?.authorize[0].allowed) throw new Error(`at ${scale} accounts the partner's Account Manager is not allowed on its deepest customer: ${JSON.stringify(check)}`);
        log(`scale: ${scale.toLocaleString('en-US')} accounts seeded in ${summary.seconds.toFixed(1)} s; deepest customer at depth ${deepest.depth}`);
      } finally {
        await db.close();
      }
    }
    const results: Record<'authorize' | 'descendants', ScaleResult['authorize']> = { authorize: {}, descendants: {} };
    const growth: Record<'authorize' | 'descendants', Measured> = {} as never;
    for (const kind of ['authorize', 'descendants'] as const) {
      for (const scale of scales) await load(requests[scale][kind], warmup, 1, true);
      const rounds_ = await alternate(scales.map(String), rounds, (scale) => load(requests[Number(scale)][kind], seconds, 1));
      for (const scale of scales) {
        results[kind][scale] = { p50: measured(rounds_.map((r) => r[String(scale)].p50), 2), p99: measured(rounds_.map((r) => r[String(scale)].p99), 2) };
      }
      const [smallest, largest] = [String(scales[0]), String(scales[scales.length - 1])];
      growth[kind] = measured(rounds_.map((r) => r[largest].p99 / r[smallest].p99));
      log(`scale: ${kind} p99 ${scales.map((s) => `${s}: ${results[kind][s].p99.median} ms`).join(', ')}`);
    }
    return { scales, seedSeconds, authorize: results.authorize, descendants: results.descendants, p99GrowthAuthorize: growth.authorize, p99GrowthDescendants: growth.descendants };
  } finally {
    await stopAll(children);
    await identity.close();
    for (const scale of scales) await dropDatabase(`portico_bench_scale_${scale}`);
  }
}
