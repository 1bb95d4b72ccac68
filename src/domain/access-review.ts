import { Brackets, IsNull, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { badInput, notFound } from '../errors';
import type { AccountFacts, Decision, DecisionGrant, PermissionGrant, PrincipalFacts, RoleAssignmentFact } from '../policy';
import { AccountEntity, CustomRoleEntity, DelegatedAdminRelationshipEntity, ImpersonationGrantEntity, RoleAssignmentEntity, UserEntity } from '../storage/entities';
import type { RequestContext } from './context';
import { accountFacts } from './facts';
import { grantStatus } from './impersonation.service';
import { loadUserFacts, type UserFacts } from './principal';

/** A permission someone holds on an account: the decision that allows it, and how it is held. */
export interface HeldPermission {
  permission: string;
  accountId: string;
  scope: string | null;
  reason: string;
  via: DecisionGrant['via'];
  role: string | null;
  heldOnAccountId: string | null;
  relationshipId: string | null;
  grantId: string | null;
}

/** A user who holds a permission on an account, with their home account. */
export interface PermissionHolder extends HeldPermission {
  user: UserEntity;
  account: AccountEntity;
}

const held = (decision: Decision): HeldPermission => ({
  permission: decision.permission,
  accountId: decision.accountId,
  scope: decision.scope,
  reason: decision.reason,
  via: decision.grant!.via,
  role: decision.grant!.role,
  heldOnAccountId: decision.grant!.accountId,
  relationshipId: decision.grant!.relationshipId ?? null,
  grantId: null,
});

/** The live impersonation grants of a customer account, with the partners they are given to. */
async function liveGrants(ctx: RequestContext, account: AccountEntity): Promise<ImpersonationGrantEntity[]> {
  if (account.type !== 'CUSTOMER') return [];
  const grants = await ctx.services.db.manager.findBy(ImpersonationGrantEntity, { customerAccountId: account.id, revokedAt: IsNull() });
  return grants.filter((g) => grantStatus(g) === 'ACTIVE');
}

/**
 * What a session under the grant would be decided for the permission on the customer: the session's own facts,
 * exactly the grant's permissions on this customer.
 */
function sessionDecision(ctx: RequestContext, userId: string, grant: ImpersonationGrantEntity, account: AccountFacts, permission: string): Decision {
  const session: PrincipalFacts = {
    userId,
    homeAccountId: account.id,
    active: true,
    assignments: [{ role: `impersonation:${grant.id}`, accountId: account.id, accountType: account.type, custom: { id: `impersonation:${grant.id}`, grants: grant.grants }, source: { kind: 'impersonation', grantId: grant.id } }],
    impersonation: { sessionId: `grant:${grant.id}`, grantId: grant.id, accountId: account.id, permissions: new Set(grant.grants.map((g: PermissionGrant) => g.permission)) },
  };
  return ctx.engine.authorize(session, permission, account);
}

/**
 * What a live grant lets a partner user do in the customer's portal: the grant's permissions, in a session only, for
 * those who may start one. Named as a grant, never as a right of their own.
 */
function throughGrants(ctx: RequestContext, who: UserFacts, grants: readonly ImpersonationGrantEntity[], account: AccountFacts): HeldPermission[] {
  const found: HeldPermission[] = [];
  for (const grant of grants) {
    if (grant.partnerAccountId !== who.account.id || !ctx.engine.authorizeAction(who.facts, 'impersonation.start', accountFacts(who.account)).allowed) continue;
    for (const permission of new Set(grant.grants.map((g: PermissionGrant) => g.permission))) {
      const decision = sessionDecision(ctx, who.user.id, grant, account, permission);
      if (decision.allowed) found.push({ ...held(decision), reason: `${decision.reason}, in an impersonation session`, role: null, heldOnAccountId: null, grantId: grant.id });
    }
  }
  return found;
}

/**
 * Access review of one person: every permission they hold on the account, with its scope and reason (their role,
 * an ancestor's role, a delegated relationship, a live impersonation grant). Needs `audit.read` there.
 */
export async function effectivePermissions(ctx: RequestContext, userId: string, accountId: string): Promise<HeldPermission[]> {
  const account = await ctx.requireOn('audit.read', accountId);
  const user = await ctx.visibleUser(userId);
  if (!user) throw notFound('user', userId);
  const [loaded, grants] = await Promise.all([loadUserFacts(ctx.services.db.manager, ctx.engine, { userIds: [user.id] }), liveGrants(ctx, account)]);
  const who = loaded.get(user.id);
  if (!who) throw notFound('user', userId);
  const facts = accountFacts(account);
  const own = ctx.engine.effectivePermissions(who.facts, facts).map(held);
  const ownNames = new Set(own.map((p) => p.permission));
  return [...own, ...throughGrants(ctx, who, grants, facts).filter((p) => !ownNames.has(p.permission))].sort((a, b) => a.permission.localeCompare(b.permission));
}

/** A page of the users who hold a permission on an account, in email order, and how many there are in all. */
export interface HolderPage {
  holders: PermissionHolder[];
  hasNextPage: boolean;
  totalCount: number;
}

/**
 * Who may hold the permission among one account's users, as conditions on their rows: the roles there that give it
 * on the reviewed account, the delegates (or `all` the users) of relationships that give it, and the roles there
 * that may start a session under a live grant that gives it. Each is the engine's decision on that one role or
 * relationship, so a user matches exactly when some assignment of theirs alone is allowed, as `authorize` decides.
 */
interface Holding {
  account: AccountEntity;
  roles: RoleNames;
  delegates: 'all' | string[];
  impersonators: RoleNames;
}

interface RoleNames {
  policy: string[];
  custom: string[];
}

const synthetic = (accountId: string, assignments: RoleAssignmentFact[]): PrincipalFacts => ({ userId: '', homeAccountId: accountId, active: true, assignments });

/** The roles of an account, policy and custom, whose holders the engine allows `allows` for. */
function rolesThat(ctx: RequestContext, account: AccountEntity, custom: readonly CustomRoleEntity[], allows: (facts: PrincipalFacts) => boolean): RoleNames {
  const fact = (role: string, extra?: Partial<RoleAssignmentFact>): RoleAssignmentFact => ({ role, accountId: account.id, accountType: account.type, source: { kind: 'role' }, ...extra });
  return {
    policy: ctx.engine.rolesOf(account.type).filter((r) => allows(synthetic(account.id, [fact(r.name)]))).map((r) => r.name),
    custom: custom.filter((r) => allows(synthetic(account.id, [fact(r.name, { custom: { id: r.id, grants: r.grants } })]))).map((r) => r.id),
  };
}

/**
 * Every user who holds the permission on the account (OpenFGA's ListUsers): its own users, users of the accounts
 * above it through roles that reach descendants, delegated partners, and partners under a live impersonation grant,
 * in email order, a page at a time. Needs `audit.read` there. The engine decides, once per role, relationship and
 * grant, which of them give the permission; the database then filters, counts and pages the users holding one, and
 * only the page's users are read with their rights to name the decision that allows each. A fixed number of
 * statements, whatever the number of holders or the page size.
 */
export async function whoCan(ctx: RequestContext, permission: string, accountId: string, first: number, after?: string): Promise<HolderPage> {
  if (!ctx.engine.isKnownPermission(permission)) throw badInput(`unknown permission ${permission}`, { field: 'permission' });
  const account = await ctx.requireOn('audit.read', accountId);
  // Nobody holds anything on a suspended account (its review is refused before this, to everyone).
  if (account.status !== 'ACTIVE') return { holders: [], hasNextPage: false, totalCount: 0 };
  const facts = accountFacts(account);
  const em = ctx.services.db.manager;
  const now = Date.now();
  const [relationships, grants] = await Promise.all([
    ctx.engine.policy.actions.has('delegation.request') ? em.findBy(DelegatedAdminRelationshipEntity, { customerAccountId: account.id, status: 'ACTIVE' }) : Promise.resolve([]),
    liveGrants(ctx, account),
  ]);
  const delegating = relationships.filter((r) => {
    if (!r.expiresAt || r.expiresAt.getTime() <= now) return false;
    const assignments = r.roles.map((role): RoleAssignmentFact => ({ role, accountId: account.id, accountType: account.type, source: { kind: 'delegated', relationshipId: r.id } }));
    return ctx.engine.authorize(synthetic(r.partnerAccountId, assignments), permission, facts).allowed;
  });
  // A grant counts when a session under it would be allowed the permission here (the grant names it, and its module or setting is on).
  const reaching = grants.filter((g) => sessionDecision(ctx, '', g, facts, permission).allowed);
  const partnerIds = [...new Set([...delegating.map((r) => r.partnerAccountId), ...reaching.map((g) => g.partnerAccountId)])];
  const loaded = await ctx.loaders.account.loadMany([...facts.ancestorIds, ...partnerIds]);
  const accounts = new Map<string, AccountEntity>([[account.id, account]]);
  for (const a of loaded) if (a instanceof AccountEntity) accounts.set(a.id, a);
  const custom = ctx.engine.policy.customRoles ? await customRolesHeldIn(em, [...accounts.keys()]) : [];

  const holdings: Holding[] = [];
  for (const home of accounts.values()) {
    // Nobody in a suspended account holds anything.
    if (home.status !== 'ACTIVE') continue;
    const reviewedOrAbove = home.id === account.id || facts.ancestorIds.includes(home.id);
    const roles = reviewedOrAbove ? rolesThat(ctx, home, custom, (f) => ctx.engine.authorize(f, permission, facts).allowed) : { policy: [], custom: [] };
    const delegations = delegating.filter((r) => r.partnerAccountId === home.id);
    const delegates = delegations.some((r) => r.delegateUserId === null) ? 'all' : delegations.map((r) => r.delegateUserId!);
    const partner = accountFacts(home);
    const impersonators = reaching.some((g) => g.partnerAccountId === home.id)
      ? rolesThat(ctx, home, custom, (f) => ctx.engine.authorizeAction(f, 'impersonation.start', partner).allowed)
      : { policy: [], custom: [] };
    if (roles.policy.length + roles.custom.length + impersonators.policy.length + impersonators.custom.length > 0 || delegates === 'all' || delegates.length > 0) {
      holdings.push({ account: home, roles, delegates, impersonators });
    }
  }
  if (holdings.length === 0) return { holders: [], hasNextPage: false, totalCount: 0 };

  const build = () => holdersQuery(ctx, em, holdings);
  const page = build().select(['u.id', 'u.email']);
  if (after !== undefined) page.andWhere('u.email > :after', { after });
  const [totalCount, ids] = await Promise.all([build().getCount(), page.orderBy('u.email', 'ASC').limit(first + 1).getMany()]);
  const wanted = ids.slice(0, first).map((u) => u.id);
  const candidates = await loadUserFacts(em, ctx.engine, { userIds: wanted });
  const holders: PermissionHolder[] = [];
  for (const id of wanted) {
    const who = candidates.get(id);
    if (!who) continue;
    const decision = ctx.engine.authorize(who.facts, permission, facts);
    if (decision.allowed) holders.push({ user: who.user, account: who.account, ...held(decision) });
    else {
      const granted = throughGrants(ctx, who, reaching, facts).find((p) => p.permission === permission);
      if (granted) holders.push({ user: who.user, account: who.account, ...granted });
    }
  }
  holders.forEach((h) => ctx.loaders.user.prime(h.user.id, h.user));
  return { holders, hasNextPage: ids.length > first, totalCount };
}

/** The custom roles assigned to users of these accounts (a policy without custom roles has none). */
function customRolesHeldIn(em: EntityManager, accountIds: readonly string[]): Promise<CustomRoleEntity[]> {
  const query = em.createQueryBuilder(CustomRoleEntity, 'cr');
  const held = query.subQuery().select('ra.customRoleId').from(RoleAssignmentEntity, 'ra').where('ra.accountId IN (:...accountIds) AND ra.customRoleId IS NOT NULL').getQuery();
  return query.where(`cr.id IN ${held}`, { accountIds }).getMany();
}

/**
 * The users matching one of the holdings: active (not suspended, signing in: no role whose holders never do), of
 * the holding's account, and holding a role there, or delegated, or able to start a session under a reaching grant.
 * The users are found by account or walked in email order, as the planner prefers; each role test is an indexed
 * look-up of the user's rights.
 */
function holdersQuery(ctx: RequestContext, em: EntityManager, holdings: readonly Holding[]): SelectQueryBuilder<UserEntity> {
  const query = em.createQueryBuilder(UserEntity, 'u').where('u.accountId IN (:...holdingAccountIds)', { holdingAccountIds: holdings.map((h) => h.account.id) });
  query.andWhere("u.status != 'SUSPENDED'");
  // A user's rights are held in their home account: naming it lets each test read the (account, role) index.
  const holdsOne = (names: RoleNames, alias: string, home: string): string | null => {
    const parts: string[] = [];
    if (names.policy.length > 0) {
      parts.push(`(${alias}.customRoleId IS NULL AND ${alias}.role IN (:...${alias}Policy))`);
      query.setParameter(`${alias}Policy`, names.policy);
    }
    if (names.custom.length > 0) {
      parts.push(`${alias}.customRoleId IN (:...${alias}Custom)`);
      query.setParameter(`${alias}Custom`, names.custom);
    }
    if (parts.length === 0) return null;
    return `EXISTS ${query.subQuery().select('1').from(RoleAssignmentEntity, alias).where(`${alias}.userId = u.id AND ${alias}.accountId = :${home} AND (${parts.join(' OR ')})`).getQuery()}`;
  };
  query.andWhere(
    new Brackets((any) => {
      holdings.forEach((holding, i) => {
        const ways = [holdsOne(holding.roles, `hr${i}`, `home${i}`), holdsOne(holding.impersonators, `hi${i}`, `home${i}`)].filter((w): w is string => w !== null);
        if (holding.delegates === 'all') ways.push('1 = 1');
        else if (holding.delegates.length > 0) {
          ways.push(`u.id IN (:...delegates${i})`);
          query.setParameter(`delegates${i}`, holding.delegates);
        }
        const noLogin = ctx.engine.rolesOf(holding.account.type).filter((r) => !r.canLogin).map((r) => r.name);
        let signsIn = '';
        if (noLogin.length > 0) {
          query.setParameter(`noLogin${i}`, noLogin);
          signsIn = ` AND NOT EXISTS ${query.subQuery().select('1').from(RoleAssignmentEntity, `nl${i}`).where(`nl${i}.userId = u.id AND nl${i}.customRoleId IS NULL AND nl${i}.role IN (:...noLogin${i})`).getQuery()}`;
        }
        query.setParameter(`home${i}`, holding.account.id);
        any.orWhere(`(u.accountId = :home${i}${signsIn} AND (${ways.join(' OR ')}))`);
      });
    }),
  );
  return query;
}
