import { createServer, type Server } from 'http';
import { CONTEXT_HEADER, loadOrCreateContextSigner, startDemoSubgraph, type ContextSigner, type DemoSubgraph, type DemoSubgraphName } from '../../src';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import type { DatabaseKind } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

export interface Result {
  status: number;
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

/** Passes the subgraph's calls to Portico unchanged (its context token included) and counts them. */
async function startCountingProxy(target: string): Promise<{ url: string; calls: () => number; stop(): Promise<void> }> {
  let calls = 0;
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
  return { url: `http://127.0.0.1:${port}/graphql`, calls: () => calls, stop: () => new Promise((resolve) => server.close(() => resolve())) };
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
 * Portico on the preset's demo data, and the demo subgraph beside it, asked directly with context tokens signed by
 * Portico's own context signer; the subgraph verifies them with Portico's published keys and asks Portico back.
 */
export async function startDemoHarness(kind: DatabaseKind, preset: string, name: DemoSubgraphName): Promise<DemoHarness> {
  const t = await startTestPortico(kind, preset);
  // The gateway's own signer (its key lives in the data directory): the tokens are those the gateway would send.
  const signer = await loadOrCreateContextSigner(t.portico.services.config.dataDir, t.portico.services.config.contextSigningKey);
  const proxy = await startCountingProxy(t.portico.url);
  const subgraph = await startDemoSubgraph(name, { porticoUrl: proxy.url, contextJwksUrl: new URL(CONTEXT_JWKS_PATH, t.portico.url).toString() });
  const harness: DemoHarness = {
    t,
    subgraph,
    signer,
    async ask(as, query, variables, headers = {}) {
      const context: Record<string, string> = {};
      if (as) {
        const user = await t.user(as);
        context[CONTEXT_HEADER] = await signer.sign({ sub: user.id, acct: user.accountId, email: user.email }, name);
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
