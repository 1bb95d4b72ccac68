import { execFileSync, spawn, type ChildProcess } from 'child_process';
import { join } from 'path';
import { packageRoot } from '../../src/config';
import { databaseKinds } from '../support/databases';
import { codes, startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';

const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }';
const REVOKE = 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { status } }';
const START = 'mutation($customer: ID!) { startImpersonation(customerAccountId: $customer, reason: "two instances") { token session { id } } }';
const END = 'mutation($id: ID!) { endImpersonation(sessionId: $id) { status } }';
const VIEWER = '{ viewer { account { name } impersonation { id } } }';

/** A second Portico process, built from this checkout, on the same database and signing key as the first. */
async function startSecondInstance(t: TestPortico): Promise<{ url: string; process: ChildProcess }> {
  const root = packageRoot();
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--declaration', 'false'], { cwd: root, stdio: 'pipe' });
  const child = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: '0',
      DATABASE_URL: t.portico.services.config.databaseUrl,
      PORTICO_DATA_DIR: t.dataDir,
      PORTICO_POLICY: 'dstny',
      PORTICO_SEED_DEMO: 'false',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the second instance did not start:\n${output}`)), 30_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready in \d+ ms at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`the second instance exited with ${code}:\n${output}`)));
  });
  return { url, process: child };
}

async function post(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as GraphQLResult;
}

const onMariaDb = databaseKinds().includes('mysql');

describe('revocation across instances (two Portico processes on one MariaDB)', () => {
  if (!onMariaDb) {
    it('runs on MariaDB only: two processes cannot share the embedded SQLite file', () => {
      expect(process.env.CI).not.toBe('true');
      expect(process.env.PORTICO_TEST_DB).toBe('sqlite');
    });
    return;
  }

  let t: TestPortico;
  let second: { url: string; process: ChildProcess };
  let ids: Record<string, string>;

  beforeAll(async () => {
    t = await startTestPortico('mysql', 'dstny');
    second = await startSecondInstance(t);
    const [acme, northwind] = await Promise.all([t.account('Acme Logistics'), t.account('Northwind Telecom')]);
    ids = { acme: acme.id, northwind: northwind.id };
  }, 120_000);
  afterAll(async () => {
    second?.process.kill();
    await t?.stop();
  });

  const grant = async () => {
    const result = await t.gql('admin@acme.example', GRANT, { input: { customerAccountId: ids.acme, partnerAccountId: ids.northwind, rights: ['tickets:create'] } });
    expect(result.errors).toBeUndefined();
    return result.data!.grantImpersonation.id as string;
  };

  it('a grant revoked through the first instance refuses the session token at the second, on the very next request', async () => {
    const grantId = await grant();
    const started = (await t.gql('ppm@northwind.example', START, { customer: ids.acme })).data!.startImpersonation;
    const atSecond = await post(second.url, started.token, VIEWER);
    expect(atSecond.data!.viewer).toEqual({ account: { name: 'Acme Logistics' }, impersonation: { id: started.session.id } });

    expect((await t.gql('admin@acme.example', REVOKE, { id: grantId })).data!.revokeImpersonationGrant.status).toBe('REVOKED');
    expect(codes(await post(second.url, started.token, VIEWER))).toEqual(['UNAUTHENTICATED']);
  });

  it('a session started at the second instance and ended through the first is refused at both', async () => {
    const grantId = await grant();
    const manager = await t.token('ppm@northwind.example');
    const started = (await post(second.url, manager, START, { customer: ids.acme })).data!.startImpersonation;
    expect((await t.gql({ token: started.token }, VIEWER)).data!.viewer.impersonation.id).toBe(started.session.id);

    expect((await t.gql('admin@acme.example', END, { id: started.session.id })).data!.endImpersonation.status).toBe('ENDED');
    expect(codes(await post(second.url, started.token, VIEWER))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await t.gql({ token: started.token }, VIEWER))).toEqual(['UNAUTHENTICATED']);
    await t.gql('admin@acme.example', REVOKE, { id: grantId });
  });
});
