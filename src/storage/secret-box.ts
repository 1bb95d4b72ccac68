import { createCipheriv, createDecipheriv, randomBytes } from 'crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';

/** The development secrets key's file in the data directory, beside the development signing keys. */
export const DEV_SECRETS_KEY_FILE = 'dev-secrets-key';

const ALGORITHM = 'aes-256-gcm';
const VERSION = 'v1';

/**
 * Encrypts secret account settings at rest with AES-256-GCM under a key held outside the database. What is sealed
 * is bound to where it belongs (`context`: the account and the setting), so a value copied to another row does not
 * open there.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the secrets key is 32 bytes');
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url: a fresh 96-bit IV every time. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
  }

  /** The plaintext, or an error when the value was sealed under another key or for another place, or altered. */
  open(sealed: string, context: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv(ALGORITHM, this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/**
 * The configured key, or (outside production) one created once under the data directory, as the development
 * signing keys are: every instance sharing the directory uses the same file. `created` says a key was made or read
 * from the directory, so the caller can warn that it sits beside the database.
 */
export function loadOrCreateSecretsKey(dataDir: string, configured?: Buffer): { key: Buffer; fromDataDir: boolean } {
  if (configured) return { key: configured, fromDataDir: false };
  const file = join(dataDir, DEV_SECRETS_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // another instance sharing the data directory created it first: use theirs
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 256-bit key: delete it only if no secret setting was stored under it`);
  return { key, fromDataDir: true };
}
