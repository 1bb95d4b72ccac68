import { spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { tmpdir } from 'os';
import { delimiter, join, resolve } from 'path';
import { DEV_AUDIENCE, DEV_ISSUER, signDevToken, TokenVerifier } from '../../src/identity';
import { addUser } from '../../src/storage/bootstrap';
import { databaseKinds } from '../support/databases';
import { codes, type GraphQLResult, ok, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const ROOT = resolve(__dirname, '../..');
const VIEWER = '{ viewer { user { email status canLogin } account { name status } roles permissions { permission } } }';

/** Posts an operation with exactly this Authorization header (or none). */
async function withHeader(t: TestPortico, authorization: string | undefined, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult> {
  const response = await fetch(t.portico.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
    body: JSON.stringify({ query, variables }),
  });
  return { ...((await response.json()) as GraphQLResult), status: response.status };
}

/**
 * The `token` script as package.json runs it: the project built with tsconfig.build.json, then
 * `node dist/scripts/token.js`. It is built once, into a temporary directory rather than dist/.
 */
let built: Promise<string> | undefined;
function buildTokenScript(): Promise<string> {
  built ??= (async () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.token).toBe('tsc -b tsconfig.build.json && node dist/scripts/token.js');
    expect(scripts.build).toBe('tsc -b tsconfig.build.json');
    const outDir = mkdtempSync(join(tmpdir(), 'portico-token-script-'));
    const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir, '--declaration', 'false', '--sourceMap', 'false', '--incremental', 'false'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    if (tsc.status !== 0) throw new Error(`the build failed: ${tsc.stdout}${tsc.stderr}`);
    return outDir;
  })();
  return built;
}
afterAll(async () => {
  if (built) rmSync(await built, { recursive: true, force: true });
});

/** Runs the built `token` script against the suite's data directory and database, with only the given variables set. */
async function runTokenScript(t: TestPortico, args: string[], env: Record<string, string | undefined> = {}) {
  const outDir = await buildTokenScript();
  const { dataDir, databaseUrl } = t.portico.services.config;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PORTICO_|DATABASE_URL$|NODE_ENV$|PORT$)/.test(key)));
  const result = spawnSync(process.execPath, [join(outDir, 'scripts', 'token.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...inherited, NODE_PATH: [join(ROOT, 'node_modules'), join(ROOT, 'dist', 'node_modules')].join(delimiter), PORTICO_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.each(databaseKinds())('bearer tokens on %s', (kind) => {
  describe('dstny', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
    });
    afterAll(() => t?.stop());

    const devSigned = (claims: Record<string, unknown>, { issuer = DEV_ISSUER, audience = DEV_AUDIENCE, lifetime = '5m' } = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: t.portico.devKeys!.kid }).setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime(lifetime).sign(t.portico.devKeys!.privateKey);

    it('a token of the development key signs the user in', async () => {
      const { viewer } = ok(await withHeader(t, `Bearer ${await t.token('admin@acme.example')}`, VIEWER));
      expect(viewer.user).toEqual({ email: 'admin@acme.example', status: 'ACTIVE', canLogin: true });
      expect(viewer.account).toEqual({ name: 'Acme Logistics', status: 'ACTIVE' });
      expect(viewer.roles).toEqual(['PORTAL_ADMINISTRATOR']);
      expect(viewer.permissions.length).toBeGreaterThan(0);
    });

    it('without a token, viewer is UNAUTHENTICATED, as a field error of an HTTP 200 response, and no data', async () => {
      const result = await withHeader(t, undefined, VIEWER);
      expect(result.status).toBe(200);
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
      expect(result.data ?? null).toBeNull();
    });

    const otherKeySigned = async (email: string) =>
      new SignJWT({ email }).setProtectedHeader({ alg: 'ES256' }).setSubject(email).setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setIssuedAt().setExpirationTime('5m').sign((await generateKeyPair('ES256')).privateKey);

    it.each([
      { title: 'a header that is not a bearer token', header: async () => 'Basic YWRtaW46YWRtaW4=', message: 'the Authorization header must be "Bearer <token>"' },
      { title: 'a garbage token', header: async () => 'Bearer not.a.token', message: 'the token is not valid' },
      { title: 'a token signed by another key', header: async (email: string) => `Bearer ${await otherKeySigned(email)}`, message: "the token is not valid: it was signed by another key, as a token minted in another data directory is; mint one with npm run token with the server's PORTICO_POLICY and PORTICO_DATA_DIR" },
      { title: 'an unsigned token', header: async (email: string) => `Bearer ${new UnsecuredJWT({ email }).setSubject(email).setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setIssuedAt().setExpirationTime('5m').encode()}`, message: 'the token is not valid' },
      { title: 'an expired token', header: async (email: string) => `Bearer ${await t.token(email, '-1s')}`, message: 'the token has expired' },
      { title: 'a token for another audience', header: async (email: string) => `Bearer ${await devSigned({ sub: email, email }, { audience: 'someone-else' })}`, message: 'the token is not valid' },
      { title: 'a token from another issuer', header: async (email: string) => `Bearer ${await devSigned({ sub: email, email }, { issuer: 'https://elsewhere.example' })}`, message: 'the token is not valid' },
      { title: 'a token without exp', header: async (email: string) => `Bearer ${await new SignJWT({ email }).setProtectedHeader({ alg: 'ES256', kid: t.portico.devKeys!.kid }).setSubject((await t.user(email)).id).setIssuer(DEV_ISSUER).setAudience(DEV_AUDIENCE).setIssuedAt().sign(t.portico.devKeys!.privateKey)}`, message: 'the token carries no exp claim' },
      { title: 'a token for an unknown user', header: async () => `Bearer ${await signDevToken(t.portico.devKeys!, { id: randomUUID(), email: 'ghost@nowhere.example' })}`, message: 'the token names no known user' },
    ])('$title is UNAUTHENTICATED with HTTP 401, and no data', async ({ header, message }) => {
      const user = await t.user('admin@acme.example');
      const authorization = await header(user.email);
      const before = await t.snapshot();
      for (const query of [VIEWER, 'query($id: ID!) { account(id: $id) { name } }']) {
        const result = await withHeader(t, authorization, query, { id: user.accountId });
        expect(result.status).toBe(401);
        expect(result.errors).toEqual([expect.objectContaining({ message, extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
        expect(result.data).toBeUndefined();
      }
      const mutation = await withHeader(t, authorization, 'mutation($id: ID!) { setContactRoles(userId: $id, roles: []) { id } }', { id: user.id });
      expect(mutation.status).toBe(401);
      expect(codes(mutation)).toEqual(['UNAUTHENTICATED']);
      expect(await t.snapshot()).toEqual(before);
    });

    it('the development key verifies what signDevToken signs, and nothing past its lifetime', async () => {
      const user = await t.user('fleet@acme.example');
      const verifier = new TokenVerifier({ devKeys: t.portico.devKeys! });
      expect(await verifier.verify(await signDevToken(t.portico.devKeys!, user))).toMatchObject({ subject: user.id, claims: expect.objectContaining({ email: 'fleet@acme.example' }) });
      await expect(verifier.verify(await signDevToken(t.portico.devKeys!, user, '-1s'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'the token has expired' });
    });

    /** What a Portal Administrator of Acme can otherwise do; each must be refused while they or Acme are suspended. */
    async function refusedEverythingButViewer(email: string, accountName: string) {
      const account = await t.account(accountName);
      const colleague = await t.user('fleet@acme.example');
      const self = await t.user(email);
      const before = await t.snapshot();
      const reads = ok(
        await t.gql(email, `query($id: ID!, $colleague: ID!) {
          account(id: $id) { name }
          accounts { nodes { name } }
          user(id: $colleague) { email }
          authorize(checks: [{ permission: "invoices:read", accountId: $id }]) { allowed }
          viewer { permissions { permission } own: permissions(accountId: $id) { permission } user { account { name } } }
        }`, { id: account.id, colleague: colleague.id }),
      );
      expect(reads).toEqual({ account: null, accounts: { nodes: [] }, user: null, authorize: [{ allowed: false }], viewer: { permissions: [], own: [], user: { account: null } } });
      const refused = [
        await t.gql(email, 'query($id: ID!) { communicationRecipients(topic: NEWS, accountId: $id) { email } }', { id: account.id }),
        await t.gql(email, 'query($id: ID!) { auditEvents(accountId: $id) { nodes { id } } }', { id: account.id }),
        await t.gql(email, 'mutation($id: ID!) { setContactRoles(userId: $id, roles: [BILLING_CONTACT]) { id } }', { id: colleague.id }),
        await t.gql(email, 'mutation($id: ID!) { setContactRoles(userId: $id, roles: [BILLING_CONTACT]) { id } }', { id: self.id }),
        await t.gql(email, 'mutation($id: ID!) { assignRole(userId: $id, role: "INSIGHT_USER") { id } }', { id: colleague.id }),
        await t.gql(email, 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }', { input: { accountId: account.id, email: `x-${randomUUID().slice(0, 6)}@acme.example`, name: 'X', roles: [] } }),
      ];
      expect(refused.map(codes)).toEqual(refused.map(() => ['NOT_FOUND']));
      expect(await t.snapshot()).toEqual(before);
    }

    it('a suspended user can read viewer, and nothing else, until reactivated', async () => {
      const acme = await t.account('Acme Logistics');
      await addUser(t.portico.services.db.manager, acme, { email: 'second-admin@acme.example', name: 'Second Admin', roles: ['PORTAL_ADMINISTRATOR'] });
      const second = await t.user('second-admin@acme.example');
      const SET_STATUS = 'mutation($id: ID!, $status: UserStatus!) { setUserStatus(id: $id, status: $status) { status } }';
      expect(ok(await t.gql(OPERATOR, SET_STATUS, { id: second.id, status: 'SUSPENDED' })).setUserStatus.status).toBe('SUSPENDED');

      const { viewer } = ok(await t.gql('second-admin@acme.example', VIEWER));
      expect(viewer).toEqual({ user: { email: 'second-admin@acme.example', status: 'SUSPENDED', canLogin: false }, account: { name: 'Acme Logistics', status: 'ACTIVE' }, roles: ['PORTAL_ADMINISTRATOR'], permissions: [] });
      await refusedEverythingButViewer('second-admin@acme.example', 'Acme Logistics');

      expect(ok(await t.gql(OPERATOR, SET_STATUS, { id: second.id, status: 'ACTIVE' })).setUserStatus.status).toBe('ACTIVE');
      expect(ok(await t.gql('second-admin@acme.example', 'query($id: ID!) { account(id: $id) { name } }', { id: acme.id })).account).toEqual({ name: 'Acme Logistics' });
    });

    it('a user of a suspended account can read viewer, and nothing else, until the account is reactivated', async () => {
      const acme = await t.account('Acme Logistics');
      const SET_STATUS = 'mutation($id: ID!, $status: AccountStatus!) { setAccountStatus(id: $id, status: $status) { status } }';
      expect(ok(await t.gql(OPERATOR, SET_STATUS, { id: acme.id, status: 'SUSPENDED' })).setAccountStatus.status).toBe('SUSPENDED');

      const { viewer } = ok(await t.gql('admin@acme.example', VIEWER));
      expect(viewer).toEqual({ user: { email: 'admin@acme.example', status: 'ACTIVE', canLogin: true }, account: { name: 'Acme Logistics', status: 'SUSPENDED' }, roles: ['PORTAL_ADMINISTRATOR'], permissions: [] });
      await refusedEverythingButViewer('admin@acme.example', 'Acme Logistics');

      expect(ok(await t.gql(OPERATOR, SET_STATUS, { id: acme.id, status: 'ACTIVE' })).setAccountStatus.status).toBe('ACTIVE');
      expect(ok(await t.gql('admin@acme.example', 'query($id: ID!) { account(id: $id) { name } }', { id: acme.id })).account).toEqual({ name: 'Acme Logistics' });
    });

    describe('npm run token', () => {
      // Compiling the project takes a minute on a busy machine: done before the tests, not inside the first one.
      beforeAll(() => buildTokenScript(), 240_000);

      it('prints a token for an existing user that the server accepts', async () => {
        const run = await runTokenScript(t, ['PPA@Northwind.example']);
        expect(run).toMatchObject({ status: 0, stderr: '' });
        expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
        const token = run.stdout.trim();
        const user = await t.user('ppa@northwind.example');
        expect(await new TokenVerifier({ devKeys: t.portico.devKeys! }).verify(token)).toMatchObject({ subject: user.id, claims: expect.objectContaining({ email: 'ppa@northwind.example' }) });
        expect(ok(await withHeader(t, `Bearer ${token}`, VIEWER)).viewer.user.email).toBe('ppa@northwind.example');
      });

      it.each([
        { title: 'no email: exit 2 with the usage', args: [], env: {}, status: 2, stderr: /usage: npm run token -- <email>/ },
        { title: 'an unknown email: exit 1', args: ['ghost@nowhere.example'], env: {}, status: 1, stderr: /no user with email ghost@nowhere.example/ },
        { title: 'with an identity provider configured: exit 2', args: ['ppa@northwind.example'], env: { PORTICO_JWKS_URL: 'https://idp.example/.well-known/jwks.json' }, status: 2, stderr: /PORTICO_JWKS_URL is set/ },
      ])('refuses $title, printing no token', async ({ args, env, status, stderr }) => {
        const run = await runTokenScript(t, args, env);
        expect(run.status).toBe(status);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(stderr);
      });
    });
  });

  describe('unifyr', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'unifyr');
    });
    afterAll(() => t?.stop());

    it('a Sales Rep\'s valid token is refused: UNAUTHENTICATED, HTTP 401', async () => {
      const result = await t.gql('rep@northwind.example', VIEWER);
      expect({ status: result.status, codes: codes(result), message: result.errors?.[0]?.message, data: result.data }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'], message: 'this user cannot log in', data: undefined });
    });
  });
});
