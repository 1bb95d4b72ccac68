import { createHash, randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
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

/** SHA-256 (lowercase hex) over the event's canonical JSON, which includes `previousHash`. */
export function auditEventHash(event: Hashed): string {
  const content = {
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
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
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
  event.hash = auditEventHash(event);
  await em.insert(AuditEventEntity, event as never);
  await em.update(AuditChainHeadEntity, { accountId: entry.subjectAccountId }, { sequence: event.sequence, hash: event.hash });
  return event;
}

export interface ChainReport {
  ok: boolean;
  checked: number;
  /** The first event whose link does not hold; with events missing at the end, the last one kept. */
  firstBrokenEventId: string | null;
}

const PAGE = 1_000;

/**
 * Walks an account's chain in order, a page at a time: each event's hash must be its content's, its previousHash
 * the hash before it, its sequence the next number; the head must name the last event. The first failure is reported.
 */
export async function verifyAuditChain(em: EntityManager, accountId: string): Promise<ChainReport> {
  let previous: { sequence: number; hash: string | null; id: string | null } = { sequence: 0, hash: null, id: null };
  let checked = 0;
  for (;;) {
    const rows = await em
      .createQueryBuilder(AuditEventEntity, 'e')
      .where('e.subjectAccountId = :accountId AND e.sequence > :after', { accountId, after: previous.sequence })
      .orderBy('e.sequence', 'ASC')
      .take(PAGE)
      .getMany();
    for (const event of rows) {
      checked++;
      const linked = event.sequence === previous.sequence + 1 && (event.previousHash ?? null) === previous.hash;
      if (!linked || auditEventHash(event) !== event.hash) return { ok: false, checked, firstBrokenEventId: event.id };
      previous = { sequence: event.sequence, hash: event.hash, id: event.id };
    }
    if (rows.length < PAGE) break;
  }
  const head = await em.findOneBy(AuditChainHeadEntity, { accountId });
  if (head && (head.sequence !== previous.sequence || head.hash !== previous.hash)) return { ok: false, checked, firstBrokenEventId: previous.id };
  return { ok: true, checked, firstBrokenEventId: null };
}

/** Every account that has a trail, for verifying them all. */
export async function chainedAccountIds(em: EntityManager): Promise<string[]> {
  const heads = await em.find(AuditChainHeadEntity, { select: { accountId: true }, order: { accountId: 'ASC' } });
  const events = (await em.createQueryBuilder(AuditEventEntity, 'e').select('DISTINCT e.subjectAccountId', 'id').getRawMany()) as Array<{ id: string }>;
  return [...new Set([...heads.map((h) => h.accountId), ...events.map((e) => e.id)])].sort();
}
