import { mkdtempSync, rmSync } from 'fs';
import { createServer, type Server } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { CONTEXT_HEADER, contextVerifier, loadOrCreateContextSigner, startDemoSubgraph, type ContextSigner, type DemoSubgraph, type DemoSubgraphName } from '../../src';
import { signDevToken } from '../../src/identity';
import type { DatabaseKind } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

export interface Result {
  status: number;
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

/**
 * Stands in for the gateway on the subgraph's side: publishes the keys of a context signer, and passes the
 * subgraph's calls to Portico on as the user the context token names (a development bearer token for them).
 * It counts the calls, so tests can see what the subgraph asked.
 */
async function startGatewayStandIn(t: TestPortico, signer: ContextSigner): Promise<{ porticoUrl: string; contextJwksUrl: string; calls: () => number; stop(): Promise<void> }> {
  const verifier = contextVerifier({ jwks: signer.jwks() });
  let calls = 0;
  const server: Server = createServer(async (req, res) => {
    if (req.url === '/.well-known/portico/context-jwks.json') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify(signer.jwks()));
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    calls += 1;
    try {
      const claims = await verifier.verify(String(req.headers[CONTEXT_HEADER] ?? ''));
      const bearer = await signDevToken(t.portico.devKeys!, { id: claims.sub, email: claims.email ?? '' }, '1m');
      const response = await fetch(t.portico.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body });
      res.writeHead(response.status, { 'content-type': 'application/json' });
      res.end(await response.text());
    } catch {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'bad context token', extensions: { code: 'UNAUTHENTICATED' } }] }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    porticoUrl: `http://127.0.0.1:${port}/graphql`,
    contextJwksUrl: `http://127.0.0.1:${port}/.well-known/portico/context-jwks.json`,
    calls: () => calls,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
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

/** Portico on the preset's demo data, and the demo subgraph in front of it, asked directly with context tokens. */
export async function startDemoHarness(kind: DatabaseKind, preset: string, name: DemoSubgraphName): Promise<DemoHarness> {
  const t = await startTestPortico(kind, preset);
  const signerDir = mkdtempSync(join(tmpdir(), 'portico-demo-signer-'));
  const signer = await loadOrCreateContextSigner(signerDir);
  const standIn = await startGatewayStandIn(t, signer);
  const subgraph = await startDemoSubgraph(name, { porticoUrl: standIn.porticoUrl, contextJwksUrl: standIn.contextJwksUrl });
  const harness: DemoHarness = {
    t,
    subgraph,
    signer,
    async ask(as, query, variables, headers = {}) {
      const context: Record<string, string> = {};
      if (as) {
        const user = await t.user(as);
        context[CONTEXT_HEADER] = await signer.sign({ sub: user.id, acct: user.accountId, email: user.email });
      }
      const response = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json', ...context, ...headers }, body: JSON.stringify({ query, variables }) });
      return { status: response.status, ...((await response.json()) as object) };
    },
    accountId: async (accountName) => (await t.account(accountName)).id,
    porticoCalls: standIn.calls,
    async stop() {
      await subgraph.stop();
      await standIn.stop();
      await t.stop();
      rmSync(signerDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** The error codes of a result, in order. */
export const codes = (result: Result) => (result.errors ?? []).map((e) => e.extensions?.code);

/** Errors as [path, code] pairs, sorted, for exact comparisons. */
export const errorPaths = (result: Result) => (result.errors ?? []).map((e) => [(e.path ?? []).join('.'), e.extensions?.code]).sort();
