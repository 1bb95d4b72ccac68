import { statSync } from 'fs';
import { join } from 'path';
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
