import { createServer, type Server } from 'http';
import { CONTEXT_HEADER } from 'portico-kit';
import { loadOrCreateContextSigner, startDemoSubgraph, type ContextSigner, type DemoSubgraph, type DemoSubgraphName } from '../../src';
import { loadPrincipal } from '../../src/domain/principal';
import { contextClaimsOf } from '../../src/gateway/context';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { freePort } from '../../scripts/demo-run';
import { AccountEntity, PartnerGroupEntity } from '../../src/storage/entities';
import type { DatabaseKind } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

export interface Result {
  status: number;
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

/** Passes the subgraph's calls to Portico (at `target`, once set) unchanged, its context token included, and counts them. */
async function startCountingProxy(): Promise<{ url: string; calls: () => number; target(url: string): void; stop(): Promise<void> }> {
  let calls = 0;
  let target = '';
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    calls += 1;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const name of [CONTEXT_HEADER, 'authorization', 'x-request-id']) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
    const response = await fetch(target, { method: 'POST', headers, body });
    res.writeHead(response.status, { 'content-type': 'application/json' });
    res.end(await response.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/graphql`, calls: () => calls, target: (url) => void (target = url), stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface DemoHarness {
  t: TestPortico;
  subgraph: DemoSubgraph;
  signer: ContextSigner;
  /** Calls the subgraph as the user with this email (a context token for them), or with no context token. */
  ask(as: string | null, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<Result>;
  accountId(name: string): Promise<string>;
  /** Calls the subgraph made to Portico. */
  porticoCalls(): number;
  stop(): Promise<void>;
}

/**
 * Portico on the preset's demo data, as the gateway of a supergraph with the demo subgraph beside it (Portico takes
 * back only the context tokens of its supergraph's subgraphs), the subgraph asked directly with context tokens signed
 * by Portico's own context signer; the subgraph verifies them with Portico's published keys and asks Portico back.
 */
export async function startDemoHarness(kind: DatabaseKind, preset: string, name: DemoSubgraphName): Promise<DemoHarness> {
  const port = await freePort();
  const proxy = await startCountingProxy();
  const subgraph = await startDemoSubgraph(name, { porticoUrl: proxy.url, contextJwksUrl: `http://127.0.0.1:${port}${CONTEXT_JWKS_PATH}` });
  const t = await startTestPortico(kind, preset, { port, subgraphs: [{ name: subgraph.name, url: subgraph.url }] }).catch(async (error: unknown) => {
    await subgraph.stop();
    await proxy.stop();
    throw error;
  });
  proxy.target(t.portico.url);
  await subgraph.bindAccounts(Object.fromEntries((await t.portico.services.db.manager.find(AccountEntity)).map((account) => [account.name, account.id])));
  await subgraph.bindPartnerGroups(Object.fromEntries((await t.portico.services.db.manager.find(PartnerGroupEntity)).map((group) => [group.name, group.id])));
  // The gateway's own signer (its key lives in the data directory): the tokens are those the gateway would send.
  const signer = await loadOrCreateContextSigner(t.portico.services.config.dataDir, t.portico.services.config.contextSigningKey);
  const harness: DemoHarness = {
    t,
    subgraph,
    signer,
    async ask(as, query, variables, headers = {}) {
      const context: Record<string, string> = {};
      if (as) {
        // The claims the gateway would send for this caller (their account's name among them).
        const { services } = t.portico;
        const principal = await loadPrincipal(services.db, services.engine, { subject: (await t.user(as)).id, claims: {} }, 'test');
        context[CONTEXT_HEADER] = await signer.sign(contextClaimsOf(principal, new Set()), name);
      }
      const response = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json', ...context, ...headers }, body: JSON.stringify({ query, variables }) });
      return { status: response.status, ...((await response.json()) as object) };
    },
    accountId: async (accountName) => (await t.account(accountName)).id,
    porticoCalls: proxy.calls,
    async stop() {
      await subgraph.stop();
      await proxy.stop();
      await t.stop();
    },
  };
  return harness;
}

/** The error codes of a result, in order. */
export const codes = (result: Result) => (result.errors ?? []).map((e) => e.extensions?.code);

/** Errors as [path, code] pairs, sorted, for exact comparisons. */
export const errorPaths = (result: Result) => (result.errors ?? []).map((e) => [(e.path ?? []).join('.'), e.extensions?.code]).sort();
