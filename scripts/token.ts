import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { loadOrCreateDevKeys, signDevToken } from '../src/identity';
import { Database } from '../src/storage/database';
import { UserEntity } from '../src/storage/entities';

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
  const db = await Database.open(config);
  try {
    const user = await db.manager.findOneBy(UserEntity, { email: email.toLowerCase() });
    if (!user) {
      console.error(`no user with email ${email}; start Portico once (npm start) to create the demo users`);
      process.exit(1);
    }
    const keys = await loadOrCreateDevKeys(config.dataDir);
    process.stdout.write(`${await signDevToken(keys, user)}\n`);
  } finally {
    await db.close();
  }
}

void main();
