import { randomBytes } from 'crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { basename, join } from 'path';
import { createInterface } from 'readline';
import { In, type EntityManager } from 'typeorm';
import { canonicalJson, type ChainHead, type CheckpointedHead } from './audit-chain';
import type { AuditKey } from './audit-key';
import { AuditChainHeadEntity } from './entities';

export type { ChainHead, CheckpointedHead };

export const CHECKPOINT_TYPE = 'portico.audit.checkpoint';

/**
 * A signed statement, written outside the database, of chain heads at a time: `signature` is HMAC-SHA-256 under the
 * audit key over the canonical JSON of every other field. Without the key it cannot be made; with it, the chain
 * must still reach each head it names.
 */
export interface Checkpoint {
  type: typeof CHECKPOINT_TYPE;
  version: 1;
  algorithm: 'HMAC-SHA256';
  keyId: string;
  createdAt: string;
  chains: ChainHead[];
  signature: string;
}

export function signCheckpoint(key: AuditKey, chains: ChainHead[], createdAt = new Date()): Checkpoint {
  const body = { type: CHECKPOINT_TYPE as typeof CHECKPOINT_TYPE, version: 1 as const, algorithm: 'HMAC-SHA256' as const, keyId: key.id, createdAt: createdAt.toISOString(), chains };
  return { ...body, signature: key.checkpointSignature(canonicalJson(body)) };
}

/** The checkpoint, when it is one and this key signed it; else what is wrong with it. */
export function checkedCheckpoint(key: AuditKey, value: unknown): Checkpoint | string {
  const candidate = value as Partial<Checkpoint> | null;
  if (!candidate || typeof candidate !== 'object' || candidate.type !== CHECKPOINT_TYPE) return 'not a Portico audit checkpoint';
  const { signature, ...body } = candidate;
  if (candidate.version !== 1 || candidate.algorithm !== 'HMAC-SHA256' || !Array.isArray(candidate.chains) || typeof candidate.createdAt !== 'string') return 'a checkpoint of an unknown version';
  if (candidate.keyId !== key.id) return `signed with another audit key (${String(candidate.keyId)}, this one is ${key.id})`;
  if (typeof signature !== 'string' || signature !== key.checkpointSignature(canonicalJson(body))) return 'its signature does not match: it was changed, or forged';
  const wellFormed = candidate.chains.every((c) => typeof c?.accountId === 'string' && Number.isInteger(c.sequence) && c.sequence >= 0 && (c.hash === null || typeof c.hash === 'string'));
  return wellFormed ? (candidate as Checkpoint) : 'its chains are malformed';
}

/** The chain heads in the database: every account's, or the named ones'. */
export async function readChainHeads(em: EntityManager, accountIds?: string[]): Promise<ChainHead[]> {
  const rows: AuditChainHeadEntity[] = [];
  if (!accountIds) rows.push(...(await em.find(AuditChainHeadEntity, { order: { accountId: 'ASC' } })));
  else for (let i = 0; i < accountIds.length; i += 1_000) rows.push(...(await em.findBy(AuditChainHeadEntity, { accountId: In(accountIds.slice(i, i + 1_000)) })));
  return rows.map((h) => ({ accountId: h.accountId, sequence: Number(h.sequence), hash: h.hash ?? null })).sort((a, b) => a.accountId.localeCompare(b.accountId));
}

/** Writes a checkpoint as a file of its own in `dir` (never over another); returns its path. */
export function writeCheckpointFile(dir: string, checkpoint: Checkpoint): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `checkpoint-${checkpoint.createdAt.replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, `${JSON.stringify(checkpoint)}\n`, { mode: 0o644, flag: 'wx' });
  return file;
}

/** The last signed head of each account, gathered from any number of checkpoints; and the checkpoints refused, with why. */
export class CheckpointSet {
  private readonly heads = new Map<string, CheckpointedHead>();
  readonly refused: Array<{ source: string; problem: string }> = [];
  count = 0;

  constructor(private readonly key: AuditKey) {}

  /** Adds a checkpoint read from `source`; a refused one anchors nothing and is listed in `refused`. */
  add(value: unknown, source: string): void {
    const checkpoint = checkedCheckpoint(this.key, value);
    if (typeof checkpoint === 'string') {
      this.refused.push({ source, problem: checkpoint });
      return;
    }
    this.count++;
    for (const chain of checkpoint.chains) {
      const known = this.heads.get(chain.accountId);
      if (!known || chain.sequence > known.sequence) this.heads.set(chain.accountId, { ...chain, createdAt: checkpoint.createdAt, source });
    }
  }

  merge(other: CheckpointSet): this {
    for (const head of other.heads.values()) {
      const known = this.heads.get(head.accountId);
      if (!known || head.sequence > known.sequence) this.heads.set(head.accountId, head);
    }
    this.refused.push(...other.refused);
    this.count += other.count;
    return this;
  }

  latest(accountId: string): CheckpointedHead | undefined {
    return this.heads.get(accountId);
  }

  accountIds(): string[] {
    return [...this.heads.keys()];
  }
}

/**
 * Reads checkpoints from a path: a directory of checkpoint files, one checkpoint file, or an NDJSON export whose
 * trailer line (`{"checkpoint": …}`) carries one.
 */
export async function readCheckpoints(key: AuditKey, path: string, into = new CheckpointSet(key)): Promise<CheckpointSet> {
  if (!existsSync(path)) return into;
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).filter((n) => n.endsWith('.json')).sort()) await readCheckpoints(key, join(path, name), into);
    return into;
  }
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let found = false;
  for await (const line of lines) {
    // Events are lines too; only a checkpoint line (or a checkpoint file's one line) is parsed.
    if (!line.includes(`"${CHECKPOINT_TYPE}"`)) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const value = (parsed as { checkpoint?: unknown }).checkpoint ?? parsed;
    if ((value as { type?: unknown })?.type !== CHECKPOINT_TYPE) continue;
    into.add(value, basename(path));
    found = true;
  }
  if (!found) into.refused.push({ source: basename(path), problem: 'holds no checkpoint' });
  return into;
}

/**
 * The checkpoints of a directory, for verifying one account at a time: each file is read once (a written checkpoint
 * never changes), so a later call reads only the new ones.
 */
export class CheckpointDirectory {
  private readonly seen = new Set<string>();
  private readonly set: CheckpointSet;

  constructor(
    private readonly key: AuditKey,
    readonly dir: string,
  ) {
    this.set = new CheckpointSet(key);
  }

  load(): CheckpointSet {
    if (!existsSync(this.dir)) return this.set;
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json') || this.seen.has(name)) continue;
      this.seen.add(name);
      try {
        this.set.add(JSON.parse(readFileSync(join(this.dir, name), 'utf8')), name);
      } catch {
        this.set.refused.push({ source: name, problem: 'not JSON' });
      }
    }
    return this.set;
  }
}
