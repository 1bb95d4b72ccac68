import type { SelectQueryBuilder } from 'typeorm';
import { badInput } from '../errors';
import { verifyAuditChain, type ChainReport } from '../storage/audit-chain';
import { AccountEntity, AuditEventEntity } from '../storage/entities';
import { accountFacts, type RequestContext } from './context';

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
 * NOT_FOUND / FORBIDDEN); a roll-up covers the descendants the reader may audit too, and for the platform's root
 * everything, including the trail of accounts no longer in the tree.
 */
export async function auditEventQuery(ctx: RequestContext, accountId: string, raw: AuditEventFilter = {}): Promise<() => SelectQueryBuilder<AuditEventEntity>> {
  const filter = checkedFilter(raw);
  const root = await ctx.requireOn('audit.read', accountId);
  const em = ctx.services.db.manager;
  let scope: (query: SelectQueryBuilder<AuditEventEntity>) => void = (query) => query.where('e.subjectAccountId = :accountId', { accountId });
  if (filter.includeDescendants) {
    const facts = ctx.requirePrincipal().facts;
    const subtree = await em.createQueryBuilder(AccountEntity, 'a').where('a.path LIKE :prefix', { prefix: `${root.path}%` }).getMany();
    // The same decision as for one account, made for each account below: a suspended or unreachable one stays out.
    const allowed = subtree.filter((a) => a.id === root.id || ctx.engine.authorizeAction(facts, 'audit.read', accountFacts(a)).allowed).map((a) => a.id);
    if (allowed.length === subtree.length && !root.parentId) scope = (query) => query.where('1 = 1');
    else if (allowed.length === subtree.length) {
      scope = (query) => query.where(`e.subjectAccountId IN (SELECT a.id FROM accounts a WHERE a.path LIKE :prefix)`, { prefix: `${root.path}%` });
    } else scope = (query) => query.where('e.subjectAccountId IN (:...allowed)', { allowed });
  }
  return () => {
    const query = em.createQueryBuilder(AuditEventEntity, 'e');
    scope(query);
    if (filter.actorUserId) query.andWhere('e.actorUserId = :actorUserId', { actorUserId: filter.actorUserId });
    if (filter.subjectUserId) query.andWhere('e.subjectUserId = :subjectUserId', { subjectUserId: filter.subjectUserId });
    if (filter.action) query.andWhere('e.action = :action', { action: filter.action });
    if (filter.impersonationSessionId) query.andWhere('e.impersonationSessionId = :sessionId', { sessionId: filter.impersonationSessionId });
    if (filter.delegationId) query.andWhere('e.delegatedRelationshipId = :delegationId', { delegationId: filter.delegationId });
    if (filter.from) query.andWhere('e.occurredAt >= :from', { from: filter.from });
    if (filter.to) query.andWhere('e.occurredAt < :to', { to: filter.to });
    return query;
  };
}

/** Newest first, by (occurredAt, id): the cursor is both. */
export function pageNewestFirst(query: SelectQueryBuilder<AuditEventEntity>, first: number, after?: [string, string]): SelectQueryBuilder<AuditEventEntity> {
  if (after) query.andWhere('(e.occurredAt < :at OR (e.occurredAt = :at AND e.id < :id))', { at: new Date(after[0]), id: after[1] });
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
  const rows = await pageNewestFirst(query(), first + 1, after).getMany();
  return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount: () => query().getCount() };
}

/** Whether the account's chain holds, for those who may read its trail. */
export async function auditIntegrity(ctx: RequestContext, accountId: string): Promise<ChainReport> {
  await ctx.requireOn('audit.read', accountId);
  return verifyAuditChain(ctx.services.db.manager, accountId);
}
