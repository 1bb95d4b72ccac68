import { createServer, type Server } from 'net';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { MYSQL_URL } from './support/databases';
import { REPOSITORY_ROOT, runCommand } from './support/commands';
import { buildPortico, startPorticoProcess } from './support/processes';

const mysql = new URL(MYSQL_URL);
const server = `${mysql.hostname}:${mysql.port || 3306}`;
const withUser = (user: string) => `mysql://${user}@${server}`;

/** What a newcomer types, and the one line that tells them what to do. */
describe('a first start that cannot work stops with one line and exit status 1, no stack trace', () => {
  let dataDir: string;
  beforeAll(() => {
    buildPortico();
    dataDir = mkdtempSync(join(tmpdir(), 'portico-startup-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const start = (env: Record<string, string>) =>
    runCommand(process.execPath, [join(REPOSITORY_ROOT, 'dist', 'src', 'main.js')], { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'silent', PORT: '0', PORTICO_DATA_DIR: dataDir, ...env });

  it.each([
    { title: 'a MySQL server that is not running', url: 'mysql://root@127.0.0.1:1/portico', line: /^cannot reach MySQL\/MariaDB at 127\.0\.0\.1:1 \(ECONNREFUSED\): start it, or fix the host and port in DATABASE_URL$/ },
    { title: 'a database that does not exist', url: `${withUser('root')}/portico_missing_db`, line: /^database portico_missing_db does not exist on \S+: CREATE DATABASE `portico_missing_db` CHARACTER SET utf8mb4, or name another in DATABASE_URL$/ },
    { title: 'a wrong password', url: `${withUser('root:wrong-password')}/test`, line: /^MySQL\/MariaDB at \S+ refused user root \(Access denied for user .+\): check the user and password in DATABASE_URL$/ },
    { title: 'a URL without a database name', url: withUser('root'), line: /^DATABASE_URL="mysql:\/\/root@\S+" is not valid: expected a mysql:\/\/user:password@host:port\/database URL, with a database name, and no option but \?ssl=true$/ },
    { title: 'an option Portico does not read', url: `${withUser('root')}/test?ssl=1`, line: /^DATABASE_URL=".+\?ssl=1" is not valid: expected .+ no option but \?ssl=true$/ },
  ])('$title', async ({ url, line }) => {
    const result = await start({ DATABASE_URL: url });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^[^\n]+\n$/);
    expect(result.stderr.trim()).toMatch(line);
  });

  it("another preset on a data directory made with dstny: its users would hold no permission, so it is refused", async () => {
    const made = mkdtempSync(join(tmpdir(), 'portico-preset-'));
    try {
      await (await startPorticoProcess({ PORTICO_DATA_DIR: made, DATABASE_URL: undefined })).kill();
      const result = await start({ PORTICO_DATA_DIR: made, PORTICO_POLICY: 'appdirect' });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^[^\n]+\n$/);
      expect(result.stderr.trim()).toMatch(
        /^PORTICO_POLICY="appdirect" is not valid: expected the policy \S+ was made with \(dstny\): it holds roles appdirect does not define \(CUSTOMER\/FLEET_ADMINISTRATOR, .+, and \d+ more\); start with that policy, or another PORTICO_DATA_DIR$/,
      );
      const again = await startPorticoProcess({ PORTICO_DATA_DIR: made, DATABASE_URL: undefined, PORTICO_POLICY: 'dstny' });
      await again.kill();
    } finally {
      rmSync(made, { recursive: true, force: true });
    }
  });

  it('production without PORTICO_AUDIT_KEY: the audit trail needs a key held outside the database', async () => {
    const identity = { PORTICO_JWKS_URL: 'https://idp.example/jwks.json', PORTICO_JWT_ISSUER: 'https://idp.example/', PORTICO_JWT_AUDIENCE: 'portico' };
    const result = await start({ NODE_ENV: 'production', ...identity, PORTICO_AUDIT_KEY: '' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('PORTICO_AUDIT_KEY=(unset) is not valid: expected a secret of at least 32 characters, kept outside the database (openssl rand -base64 32 makes one) when NODE_ENV=production\n');
  });

  it('a port another process holds', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const result = await start({ PORT: String(port) });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`port ${port} is in use: stop the other process, or set PORT (and PORTICO_METRICS_PORT) to a free one\n`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
