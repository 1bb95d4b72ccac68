import { createHmac, randomBytes } from 'crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import type { DataSource, EntityManager } from 'typeorm';
import { assertProductionAuditKey, type PorticoConfig } from '../config';

/** The development audit key's file in the data directory. */
export const AUDIT_KEY_FILE = 'audit-key';

/**
 * The key the audit trail is kept with: one key for the chain's event hashes and one for checkpoint signatures, both
 * derived from the configured secret, so a value of one kind can never pass for the other. `id` names the secret
 * without revealing it: a checkpoint or a verification says which key it expects.
 */
export class AuditKey {
  readonly id: string;
  private readonly chain: Buffer;
  private readonly checkpoint: Buffer;

  constructor(secret: string | Buffer) {
    const derive = (label: string) => createHmac('sha256', secret).update(label).digest();
    this.chain = derive('portico audit chain v2');
    this.checkpoint = derive('portico audit checkpoint v1');
    this.id = derive('portico audit key id').toString('hex').slice(0, 16);
  }

  /** HMAC-SHA-256 (lowercase hex) of an event's canonical JSON. */
  chainHash(text: string): string {
    return createHmac('sha256', this.chain).update(text).digest('hex');
  }

  /** HMAC-SHA-256 (lowercase hex) of a checkpoint's canonical JSON. */
  checkpointSignature(text: string): string {
    return createHmac('sha256', this.checkpoint).update(text).digest('hex');
  }
}

export interface LoadedAuditKey {
  key: AuditKey;
  /** The data directory's key file, when PORTICO_AUDIT_KEY is unset (development and tests only). */
  file?: string;
}

/**
 * PORTICO_AUDIT_KEY, else (outside production) a key created once under the data directory, as the development
 * signing key is. Production never falls back to a file: a key beside the database protects nothing.
 */
export function loadAuditKey(config: Partial<Pick<PorticoConfig, 'auditKey' | 'environment'>> & Pick<PorticoConfig, 'dataDir'>): LoadedAuditKey {
  if (config.auditKey) return { key: new AuditKey(config.auditKey) };
  assertProductionAuditKey({ environment: config.environment ?? 'development', auditKey: config.auditKey });
  const file = join(config.dataDir, AUDIT_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process sharing the data directory created it first: theirs is the key.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return { key: new AuditKey(readFileSync(file, 'utf8').trim()), file };
}

/**
 * The secret of the data directory's key file (created when missing), for a tool that starts a production Portico on
 * a database it wrote itself, as the benchmarks do: it passes it on as PORTICO_AUDIT_KEY.
 */
export function auditKeySecretIn(dataDir: string): string {
  loadAuditKey({ dataDir });
  return readFileSync(join(dataDir, AUDIT_KEY_FILE), 'utf8').trim();
}

/** The key each open database's trail is kept with: appending to a chain needs it, whichever caller appends. */
const keys = new WeakMap<DataSource, AuditKey>();

export function useAuditKey(dataSources: DataSource[], key: AuditKey): void {
  for (const dataSource of dataSources) keys.set(dataSource, key);
}

/** The audit key of the database this manager belongs to; a database opened without one cannot write the trail. */
export function auditKeyOf(em: EntityManager): AuditKey {
  const key = keys.get(em.connection);
  if (!key) throw new Error('this database was opened without an audit key: open it with Database.open');
  return key;
}
