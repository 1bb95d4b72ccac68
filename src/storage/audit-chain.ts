import { createHash, randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import { auditKeyOf, type AuditKey } from './audit-key';
import { AuditChainHeadEntity, AuditEventEntity } from './entities';

/** An event as a caller describes it; the chain adds its id, position and hashes. */
export interface NewAuditEvent {
  occurredAt?: Date;
  actorUserId: string;
  subjectAccountId: string;
  subjectUserId?: string | null;
  action: string;
  targetType: string;
  targetId: string;
  requestId: string;
  impersonationSessionId?: string | null;
  delegatedRelationshipId?: string | null;
  details?: Record<string, unknown> | null;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON with object keys sorted at every depth and no whitespace: one text per value, whoever writes it. */
export function canonicalJson(value: unknown): string {
  const normal = (v: unknown): Json | undefined => {
    if (v === null) return null;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map((item) => normal(item) ?? null);
    if (typeof v === 'object') {
      const out: { [key: string]: Json } = {};
      for (const key of Object.keys(v as object).sort()) {
        const item = normal((v as Record<string, unknown>)[key]);
        // As JSON.stringify does: an undefined property is absent, so a stored and re-read event hashes the same.
        if (item !== undefined) out[key] = item;
      }
      return out;
    }
    if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
    return undefined;
  };
  return JSON.stringify(normal(value) ?? null);
}

type Hashed = Pick<
  AuditEventEntity,
  'id' | 'sequence' | 'occurredAt' | 'actorUserId' | 'subjectAccountId' | 'subjectUserId' | 'action' | 'targetType' | 'targetId' | 'requestId' | 'impersonationSessionId' | 'delegatedRelationshipId' | 'details' | 'previousHash'
>;

/** The canonical JSON a link's hash covers: the event's fields and `previousHash`. */
function hashedText(event: Hashed): string {
  return canonicalJson({
    id: event.id,
    sequence: event.sequence,
    occurredAt: event.occurredAt.toISOString(),
    actorUserId: event.actorUserId,
    subjectAccountId: event.subjectAccountId,
    subjectUserId: event.subjectUserId ?? null,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId,
    requestId: event.requestId,
    impersonationSessionId: event.impersonationSessionId ?? null,
    delegatedRelationshipId: event.delegatedRelationshipId ?? null,
    details: event.details ?? null,
    previousHash: event.previousHash ?? null,
  });
}

/**
 * The event's hash (lowercase hex) over its canonical JSON, which includes `previousHash`: HMAC-SHA-256 under the
 * audit key; without a key, the plain SHA-256 that chains written before the key used (and that anyone can compute).
 */
export function auditEventHash(event: Hashed, key?: AuditKey): string {
  const text = hashedText(event);
  return key ? key.chainHash(text) : createHash('sha256').update(text).digest('hex');
}

const isMysqlManager = (em: EntityManager) => em.connection.options.type !== 'better-sqlite3';

/**
 * The account's chain head, locked for the rest of the transaction. On MySQL / MariaDB the upsert takes the row's
 * exclusive lock at once (an INSERT IGNORE then FOR UPDATE would take a shared lock first, and two writers
 * upgrading would deadlock); on SQLite the transaction already holds the file's write lock.
 */
async function lockedHead(em: EntityManager, accountId: string): Promise<AuditChainHeadEntity> {
  if (isMysqlManager(em)) {
    await em.query('INSERT INTO audit_chain_heads (account_id, sequence, hash) VALUES (?, 0, NULL) ON DUPLICATE KEY UPDATE sequence = sequence', [accountId]);
    const [row] = (await em.query('SELECT account_id, sequence, hash FROM audit_chain_heads WHERE account_id = ? FOR UPDATE', [accountId])) as Array<{ sequence: number; hash: string | null }>;
    return Object.assign(new AuditChainHeadEntity(), { accountId, sequence: Number(row.sequence), hash: row.hash });
  }
  await em.query('INSERT OR IGNORE INTO audit_chain_heads (account_id, sequence, hash) VALUES (?, 0, NULL)', [accountId]);
  return em.findOneByOrFail(AuditChainHeadEntity, { accountId });
}

/** Appends an event to its account's chain, in the caller's transaction: if the change fails, so does the event. */
export async function appendAuditEvent(em: EntityManager, entry: NewAuditEvent): Promise<AuditEventEntity> {
  const head = await lockedHead(em, entry.subjectAccountId);
  const event = Object.assign(new AuditEventEntity(), {
    id: randomUUID(),
    occurredAt: entry.occurredAt ?? new Date(),
    actorUserId: entry.actorUserId,
    subjectAccountId: entry.subjectAccountId,
    subjectUserId: entry.subjectUserId ?? null,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    requestId: entry.requestId,
    impersonationSessionId: entry.impersonationSessionId ?? null,
    delegatedRelationshipId: entry.delegatedRelationshipId ?? null,
    // Stored and hashed as its JSON text reads back: a value JSON cannot carry must not make the hash unverifiable.
    details: entry.details ? (JSON.parse(JSON.stringify(entry.details)) as Record<string, unknown>) : null,
    sequence: head.sequence + 1,
    previousHash: head.hash,
  });
  event.hash = auditEventHash(event, auditKeyOf(em));
  await em.insert(AuditEventEntity, event as never);
  await em.update(AuditChainHeadEntity, { accountId: entry.subjectAccountId }, { sequence: event.sequence, hash: event.hash });
  return event;
}

/** One chain's head as a checkpoint signs it: how many events the account's chain had, and the last one's hash. */
export interface ChainHead {
  accountId: string;
  sequence: number;
  hash: string | null;
}

/** An account's last signed head, and where it was read (a file, or an export's trailer). */
export interface CheckpointedHead extends ChainHead {
  createdAt: string;
  source: string;
}

export interface ChainReport {
  ok: boolean;
  checked: number;
  /** The first event whose link does not hold; with events missing at the end, the last one kept. */
  firstBrokenEventId: string | null;
  /** What does not hold, in a sentence; null when the chain holds. */
  problem: string | null;
  /** Events hashed without the key, from before the key was introduced: the chain's first events only. */
  unkeyed: number;
}

const PAGE = 1_000;

/**
 * Walks an account's chain in order, a page at a time: each event's hash must be its content's under the audit key
 * (or, for the events written before there was a key, the unkeyed hash: only as the chain's first events, and only
 * up to a head a checkpoint signed, as the first start with the key does), its previousHash the hash before it, its
 * sequence the next number; the head must name the last event. With `checkpoint` (the account's last signed head, kept outside
 * the database), the chain must still reach that head, with that hash: deleting events, or the whole chain with
 * its head, or rewriting and rehashing it, shows there. The first failure is reported.
 */
export async function verifyAuditChain(em: EntityManager, accountId: string, options: { key?: AuditKey; checkpoint?: CheckpointedHead } = {}): Promise<ChainReport> {
  const key = options.key ?? auditKeyOf(em);
  const checkpoint = options.checkpoint;
  let previous: { sequence: number; hash: string | null; id: string | null } = { sequence: 0, hash: null, id: null };
  let checked = 0;
  let unkeyed = 0;
  let keyedSeen = false;
  const broken = (id: string | null, problem: string): ChainReport => ({ ok: false, checked, firstBrokenEventId: id, problem, unkeyed });
  for (;;) {
    const rows = await em
      .createQueryBuilder(AuditEventEntity, 'e')
      .where('e.subjectAccountId = :accountId AND e.sequence > :after', { accountId, after: previous.sequence })
      .orderBy('e.sequence', 'ASC')
      .take(PAGE)
      .getMany();
    for (const event of rows) {
      checked++;
      if (event.sequence !== previous.sequence + 1) return broken(event.id, `sequence ${event.sequence} follows ${previous.sequence}`);
      if ((event.previousHash ?? null) !== previous.hash) return broken(event.id, `event ${event.sequence} does not name the hash of the event before it`);
      if (auditEventHash(event, key) === event.hash) keyedSeen = true;
      else if (auditEventHash(event) !== event.hash) return broken(event.id, `event ${event.sequence}'s hash is not its content's under the audit key ${key.id}`);
      // Anyone can compute an unkeyed hash: it holds only for a trail from before the key, up to a signed head.
      else if (keyedSeen) return broken(event.id, `event ${event.sequence} is hashed without the audit key, after events hashed with it`);
      else if (!checkpoint || event.sequence > checkpoint.sequence) return broken(event.id, `event ${event.sequence} is hashed without the audit key, and no checkpoint covers it`);
      else unkeyed++;
      if (checkpoint && event.sequence === checkpoint.sequence && event.hash !== checkpoint.hash) {
        return broken(event.id, `event ${event.sequence} is not the one the checkpoint of ${checkpoint.createdAt} signed (${checkpoint.source})`);
      }
      previous = { sequence: event.sequence, hash: event.hash, id: event.id };
    }
    if (rows.length < PAGE) break;
  }
  if (checkpoint && previous.sequence < checkpoint.sequence) {
    return broken(previous.id, `the chain ends at event ${previous.sequence}, but the checkpoint of ${checkpoint.createdAt} signed ${checkpoint.sequence} events (${checkpoint.source})`);
  }
  const head = await em.findOneBy(AuditChainHeadEntity, { accountId });
  if (head && (head.sequence !== previous.sequence || head.hash !== previous.hash)) return broken(previous.id, `the chain head names event ${head.sequence}, the chain ends at ${previous.sequence}`);
  return { ok: true, checked, firstBrokenEventId: null, problem: null, unkeyed };
}

/** Every account that has a trail, for verifying them all. */
export async function chainedAccountIds(em: EntityManager): Promise<string[]> {
  const heads = await em.find(AuditChainHeadEntity, { select: { accountId: true }, order: { accountId: 'ASC' } });
  const events = (await em.createQueryBuilder(AuditEventEntity, 'e').select('DISTINCT e.subjectAccountId', 'id').getRawMany()) as Array<{ id: string }>;
  return [...new Set([...heads.map((h) => h.accountId), ...events.map((e) => e.id)])].sort();
}
