import { existsSync } from 'fs';
import libsql from 'libsql';
import { join } from 'path';
import { loadConfig, type PorticoConfig } from '../src/config';
import { canonicalEmail, visibly } from '../src/identifiers';
import { loadOrCreateDevKeys, signDevToken } from '../src/identity';

interface TokenUser {
  id: string;
  email: string;
}

/**
 * The user with this email, read with one query straight from the database the server uses (the SQLite file in
 * PORTICO_DATA_DIR, or DATABASE_URL): no ORM to load, so a token costs a fraction of a second.
 */
async function findUser(config: PorticoConfig, email: string): Promise<TokenUser | undefined> {
  if (config.databaseUrl) {
    const { createConnection } = await import('mysql2/promise');
    const connection = await createConnection({ uri: config.databaseUrl.replace(/^mariadb:/, 'mysql:'), connectTimeout: 5000 });
    try {
      const [rows] = await connection.query('SELECT id, email FROM users WHERE email = ?', [email]);
      return (rows as TokenUser[])[0];
    } finally {
      await connection.end();
    }
  }
  const file = join(config.dataDir, 'portico.sqlite');
  if (!existsSync(file)) return undefined;
  const db = new libsql(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT id, email FROM users WHERE email = ?').get(email) as TokenUser | undefined;
    return row && { id: row.id, email: row.email };
  } finally {
    db.close();
  }
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
  if (!user) {
    console.error(`no user with email ${email} in ${config.databaseUrl ? 'the DATABASE_URL database' : config.dataDir}; start Portico once (npm start) to create the demo users`);
    process.exit(1);
  }
  const keys = await loadOrCreateDevKeys(config.dataDir);
  process.stdout.write(`${await signDevToken(keys, user)}\n`);
}

main().catch((error: Error) => {
  console.error(error.name === 'ConfigError' ? error.message : error);
  process.exit(1);
});
