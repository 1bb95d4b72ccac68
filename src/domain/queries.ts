import { Brackets, type SelectQueryBuilder } from 'typeorm';
import type { AccountStatus, AccountType } from '../policy';
import { AccountEntity, ContactRoleEntity, DelegatedAdminRelationshipEntity, ImpersonationGrantEntity, ImpersonationSessionEntity, UserEntity } from '../storage/entities';
import { resolveRecipients } from './communications.service';
import type { RequestContext } from './context';
import { accountFacts } from './facts';

/**
 * Where a principal's rights can reach: the accounts they hold a role on (and their own), and the subtrees below
 * those whose roles apply to descendants; in an impersonation session, the session's customer alone. SQL narrows
 * to these candidates; the engine decides on each row.
 */
export function reachOf(ctx: RequestContext): { ownIds: Set<string>; subtreeRoots: Set<string> } {
  const principal = ctx.requirePrincipal();
  const { facts } = principal;
  if (facts.impersonation) return { ownIds: new Set([facts.impersonation.accountId]), subtreeRoots: new Set() };
  const ownIds = new Set<string>([principal.account.id]);
  const subtreeRoots = new Set<string>();
  for (const assignment of facts.assignments) {
    ownIds.add(assignment.accountId);
    const role = ctx.engine.resolve(assignment);
    if (role && [...role.grants.values()].some((g) => g.descendants)) subtreeRoots.add(assignment.accountId);
  }
  return { ownIds, subtreeRoots };
}

export interface AccountFilter {
  type?: AccountType;
  status?: AccountStatus;
  parentId?: string;
  nameContains?: string;
}

/**
 * The accounts the viewer can see, in (name, id) order: their own account, the accounts they hold a role on, and
 * the subtrees below accounts where a role of theirs applies to descendants. SQL narrows to those candidates by
 * indexed path prefixes; the engine has the last word on each row, so nothing invisible is ever returned.
 */
export async function visibleAccounts(ctx: RequestContext, filter: AccountFilter, first: number, after?: [string, string]): Promise<{ rows: AccountEntity[]; hasNextPage: boolean }> {
  const { facts } = ctx.requirePrincipal();
  if (!facts.active) return { rows: [], hasNextPage: false };
  const query = await reachableQuery(ctx, filter);
  if (after) query.andWhere('(a.name > :afterName OR (a.name = :afterName AND a.id > :afterId))', { afterName: after[0], afterId: after[1] });
  const rows = await query.orderBy('a.name', 'ASC').addOrderBy('a.id', 'ASC').take(first + 1).getMany();
  const visible = rows.filter((a) => ctx.engine.isVisible(facts, accountFacts(a)));
  visible.forEach((a) => ctx.loaders.account.prime(a.id, a));
  return { rows: visible.slice(0, first), hasNextPage: visible.length > first };
}

/**
 * How many accounts `visibleAccounts` lists over every page: one statement reads the candidates' decision columns
 * (no names), and the engine counts those it lets the viewer see, as it does for each page.
 */
export async function countVisibleAccounts(ctx: RequestContext, filter: AccountFilter): Promise<number> {
  const { facts } = ctx.requirePrincipal();
  if (!facts.active) return 0;
  const query = await reachableQuery(ctx, filter);
  const rows = await query.select(['a.id', 'a.type', 'a.status', 'a.settings', 'a.path']).getMany();
  return rows.filter((a) => ctx.engine.isVisible(facts, accountFacts(a))).length;
}

/** The candidates a principal's reach allows, filtered: SQL narrows by indexed path prefixes, the engine decides. */
async function reachableQuery(ctx: RequestContext, filter: AccountFilter): Promise<SelectQueryBuilder<AccountEntity>> {
  const { ownIds, subtreeRoots } = reachOf(ctx);
  const em = ctx.services.db.manager;
  const rootPaths = subtreeRoots.size > 0 ? (await em.findBy(AccountEntity, [...subtreeRoots].map((id) => ({ id })))).map((a) => a.path) : [];
  const query = em.createQueryBuilder(AccountEntity, 'a').where(
    new Brackets((reach) => {
      reach.where('a.id IN (:...ownIds)', { ownIds: [...ownIds] });
      rootPaths.forEach((path, i) => reach.orWhere(`a.path LIKE :root${i}`, { [`root${i}`]: `${path}%` }));
    }),
  );
  applyFilter(query, filter);
  return query;
}

function applyFilter(query: SelectQueryBuilder<AccountEntity>, filter: AccountFilter): void {
  if (filter.type) query.andWhere('a.type = :type', { type: filter.type });
  if (filter.status) query.andWhere('a.status = :status', { status: filter.status });
  if (filter.parentId) query.andWhere('a.parentId = :parentId', { parentId: filter.parentId });
  if (filter.nameContains) {
    // '!' escapes the wildcards: a backslash would need writing differently in MySQL and SQLite string literals.
    const escaped = filter.nameContains.replace(/[!%_]/g, (c) => `!${c}`);
    query.andWhere("LOWER(a.name) LIKE LOWER(:name) ESCAPE '!'", { name: `%${escaped}%` });
  }
}

/** Who receives a communication topic now: the account's users holding one of the topic's contact roles or rights. */
export async function communicationRecipients(ctx: RequestContext, accountId: string, topic: string): Promise<UserEntity[]> {
  await ctx.requireOn('users.read', accountId);
  return resolveRecipients(ctx.services.db.manager, ctx.engine.policy, accountId, topic);
}

type Keyed = { id: string };

/**
 * A list's count. When the operation asks for it, the count is asked for before the page is read: the lists of a
 * page of parents then count in one batch, whatever order their pages come back in. Otherwise it is never run.
 */
function countOf(countNow: boolean, load: () => Promise<number>): () => Promise<number> {
  if (!countNow) return load;
  const started = load();
  // Awaited by totalCount; a failed page must not leave it unhandled meanwhile.
  started.catch(() => undefined);
  return () => started;
}

/** One page of rows newest first, by a time column and the id: the cursor is both. */
async function newestFirst<T extends Keyed>(
  query: SelectQueryBuilder<T>,
  column: string,
  first: number,
  after?: [string, string],
): Promise<{ rows: T[]; hasNextPage: boolean }> {
  const alias = query.alias;
  if (after) query.andWhere(`(${alias}.${column} < :at OR (${alias}.${column} = :at AND ${alias}.id < :id))`, { at: new Date(after[0]), id: after[1] });
  const rows = await query.orderBy(`${alias}.${column}`, 'DESC').addOrderBy(`${alias}.id`, 'DESC').take(first + 1).getMany();
  return { rows: rows.slice(0, first), hasNextPage: rows.length > first };
}

/**
 * A customer's grants (for those who manage them) or a partner's received grants (for those who may start
 * sessions under them); null for anyone else.
 */
export async function impersonationGrantsOf(ctx: RequestContext, account: AccountEntity, first: number, after?: [string, string], countNow = false) {
  const query = ctx.services.db.manager.createQueryBuilder(ImpersonationGrantEntity, 'g');
  const customerSide = account.type === 'CUSTOMER';
  if (!ctx.decide(customerSide ? 'impersonation.grant' : 'impersonation.start', account).allowed) return null;
  query.where(customerSide ? 'g.customerAccountId = :id' : 'g.partnerAccountId = :id', { id: account.id });
  const counts = customerSide ? ctx.loaders.grantsCountByCustomer : ctx.loaders.grantsCountByPartner;
  const count = countOf(countNow, () => counts.load(account.id));
  return { ...(await newestFirst(query, 'createdAt', first, after)), count };
}

export async function sessionsOfGrant(ctx: RequestContext, grant: ImpersonationGrantEntity, first: number, after?: [string, string], countNow = false) {
  const query = ctx.services.db.manager.createQueryBuilder(ImpersonationSessionEntity, 's').where('s.grantId = :id', { id: grant.id });
  const count = countOf(countNow, () => ctx.loaders.sessionsCountByGrant.load(grant.id));
  return { ...(await newestFirst(query, 'startedAt', first, after)), count };
}

/** The relationships a customer's administrators approve, or a partner's requesters asked for; null for anyone else. */
export async function delegatedRelationshipsOf(ctx: RequestContext, account: AccountEntity, first: number, after?: [string, string], countNow = false) {
  const query = ctx.services.db.manager.createQueryBuilder(DelegatedAdminRelationshipEntity, 'r');
  const customerSide = account.type === 'CUSTOMER';
  const allowed = customerSide ? ctx.decide('delegation.approve', account).allowed || ctx.decide('audit.read', account).allowed : ctx.decide('delegation.request', account).allowed;
  if (!allowed) return null;
  query.where(customerSide ? 'r.customerAccountId = :id' : 'r.partnerAccountId = :id', { id: account.id });
  const counts = customerSide ? ctx.loaders.relationshipsCountByCustomer : ctx.loaders.relationshipsCountByPartner;
  const count = countOf(countNow, () => counts.load(account.id));
  return { ...(await newestFirst(query, 'requestedAt', first, after)), count };
}
