import { Brackets, type SelectQueryBuilder } from 'typeorm';
import { notFound } from '../errors';
import type { UserStatus } from '../policy';
import { AccountEntity, ContactRoleEntity, RoleAssignmentEntity, UserEntity } from '../storage/entities';
import type { RequestContext } from './context';
import { accountFacts } from './facts';
import { reachOf } from './queries';

export interface UserFilter {
  underAccountId?: string | null;
  /** With `underAccountId`: the accounts below it too (default true). */
  includeDescendants?: boolean | null;
  emailContains?: string | null;
  nameContains?: string | null;
  role?: string | null;
  contactRole?: string | null;
  status?: UserStatus | null;
  canLogin?: boolean | null;
}

/** '!' escapes the wildcards: a backslash would need writing differently in MySQL and SQLite string literals. */
const containing = (text: string) => `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;

/**
 * The accounts whose users the viewer may list: those reachable (their own account, accounts they hold a role on,
 * subtrees below roles that apply to descendants) where the engine allows `users.read`, as `Account.users` does.
 * One statement reads the candidates; the engine decides on each.
 */
async function readableAccountIds(ctx: RequestContext, under: AccountEntity | null, includeDescendants: boolean): Promise<string[]> {
  const { facts } = ctx.requirePrincipal();
  if (!facts.active) return [];
  const { ownIds, subtreeRoots } = reachOf(ctx);
  const roots = await Promise.all([...subtreeRoots].map((id) => ctx.account(id)));
  const rootPaths = roots.filter((a): a is AccountEntity => a !== null).map((a) => a.path);
  const query = ctx.services.db.manager.createQueryBuilder(AccountEntity, 'a').where(
    new Brackets((reach) => {
      reach.where('a.id IN (:...ownIds)', { ownIds: [...ownIds] });
      rootPaths.forEach((path, i) => reach.orWhere(`a.path LIKE :root${i}`, { [`root${i}`]: `${path}%` }));
    }),
  );
  if (under) {
    if (includeDescendants) query.andWhere('a.path LIKE :under', { under: `${under.path}%` });
    else query.andWhere('a.id = :underId', { underId: under.id });
  }
  const candidates = await query.getMany();
  return candidates.filter((a) => ctx.engine.isVisible(facts, accountFacts(a)) && ctx.decide('users.read', a).allowed).map((a) => a.id);
}

function applyFilter(ctx: RequestContext, query: SelectQueryBuilder<UserEntity>, filter: UserFilter): void {
  if (filter.emailContains) query.andWhere("LOWER(u.email) LIKE LOWER(:email) ESCAPE '!'", { email: containing(filter.emailContains) });
  if (filter.nameContains) query.andWhere("LOWER(u.name) LIKE LOWER(:name) ESCAPE '!'", { name: containing(filter.nameContains) });
  if (filter.status) query.andWhere('u.status = :status', { status: filter.status });
  if (filter.role) {
    const sub = query.subQuery().select('1').from(RoleAssignmentEntity, 'fr').where('fr.userId = u.id AND fr.role = :role').getQuery();
    query.andWhere(`EXISTS ${sub}`, { role: filter.role });
  }
  if (filter.contactRole) {
    const sub = query.subQuery().select('1').from(ContactRoleEntity, 'fc').where('fc.userId = u.id AND fc.role = :contactRole').getQuery();
    query.andWhere(`EXISTS ${sub}`, { contactRole: filter.contactRole });
  }
  if (filter.canLogin !== undefined && filter.canLogin !== null) {
    // As User.canLogin: not suspended, and no role of the policy whose holders never sign in (a Sales Rep).
    const noLogin = [...ctx.engine.policy.roles.values()].filter((r) => !r.canLogin).map((r) => r.name);
    const blockedByRole = noLogin.length > 0 ? `EXISTS ${query.subQuery().select('1').from(RoleAssignmentEntity, 'lr').where('lr.userId = u.id AND lr.customRoleId IS NULL AND lr.role IN (:...noLogin)').getQuery()}` : '1 = 0';
    if (noLogin.length > 0) query.setParameter('noLogin', noLogin);
    // Where the policy requires a role to sign in, holding none blocks it too.
    const blocked = ctx.engine.policy.signInRequiresRole
      ? `(${blockedByRole} OR NOT EXISTS ${query.subQuery().select('1').from(RoleAssignmentEntity, 'nr').where('nr.userId = u.id').getQuery()})`
      : blockedByRole;
    if (filter.canLogin) query.andWhere(`u.status != 'SUSPENDED' AND NOT ${blocked}`);
    else query.andWhere(`(u.status = 'SUSPENDED' OR ${blocked})`);
  }
}

/**
 * Every user the viewer may see across the hierarchy, in email order, with how many there are in all: the viewer
 * themselves and the users of every account where `users.read` is allowed. A user the viewer may not see is never
 * listed nor counted. Three statements whatever the page size: the candidate accounts, the count, the page.
 */
export async function directoryUsers(ctx: RequestContext, filter: UserFilter, first: number, after?: string): Promise<{ rows: UserEntity[]; hasNextPage: boolean; totalCount: number }> {
  const principal = ctx.requirePrincipal();
  let under: AccountEntity | null = null;
  if (filter.underAccountId) {
    under = await ctx.visibleAccount(filter.underAccountId);
    if (!under) throw notFound('account', filter.underAccountId);
  }
  const includeDescendants = filter.includeDescendants ?? true;
  const accountIds = await readableAccountIds(ctx, under, includeDescendants);
  const selfInScope = !principal.impersonation && (!under || (includeDescendants ? principal.account.path.startsWith(under.path) : principal.account.id === under.id));
  if (accountIds.length === 0 && !selfInScope) return { rows: [], hasNextPage: false, totalCount: 0 };
  const base = () => {
    const query = ctx.services.db.manager.createQueryBuilder(UserEntity, 'u').where(
      new Brackets((reach) => {
        if (accountIds.length === 0) reach.where('u.id = :self', { self: principal.user.id });
        else reach.where('u.accountId IN (:...accountIds)', { accountIds });
        if (accountIds.length > 0 && selfInScope) reach.orWhere('u.id = :self', { self: principal.user.id });
      }),
    );
    applyFilter(ctx, query, filter);
    return query;
  };
  const page = base();
  if (after !== undefined) page.andWhere('u.email > :after', { after });
  const [totalCount, rows] = await Promise.all([base().getCount(), page.orderBy('u.email', 'ASC').take(first + 1).getMany()]);
  rows.forEach((u) => ctx.loaders.user.prime(u.id, u));
  return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount };
}
