import { execFileSync, spawn, type ChildProcess } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { CONTEXT_HEADER } from 'portico-kit';
import { loadOrCreateContextSigner, type ContextSigner } from '../../src/identity/context-token';

// The kit as a subgraph team gets it: `npm pack` of packages/kit, installed into an empty folder with the
// package.json and tsconfig.json of docs/kit.md's quickstart (its few packages from the local npm cache), and the
// quickstart's src/invoices.ts compiled and run against a gateway's context tokens.
const ROOT = join(__dirname, '..', '..');
const KIT = join(ROOT, 'packages', 'kit');
const DOC = readFileSync(join(ROOT, 'docs', 'kit.md'), 'utf8');
/** The gateway's packages, none of which a subgraph that installs the kit may get. */
const GATEWAY_ONLY = ['typeorm', 'libsql', 'mysql2', '@apollo/server', '@apollo/subgraph', '@graphql-hive/gateway-runtime', '@graphql-hive/router-runtime', 'type-graphql', 'react', 'react-dom', 'graphiql', 'pino', 'prom-client'];

/** The code block of docs/kit.md titled `title`. */
function block(title: string): string {
  const match = new RegExp('```\\w+ title="' + title.replace(/[./]/g, '\\$&') + '"\\n([\\s\\S]*?)```').exec(DOC);
  if (!match) throw new Error(`docs/kit.md has no block titled ${title}`);
  return match[1];
}

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });

describe('the kit, packed and installed on its own (docs/kit.md quickstart)', () => {
  let app: string;
  let signer: ContextSigner;
  let portico: Server;
  let subgraph: ChildProcess;
  let url: string;
  let output = '';
  const waiting: Array<{ text: string; resolve: () => void }> = [];
  /** Resolves once the subgraph has written `text` (stdout or stderr). */
  const written = (text: string) => new Promise<void>((resolve) => (output.includes(text) ? resolve() : waiting.push({ text, resolve })));
  const asked: Array<{ permission: string; accountId: string }> = [];

  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'portico-kit-app-'));
    npm(['pack', '--pack-destination', app], KIT);
    const tarball = readdirSync(app).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack wrote no tarball');
    const manifest = JSON.parse(block('package.json')) as { dependencies: Record<string, string> };
    manifest.dependencies['portico-kit'] = `file:./${tarball}`;
    writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(join(app, 'tsconfig.json'), block('tsconfig.json'));
    mkdirSync(join(app, 'src'));
    writeFileSync(join(app, 'src', 'invoices.ts'), block('src/invoices.ts'));
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    execFileSync(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, encoding: 'utf8' });

    // The gateway's side: its signer and published keys, and Portico's `authorize` (invoices:read only).
    signer = await loadOrCreateContextSigner(join(app, 'gateway-data'));
    portico = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/portico/context-jwks.json') return void res.end(JSON.stringify(signer.jwks()));
      const checks = (JSON.parse(body) as { variables: { c: Array<{ permission: string; accountId: string }> } }).variables.c;
      asked.push(...checks);
      const authorize = checks.map(({ permission, accountId }) => ({ permission, accountId, allowed: permission === 'invoices:read', scope: null, reason: 'the test policy' }));
      res.end(JSON.stringify({ data: { authorize } }));
    });
    await new Promise<void>((resolve) => portico.listen(0, '127.0.0.1', resolve));

    subgraph = spawn(process.execPath, [join(app, 'dist', 'invoices.js')], { env: { ...process.env, PORT: '0', PORTICO_URL: `http://127.0.0.1:${(portico.address() as AddressInfo).port}` } });
    url = await new Promise<string>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        for (const waiter of waiting.filter((w) => output.includes(w.text))) waiter.resolve();
        const port = /invoices subgraph on http:\/\/localhost:(\d+)\/graphql/.exec(output)?.[1];
        if (port) resolve(`http://127.0.0.1:${port}/graphql`);
      };
      subgraph.stdout!.on('data', read);
      subgraph.stderr!.on('data', read);
      subgraph.once('exit', (code) => reject(new Error(`the subgraph exited (${code}): ${output}`)));
    });
  }, 240_000);

  afterAll(async () => {
    subgraph?.kill();
    await new Promise<void>((resolve) => (portico ? portico.close(() => resolve()) : resolve()));
    if (app) rmSync(app, { recursive: true, force: true });
  });

  const call = async (query: string, token?: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { [CONTEXT_HEADER]: token } : {}) }, body: JSON.stringify({ query }) });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
  };
  const alice = () => signer.sign({ sub: 'user-alice', acct: 'acct-northwind', roles: ['Billing'] }, 'invoices');

  it('ships dist/ alone, with a prepack build, types for every entry point and graphql as a peer', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', 'portico-kit', 'package.json'), 'utf8')) as Record<string, unknown> & { exports: Record<string, { types?: string }>; peerDependencies: Record<string, string> };
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.sideEffects).toBe(false);
    expect(Object.keys(manifest.peerDependencies)).toContain('graphql');
    for (const entry of ['.', './http', './type-graphql']) expect(existsSync(join(app, 'node_modules', 'portico-kit', manifest.exports[entry].types!))).toBe(true);
    expect(readdirSync(join(app, 'node_modules', 'portico-kit')).sort()).toEqual(['README.md', 'dist', 'package.json']);
  });

  it('an ES module imports it by name too (CommonJS, its named exports seen by Node)', () => {
    const source = "import { porticoKit, buildSubgraphSchema, requirePortico } from 'portico-kit'; console.log([porticoKit, buildSubgraphSchema, requirePortico].map((f) => typeof f).join(' '));";
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', source], { cwd: app, encoding: 'utf8' }).trim()).toBe('function function function');
  });

  it("installs none of the gateway's packages, and few of any", () => {
    const tree = npm(['ls', '--omit=dev', '--all', '--parseable'], app).trim().split('\n').slice(1);
    const names = tree.map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(names).toContain('portico-kit');
    expect(names).toContain('jose');
    expect(names.filter((name) => GATEWAY_ONLY.includes(name) || name.startsWith('@graphql-hive/') || name.startsWith('@apollo/'))).toEqual([]);
    expect(names.length).toBeLessThan(15);
  });

  it('answers an allowed query: the caller reads its own account\'s invoices', async () => {
    expect(await call('{ invoices { number total } }', await alice())).toEqual({ status: 200, body: { data: { invoices: [{ number: 'INV-1001', total: 120.5 }] } } });
    expect(asked).toContainEqual({ permission: 'invoices:read', accountId: 'acct-northwind' });
  });

  it('refuses a denied mutation FORBIDDEN, and a request without a context token UNAUTHENTICATED', async () => {
    const denied = await call('mutation { voidInvoice(id: "inv-1") { id } }', await alice());
    expect(denied.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(denied.body.errors?.[0].message).toBe('not allowed: requires invoices:void on account acct-northwind');
    const anonymous = await call('{ invoices { number } }');
    expect(anonymous.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });

  it("refuses a token signed for another subgraph, and says why in the subgraph's log", async () => {
    const tickets = await signer.sign({ sub: 'user-alice', acct: 'acct-northwind' }, 'tickets');
    expect(await call('{ invoices { number } }', tickets)).toEqual({ status: 401, body: { errors: [{ message: 'the context token is not valid', extensions: { code: 'UNAUTHENTICATED' } }] } });
    const line = 'refused a context token for subgraph "invoices" (audience): it is for "portico-subgraph:tickets"';
    await written(line);
    expect(output).toContain(line);
  });
});
