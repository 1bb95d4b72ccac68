import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'fs';
import libsql from 'libsql';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadOrCreateDevKeys } from '../../src/identity';
import { REPOSITORY_ROOT, runCommand, type CommandResult } from '../support/commands';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';


/** `npm run --silent token -- <args>` as a reader types it, against the running server's database. */
async function npmToken(t: TestPortico, ...args: string[]): Promise<CommandResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORTICO_DATA_DIR: t.dataDir };
  delete env.DATABASE_URL;
  if (t.portico.services.config.databaseUrl) env.DATABASE_URL = t.portico.services.config.databaseUrl;
  return runCommand('npm', ['run', '--silent', 'token', '--', ...args], env);
}

describe.each(databaseKinds())('npm run token (%s)', (kind) => {
  let t: TestPortico;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
  });
  afterAll(() => t?.stop());

  it("prints a token for a user of the running server's database that signs them in", async () => {
    const { status, stdout } = await npmToken(t, 'PPM@northwind.example');
    expect(status).toBe(0);
    const viewer = await t.gql({ token: stdout.trim() }, '{ viewer { user { email } } }');
    expect(viewer.data).toEqual({ viewer: { user: { email: 'ppm@northwind.example' } } });
  });

  it.each([
    { title: 'upper case', email: 'ADMIN@ACME.EXAMPLE' },
    { title: 'fullwidth letters', email: '\uff41dmin@acme.example' },
    { title: 'spaces around it', email: '  Admin@Acme.Example ' },
  ])('finds the user by the canonical form of an email in $title', async ({ email }) => {
    const { status, stdout } = await npmToken(t, email);
    expect(status).toBe(0);
    const viewer = await t.gql({ token: stdout.trim() }, '{ viewer { user { email } } }');
    expect(viewer.data).toEqual({ viewer: { user: { email: 'admin@acme.example' } } });
  });

  it.each([
    { title: 'a Cyrillic а', email: '\u0430dmin@acme.example', status: 1, stderr: /^no user with email \u0430dmin@acme\.example in / },
    { title: 'a dotless ı', email: 'adm\u0131n@acme.example', status: 1, stderr: /^no user with email adm\u0131n@acme\.example in / },
    { title: 'a zero-width space', email: 'ad\u200bmin@acme.example', status: 2, stderr: /is not an email address: it contains U\+200B, an invisible or control character/ },
  ])('prints no token for $title', async ({ email, status, stderr }) => {
    const result = await npmToken(t, email);
    expect(result.status).toBe(status);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(stderr);
  });

  it('does not rebuild a current dist', async () => {
    const buildInfo = join(REPOSITORY_ROOT, 'dist', 'tsconfig.build.tsbuildinfo');
    const before = statSync(buildInfo).mtimeMs;
    expect((await npmToken(t, 'admin@acme.example')).status).toBe(0);
    expect(statSync(buildInfo).mtimeMs).toBe(before);
  });
});

/** `node dist/scripts/token.js` (what `npm run token` runs) in a folder of the reader's, where `data/` is theirs. */
const tokenIn = (cwd: string, env: NodeJS.ProcessEnv, email: string) =>
  runCommand(process.execPath, [join(REPOSITORY_ROOT, 'dist', 'scripts', 'token.js'), email], { ...cleanEnv(), ...env }, cwd);

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'PORTICO_DATA_DIR', 'PORTICO_POLICY', 'PORTICO_JWKS_URL']) delete env[name];
  return env;
}

describe.each(databaseKinds())('npm run token against the wrong data directory (%s)', (kind) => {
  let t: TestPortico;
  let root: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
    expect((await runCommand('npm', ['run', '--silent', 'build'], process.env)).status).toBe(0);
    root = mkdtempSync(join(tmpdir(), 'portico-token-'));
    // The reader's data/dstny: a copy of the server's database (on SQLite) without the server's keys.
    mkdirSync(join(root, 'data', 'dstny'), { recursive: true });
    const url = t.portico.services.config.databaseUrl;
    env = url ? { DATABASE_URL: url } : {};
    if (!url) {
      const db = new libsql(join(t.dataDir, 'portico.sqlite'));
      db.exec(`VACUUM INTO '${join(root, 'data', 'dstny', 'portico.sqlite')}'`);
      db.close();
    }
  });
  afterAll(async () => {
    await t?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('refuses to mint without the data directory\'s signing key, rather than sign with a key the server does not have', async () => {
    const result = await tokenIn(root, env, 'admin@acme.example');
    expect(result).toEqual({
      status: 1,
      stdout: '',
      stderr: "no development signing key in data/dstny (dev-signing-key.json): the server creates it at its first start with this data directory; start Portico with PORTICO_DATA_DIR=data/dstny, or point PORTICO_DATA_DIR at the running server's\n",
    });
    expect(existsSync(join(root, 'data', 'dstny', 'dev-signing-key.json'))).toBe(false);
  });

  it('a token minted in another data directory is refused by the server, naming both keys', async () => {
    const otherKeys = await loadOrCreateDevKeys(join(root, 'data', 'dstny'));
    const minted = await tokenIn(root, env, 'admin@acme.example');
    expect(minted.status).toBe(0);
    const result = await t.gql({ token: minted.stdout.trim() }, '{ viewer { user { email } } }');
    expect(result.errors).toEqual([
      expect.objectContaining({
        message: `the token is not valid: it was signed by another key (key ${otherKeys.kid}; this server's is ${t.portico.devKeys!.kid}), as a token minted in another data directory is; mint one with npm run token with the server's PORTICO_POLICY and PORTICO_DATA_DIR`,
        extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      }),
    ]);
    expect(otherKeys.kid).not.toBe(t.portico.devKeys!.kid);
  });

  if (kind !== 'sqlite') return;

  it.each([
    {
      title: 'a preset whose data directory has no database, when another has the user',
      policy: 'appdirect',
      email: 'admin@acme.example',
      stderr: 'no database in data/appdirect (the data directory of PORTICO_POLICY=appdirect): admin@acme.example is in another data directory: PORTICO_POLICY=dstny npm run token -- admin@acme.example\n',
    },
    {
      title: 'a preset whose data directory has no database, when none has the user',
      policy: 'unifyr',
      email: 'nobody@acme.example',
      stderr: 'no database in data/unifyr (the data directory of PORTICO_POLICY=unifyr): start Portico with this data directory first (npm start), or set PORTICO_POLICY / PORTICO_DATA_DIR as the running server has them\n',
    },
    {
      title: 'a database without that user',
      policy: 'dstny',
      email: 'ghost@acme.example',
      stderr: 'no user with email ghost@acme.example in data/dstny (the data directory of PORTICO_POLICY=dstny): check the address (docs/walkthroughs.md lists the seeded users), or start Portico once (npm start) to create the demo users\n',
    },
  ])('says why in one line, with the fix, for $title', async ({ policy, email, stderr }) => {
    const result = await tokenIn(root, { PORTICO_POLICY: policy }, email);
    expect(result).toEqual({ status: 1, stdout: '', stderr });
  });

  it('says so when the file in the data directory is no Portico database', async () => {
    mkdirSync(join(root, 'elsewhere'));
    writeFileSync(join(root, 'elsewhere', 'portico.sqlite'), '');
    const result = await tokenIn(root, { PORTICO_DATA_DIR: 'elsewhere' }, 'admin@acme.example');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^elsewhere\/portico\.sqlite holds no Portico database \(.*\); start Portico with this data directory \(npm start\), or point PORTICO_DATA_DIR at the running server's\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });
});
