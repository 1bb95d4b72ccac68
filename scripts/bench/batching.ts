import { loadConfig } from '../../src/config';
import { startPortico } from '../../src/gateway/server';
import { addDashboardCustomers, dropDatabase, prepareEnvironment } from './fixtures';
import { load } from './load';
import type { BenchOptions } from './options';
import { ENTRY, startChild, stopAll, type Child } from './processes';
import { alternate, measured, type Measured } from './stats';

export const DASHBOARD = `query Dashboard($first: Int!, $parentId: ID!) {
  accounts(first: $first, filter: { type: CUSTOMER, parentId: $parentId }) {
    nodes { id name viewerCanManage users(first: 5) { nodes { email roles contactRoles } } }
  }
}`;

export interface BatchingResult {
  /** SQL statements per dashboard request, by page size. */
  statements: { batched: Record<number, number>; unbatched: Record<number, number> };
  pageSize: number;
  rps: { batched: Measured; unbatched: Measured };
  batchedVsUnbatched: Measured;
}

const PAGE_SIZES = [10, 50, 100];

/** The partner dashboard (appdirect, a partner's Account Manager) with DataLoader and with PORTICO_DATALOADER=off. */
export async function runBatching(options: BenchOptions, log: (line: string) => void): Promise<BatchingResult> {
  const { connections, seconds, rounds, warmup } = options.load;
  const env = await prepareEnvironment('appdirect', 'portico_bench_batching', (db) => addDashboardCustomers(db, 'Northwind Cloud', Math.max(...PAGE_SIZES), ['ACCOUNT_MANAGER', 'TECHNICAL_MANAGER']));
  const children: Child[] = [];
  try {
    const parentId = await env.accountId('Northwind Cloud');
    const token = await env.token('am@northwind.example');
    const bodyOf = (first: number) => JSON.stringify({ query: DASHBOARD, variables: { first, parentId } });
    // Statements are counted in this process, by the data source's own logger, on a Portico sharing the database.
    const portico = await startPortico({ ...loadConfig({ ...env.env, NODE_ENV: 'production', LOG_LEVEL: 'error' }), port: 0 });
    const statements: BatchingResult['statements'] = { batched: {}, unbatched: {} };
    try {
      for (const mode of ['batched', 'unbatched'] as const) {
        process.env.PORTICO_DATALOADER = mode === 'batched' ? 'on' : 'off';
        for (const first of PAGE_SIZES) {
          const counter = portico.services.db.statements;
          counter.reset();
          const response = await fetch(portico.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: bodyOf(first) });
          const json = (await response.json()) as { data?: { accounts: { nodes: unknown[] } }; errors?: unknown };
          if (json.errors || json.data?.accounts.nodes.length !== first) throw new Error(`dashboard (${mode}, ${first}): ${JSON.stringify(json).slice(0, 300)}`);
          statements[mode][first] = counter.count;
        }
      }
    } finally {
      delete process.env.PORTICO_DATALOADER;
      await portico.stop();
    }
    log(`batching: statements per request at ${PAGE_SIZES.join('/')}: batched ${PAGE_SIZES.map((n) => statements.batched[n]).join('/')}, unbatched ${PAGE_SIZES.map((n) => statements.unbatched[n]).join('/')}`);
    const batched = await startChild('portico (DataLoader)', ENTRY.portico, env.env);
    children.push(batched);
    const unbatched = await startChild('portico (PORTICO_DATALOADER=off)', ENTRY.portico, { ...env.env, PORTICO_DATALOADER: 'off' });
    children.push(unbatched);
    const pageSize = Math.max(...PAGE_SIZES);
    const request = (url: string) => ({ url, body: bodyOf(pageSize), headers: { authorization: `Bearer ${token}` } });
    const urls = { batched: batched.url, unbatched: unbatched.url };
    for (const url of Object.values(urls)) await load(request(url), warmup, connections, true);
    const results = await alternate(['batched', 'unbatched'] as const, rounds, (variant) => load(request(urls[variant]), seconds, connections));
    const result: BatchingResult = {
      statements,
      pageSize,
      rps: { batched: measured(results.map((r) => r.batched.rps), 1), unbatched: measured(results.map((r) => r.unbatched.rps), 1) },
      batchedVsUnbatched: measured(results.map((r) => r.batched.rps / r.unbatched.rps)),
    };
    log(`batching: page of ${pageSize}: batched ${result.rps.batched.median} req/s, unbatched ${result.rps.unbatched.median} req/s`);
    return result;
  } finally {
    await stopAll(children);
    await env.close();
    await dropDatabase(env.databaseName);
  }
}
