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

  it('does not rebuild a current dist', async () => {
    const buildInfo = join(REPOSITORY_ROOT, 'dist', 'tsconfig.build.tsbuildinfo');
    const before = statSync(buildInfo).mtimeMs;
    expect((await npmToken(t, 'admin@acme.example')).status).toBe(0);
    expect(statSync(buildInfo).mtimeMs).toBe(before);
  });
});
