import type { SelectQueryBuilder } from 'typeorm';
import { badInput } from '../errors';
import { verifyAuditChain, type ChainReport } from '../storage/audit-chain';
import { CheckpointDirectory } from '../storage/audit-checkpoints';
import { auditCheckpointsDir } from '../config';
import type { AccountFacts, AccountType } from '../policy';
import { AccountEntity, AuditEventEntity, type UserEntity } from '../storage/entities';
import { actorShownToAccount, sessionIdOf } from './audit-actor';
import { actionsOf, isEventType } from './events';
import type { RequestContext } from './context';
import { accountFacts } from './facts';

/** What a reader narrows the trail to; every part is optional and the parts combine with AND. */
export interface AuditEventFilter {
  /** Also the events of the accounts below (those the reader may audit). @default false */
  includeDescendants?: boolean | null;
  actorUserId?: string | null;
  subjectUserId?: string | null;
  action?: string | null;
  impersonationSessionId?: string | null;
  delegationId?: string | null;
  /** Inclusive. */
  from?: Date | null;
  /** Exclusive. */
  to?: Date | null;
}

const MAX_ID = 36;

function checkedFilter(filter: AuditEventFilter): AuditEventFilter {
  for (const field of ['actorUserId', 'subjectUserId', 'impersonationSessionId', 'delegationId'] as const) {
    const value = filter[field];
    if (value !== undefined && value !== null && (value.length === 0 || value.length > MAX_ID)) throw badInput(`${field} is not an id`, { field });
  }
  if (filter.action !== undefined && filter.action !== null && (filter.action.length === 0 || filter.action.length > 64)) throw badInput('action must be 1 to 64 characters', { field: 'action' });
  for (const field of ['from', 'to'] as const) {
    const value = filter[field];
    if (value && Number.isNaN(value.getTime())) throw badInput(`${field} is not a date`, { field });
  }
  if (filter.from && filter.to && filter.from.getTime() > filter.to.getTime()) throw badInput('from must not be after to', { field: 'from' });
  return filter;
}

/**
 * The events the reader may see for this account and filter, as a query not yet run: the export pages through the
 * same query as `auditEvents`, so both show exactly the same events. Needs `audit.read` on the account (else
 * NOT_FOUND / FORBIDDEN); a roll-up covers the descendants the reader may audit too, deleted ones included (as they
 * stood), and for the platform's root
 * everything, including the trail of accounts no longer in the tree.
 */
export async function auditEventQuery(ctx: RequestContext, accountId: string, raw: AuditEventFilter = {}): Promise<AuditQuery> {
  const filter = checkedFilter(raw);
  const em = ctx.services.db.manager;
  const root = await ctx.requireOn('audit.read', accountId);
  let scope: (query: SelectQueryBuilder<AuditEventEntity>) => void = (query) => query.where('e.subjectAccountId = :accountId', { accountId });
  let index: string | null = 'idx_audit_events_subject';
  if (filter.includeDescendants) {
    const facts = ctx.requirePrincipal().facts;
    const subtree = await em.createQueryBuilder(AccountEntity, 'a').where('a.path LIKE :prefix', { prefix: `${root.path}%` }).getMany();
    // The same decision as for one account, made for each account below: a suspended or unreachable one stays out.
    const live = subtree.filter((a) => a.id === root.id || ctx.engine.authorizeAction(facts, 'audit.read', accountFacts(a)).allowed).map((a) => a.id);
    // The accounts deleted below: their trail stays readable by whoever could read it while they were there.
    const gone = await deletedBelow(ctx, subtree.map(accountFacts));
    const allowed = [...live, ...gone];
    // The ids themselves rather than a sub-select: each is an indexed range, which the optimizers of both databases
    // read directly; the platform's root with nothing held back needs no condition at all.
    if (live.length === subtree.length && !root.parentId) {
      scope = (query) => query.where('1 = 1');
      index = null;
    } else scope = (query) => query.where('e.subjectAccountId IN (:...allowed)', { allowed });
  }
  const build = () => {
    const query = em.createQueryBuilder(AuditEventEntity, 'e');
    scope(query);
    return filtered(query, filter);
  };
  return { build, index };
}

/** The reader's filter over a query of the trail. */
function filtered(query: SelectQueryBuilder<AuditEventEntity>, filter: AuditEventFilter): SelectQueryBuilder<AuditEventEntity> {
  if (filter.actorUserId) query.andWhere('e.actorUserId = :actorUserId', { actorUserId: filter.actorUserId });
  if (filter.subjectUserId) query.andWhere('e.subjectUserId = :subjectUserId', { subjectUserId: filter.subjectUserId });
  if (filter.action) {
    // One name for the trail and the webhooks: an event's name (user.updated) finds the actions that announce it.
    const actions = isEventType(filter.action) ? [filter.action, ...actionsOf(filter.action)] : [filter.action];
    query.andWhere('e.action IN (:...actions)', { actions: [...new Set(actions)] });
  }
  if (filter.impersonationSessionId) query.andWhere('e.impersonationSessionId = :sessionId', { sessionId: filter.impersonationSessionId });
  if (filter.delegationId) query.andWhere('e.delegatedRelationshipId = :delegationId', { delegationId: filter.delegationId });
  if (filter.from) query.andWhere('e.occurredAt >= :from', { from: filter.from });
  if (filter.to) query.andWhere('e.occurredAt < :to', { to: filter.to });
  return query;
}

/** How many levels of deleted accounts are followed down (a tree is never this deep). */
const MAX_DELETED_DEPTH = 16;

/**
 * The deleted accounts below these (live) ones whose trail the caller may read, level by level: each judged as it
 * stood when deleted (its type and place, from its `account.delete` event, recorded on its parent), as an active
 * account (a deletion is no suspension, and its settings went with it).
 */
async function deletedBelow(ctx: RequestContext, parents: readonly AccountFacts[]): Promise<string[]> {
  const facts = ctx.requirePrincipal().facts;
  const em = ctx.services.db.manager;
  const found: string[] = [];
  let frontier = new Map(parents.map((p) => [p.id, p]));
  for (let depth = 0; frontier.size > 0 && depth <= MAX_DELETED_DEPTH; depth++) {
    const events = await em
      .createQueryBuilder(AuditEventEntity, 'e')
      .select(['e.targetId', 'e.subjectAccountId', 'e.details'])
      .where('e.action = :action AND e.subjectAccountId IN (:...ids)', { action: 'account.delete', ids: [...frontier.keys()] })
      .getMany();
    const next = new Map<string, AccountFacts>();
    for (const event of events) {
      const parent = frontier.get(event.subjectAccountId)!;
      const type = (event.details as { type?: AccountType } | null)?.type;
      if (!type || next.has(event.targetId)) continue;
      const former: AccountFacts = { id: event.targetId, type, status: 'ACTIVE', settings: {}, ancestorIds: [...parent.ancestorIds, parent.id] };
      next.set(former.id, former);
      if (ctx.engine.authorizeAction(facts, 'audit.read', former).allowed) found.push(former.id);
    }
    frontier = next;
  }
  return found;
}

export interface AuditQuery {
  /** A fresh query builder over the matching events. */
  build: () => SelectQueryBuilder<AuditEventEntity>;
  /** The index a page is read through, by account and time; null when every account's events are read. */
  index: string | null;
}

/**
 * One page, newest first. MariaDB, given an account and a cursor, reads the account's index from its newest entry
 * and skips down to the cursor (each page costing more than the one before); told to use that index, it seeks to
 * the cursor at once. SQLite's planner does so by itself.
 */
export async function readAuditPage(query: AuditQuery, first: number, after?: [string, string]): Promise<AuditEventEntity[]> {
  const builder = pageNewestFirst(query.build(), first, after);
  const { connection } = builder;
  if (!query.index || connection.options.type === 'better-sqlite3') return builder.getMany();
  const [sql, parameters] = builder.getQueryAndParameters();
  const table = '`audit_events` `e`';
  if (!sql.includes(`FROM ${table}`)) return builder.getMany();
  const rows = (await connection.query(sql.replace(`FROM ${table}`, `FROM ${table} FORCE INDEX (\`${query.index}\`)`), parameters)) as Array<Record<string, unknown>>;
  const metadata = connection.getMetadata(AuditEventEntity);
  return rows.map((row) => {
    const event = new AuditEventEntity();
    for (const column of metadata.columns) column.setEntityValue(event, connection.driver.prepareHydratedValue(row[`e_${column.databaseName}`], column));
    return event;
  });
}

/** Newest first, by (occurredAt, id): the cursor is both. */
export function pageNewestFirst(query: SelectQueryBuilder<AuditEventEntity>, first: number, after?: [string, string]): SelectQueryBuilder<AuditEventEntity> {
  // The first condition alone is a range the index can seek to; the second then drops the rows already read.
  if (after) query.andWhere('e.occurredAt <= :at AND (e.occurredAt < :at OR e.id < :id)', { at: new Date(after[0]), id: after[1] });
  return query.orderBy('e.occurredAt', 'DESC').addOrderBy('e.id', 'DESC').take(first);
}

export interface AuditPage {
  rows: AuditEventEntity[];
  hasNextPage: boolean;
  /** Counted only when asked for: a count over a large trail is not free. */
  totalCount: () => Promise<number>;
}

/** A page of the trail, newest first. */
export async function auditEvents(ctx: RequestContext, accountId: string, filter: AuditEventFilter, first: number, after?: [string, string]): Promise<AuditPage> {
  const query = await auditEventQuery(ctx, accountId, filter);
  const rows = await readAuditPage(query, first + 1, after);
  return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount: () => query.build().getCount() };
}

/**
 * Who made the change, as the reader may know them: a user the reader may see; and, to those who may read the trail
 * of a customer, the partner user who acted in its portal: on `impersonation.start` and `impersonation.end` of a
 * session in that account, and on every event made in such a session (as `ImpersonationSession.actor` shows them).
 * Anyone else stays hidden (null: the id stays on the event). Batched with the rest of the page.
 */
export async function eventActor(ctx: RequestContext, event: AuditEventEntity): Promise<UserEntity | null> {
  const visible = await ctx.visibleUser(event.actorUserId);
  if (visible) return visible;
  const sessionId = sessionIdOf(event);
  if (!sessionId) return null;
  const [session, actor] = await Promise.all([ctx.loaders.impersonationSession.load(sessionId), ctx.loaders.user.load(event.actorUserId)]);
  if (!session || !actor || !actorShownToAccount(event, actor, session)) return null;
  // Told to a reader of that account's trail only.
  const customer = await ctx.visibleAccount(session.customerAccountId);
  if (!customer || !ctx.decide('audit.read', customer).allowed) return null;
  return actor;
}

/** Whether the account's chain holds, for those who may read its trail. */
export async function auditIntegrity(ctx: RequestContext, accountId: string): Promise<ChainReport> {
  await ctx.requireOn('audit.read', accountId);
  const { db, config } = ctx.services;
  const dir = auditCheckpointsDir(config);
  const name = `${db.auditKey.id}:${dir}`;
  const checkpoints = checkpointDirectories.get(name) ?? checkpointDirectories.set(name, new CheckpointDirectory(db.auditKey, dir)).get(name)!;
  return verifyAuditChain(db.manager, accountId, { key: db.auditKey, checkpoint: checkpoints.load().latest(accountId) });
}

/** The checkpoint directories read so far, by key and path: each file is parsed once per process. */
const checkpointDirectories = new Map<string, CheckpointDirectory>();
