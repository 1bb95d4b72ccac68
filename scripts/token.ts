import { existsSync, readdirSync } from 'fs';
import libsql from 'libsql';
import { isAbsolute, join, relative, resolve } from 'path';
import { defaultDataDir, loadConfig, PRESETS, type PorticoConfig } from '../src/config';
import { canonicalEmail, visibly } from '../src/identifiers';
import { DEV_KEY_FILE, loadOrCreateDevKeys, signDevToken } from '../src/identity';
import { SQLITE_FILE } from '../src/storage/file-names';

interface TokenUser {
  id: string;
  email: string;
}

/** Why no token can be minted here: one line with the fix, and exit status 1. */
class NoToken extends Error {}

/** A directory as the reader typed it: relative to where they are, when it is below it. */
function shown(dir: string): string {
  const path = relative(process.cwd(), dir);
  return path !== '' && !path.startsWith('..') && !isAbsolute(path) ? path : dir;
}

/** The user with this email in an embedded database file, or undefined; NoToken when the file holds no Portico database. */
function findInFile(file: string, email: string): TokenUser | undefined {
  const db = new libsql(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT id, email FROM users WHERE email = ?').get(email) as TokenUser | undefined;
    return row && { id: row.id, email: row.email };
  } catch (error) {
    throw new NoToken(`${shown(file)} holds no Portico database (${(error as Error).message}); start Portico with this data directory (npm start), or point PORTICO_DATA_DIR at the running server's`);
  } finally {
    db.close();
  }
}

/** The other data directories under data/ whose database has this email: where the reader probably meant. */
function elsewhere(config: PorticoConfig, email: string): string[] {
  const root = resolve('data');
  if (!existsSync(root)) return [];
  const dirs = [root, ...readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(root, e.name))];
  return dirs.filter((dir) => {
    if (resolve(dir) === resolve(config.dataDir) || !existsSync(join(dir, SQLITE_FILE))) return false;
    try {
      return findInFile(join(dir, SQLITE_FILE), email) !== undefined;
    } catch {
      return false;
    }
  });
}

/** How to aim `npm run token` at another data directory: by its preset when it is one, else by path. */
function aimAt(dir: string, email: string): string {
  const preset = PRESETS.find((p) => resolve(dir) === resolve(defaultDataDir(p)));
  return `${preset ? `PORTICO_POLICY=${preset}` : `PORTICO_DATA_DIR=${shown(dir)}`} npm run token -- ${email}`;
}

/**
 * The user with this email, read with one query straight from the database the server uses (the SQLite file in
 * PORTICO_DATA_DIR, or DATABASE_URL): no ORM to load, so a token costs a fraction of a second.
 */
async function findUser(config: PorticoConfig, email: string): Promise<TokenUser> {
  const where = (dir: string) => `${shown(dir)} (${process.env.PORTICO_DATA_DIR ? 'PORTICO_DATA_DIR' : `the data directory of PORTICO_POLICY=${config.policy}`})`;
  if (config.databaseUrl) {
    const { createConnection } = await import('mysql2/promise');
    const connection = await createConnection({ uri: config.databaseUrl.replace(/^mariadb:/, 'mysql:'), connectTimeout: 5000 });
    try {
      const [rows] = await connection.query('SELECT id, email FROM users WHERE email = ?', [email]);
      const user = (rows as TokenUser[])[0];
      if (!user) throw new NoToken(`no user with email ${email} in the DATABASE_URL database; check the address, or start Portico once (npm start) to create the demo users`);
      return user;
    } finally {
      await connection.end();
    }
  }
  const file = join(config.dataDir, SQLITE_FILE);
  if (!existsSync(file)) {
    const others = elsewhere(config, email).map((dir) => aimAt(dir, email));
    throw new NoToken(
      `no database in ${where(config.dataDir)}: ` +
        (others.length > 0 ? `${email} is in another data directory: ${others.join(', or ')}` : `start Portico with this data directory first (npm start), or set PORTICO_POLICY / PORTICO_DATA_DIR as the running server has them`),
    );
  }
  const user = findInFile(file, email);
  if (user) return user;
  const others = elsewhere(config, email).map((dir) => aimAt(dir, email));
  throw new NoToken(
    `no user with email ${email} in ${where(config.dataDir)}: ` +
      (others.length > 0 ? `it is in another data directory: ${others.join(', or ')}` : `check the address (docs/walkthroughs.md lists the seeded users), or start Portico once (npm start) to create the demo users`),
  );
}

/** Prints a development token for an existing user: `npm run token -- <email>`. */
async function main(): Promise<void> {
  const email = process.argv[2];
  if (!email) {
    console.error('usage: npm run token -- <email>');
    process.exit(2);
  }
  const config = loadConfig();
  if (config.jwksUrl) {
    console.error('PORTICO_JWKS_URL is set: tokens come from your identity provider, not from Portico.');
    process.exit(2);
  }
  // Found by its canonical form, as stored: ADMIN@ACME.EXAMPLE is admin@acme.example; a look-alike is nobody.
  const canonical = canonicalEmail(email);
  if (!canonical.ok) {
    console.error(`${visibly(email)} is not an email address: ${canonical.reason}`);
    process.exit(2);
  }
  const user = await findUser(config, canonical.email);
  // Never a key of its own: a token signed by a key the server does not hold would only be refused there.
  if (!existsSync(join(config.dataDir, DEV_KEY_FILE))) {
    throw new NoToken(`no development signing key in ${shown(config.dataDir)} (${DEV_KEY_FILE}): the server creates it at its first start with this data directory; start Portico with PORTICO_DATA_DIR=${shown(config.dataDir)}, or point PORTICO_DATA_DIR at the running server's`);
  }
  const keys = await loadOrCreateDevKeys(config.dataDir);
  process.stdout.write(`${await signDevToken(keys, user)}\n`);
}

main().catch((error: Error) => {
  console.error(error instanceof NoToken || error.name === 'ConfigError' ? error.message : error);
  process.exit(1);
});
