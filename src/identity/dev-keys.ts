import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';
import { join } from 'path';

export const DEV_ISSUER = 'portico-dev';
export const DEV_AUDIENCE = 'portico';
const ALG = 'ES256';
/** The development key's file in the data directory. */
export const DEV_KEY_FILE = 'dev-signing-key.json';

export interface DevKeyPair {
  privateKey: KeyLike;
  publicKey: KeyLike;
  kid: string;
}

/**
 * The development signing key: created on first start under the data directory, so tokens minted by
 * `npm run token` stay valid across restarts. Production deployments use a JWKS URL instead.
 */
export async function loadOrCreateDevKeys(dataDir: string): Promise<DevKeyPair> {
  const file = join(dataDir, DEV_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), alg: ALG, kid: `dev-${Date.now().toString(36)}` };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(jwk, null, 2), { mode: 0o600, flag: 'wx' });
  }
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK & { kid: string };
  const { d: _private, ...publicJwk } = jwk;
  return {
    privateKey: (await importJWK(jwk, ALG)) as KeyLike,
    publicKey: (await importJWK(publicJwk, ALG)) as KeyLike,
    kid: jwk.kid,
  };
}
