import { IsNull } from 'typeorm';
import { badInput, notFound } from '../errors';
import type { AccountFacts, Decision, DecisionGrant, PermissionGrant, PrincipalFacts } from '../policy';
import { AccountEntity, DelegatedAdminRelationshipEntity, ImpersonationGrantEntity, type UserEntity } from '../storage/entities';
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

/** A user who holds a permission on an account. */
export interface PermissionHolder extends HeldPermission {
  user: UserEntity;
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
 * What a live grant lets a partner user do in the customer's portal: the grant's permissions, in a session only, for
 * those who may start one. Named as a grant, never as a right of their own.
 */
function throughGrants(ctx: RequestContext, who: UserFacts, grants: readonly ImpersonationGrantEntity[], account: AccountFacts): HeldPermission[] {
  const found: HeldPermission[] = [];
  for (const grant of grants) {
    if (grant.partnerAccountId !== who.account.id || !ctx.engine.authorizeAction(who.facts, 'impersonation.start', accountFacts(who.account)).allowed) continue;
    // The session's own facts: exactly the grant's permissions on this customer, as the session would be decided.
    const session: PrincipalFacts = {
      userId: who.user.id,
      homeAccountId: account.id,
      active: true,
      assignments: [{ role: `impersonation:${grant.id}`, accountId: account.id, accountType: account.type, custom: { id: `impersonation:${grant.id}`, grants: grant.grants }, source: { kind: 'impersonation', grantId: grant.id } }],
      impersonation: { sessionId: `grant:${grant.id}`, grantId: grant.id, accountId: account.id, permissions: new Set(grant.grants.map((g: PermissionGrant) => g.permission)) },
    };
    for (const permission of new Set(grant.grants.map((g: PermissionGrant) => g.permission))) {
      const decision = ctx.engine.authorize(session, permission, account);
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

/**
 * Every user who holds the permission on the account (OpenFGA's ListUsers): its own users, users of the accounts
 * above it through roles that reach descendants, delegated partners, and partners under a live impersonation grant,
 * in email order. Needs `audit.read` there; holders the viewer may not see are left out, as in `users`. A fixed
 * number of statements, whatever the number of holders: candidates and their rights are read in bulk, then decided.
 */
export async function whoCan(ctx: RequestContext, permission: string, accountId: string): Promise<PermissionHolder[]> {
  if (!ctx.engine.isKnownPermission(permission)) throw badInput(`unknown permission ${permission}`, { field: 'permission' });
  const account = await ctx.requireOn('audit.read', accountId);
  const facts = accountFacts(account);
  const em = ctx.services.db.manager;
  const [relationships, grants] = await Promise.all([
    ctx.engine.policy.actions.has('delegation.request') ? em.findBy(DelegatedAdminRelationshipEntity, { customerAccountId: account.id, status: 'ACTIVE' }) : Promise.resolve([]),
    liveGrants(ctx, account),
  ]);
  const reaching = grants.filter((g) => g.grants.some((x) => x.permission === permission));
  const accountIds = [account.id, ...facts.ancestorIds, ...relationships.map((r) => r.partnerAccountId), ...reaching.map((g) => g.partnerAccountId)];
  const candidates = await loadUserFacts(em, ctx.engine, { accountIds });
  const viewer = ctx.requirePrincipal();
  const holders: PermissionHolder[] = [];
  for (const who of candidates.values()) {
    if (!visibleTo(ctx, viewer.facts, viewer.user.id, who)) continue;
    const decision = ctx.engine.authorize(who.facts, permission, facts);
    if (decision.allowed) {
      holders.push({ user: who.user, ...held(decision) });
      continue;
    }
    const granted = throughGrants(ctx, who, reaching, facts).find((p) => p.permission === permission);
    if (granted) holders.push({ user: who.user, ...granted });
  }
  holders.forEach((h) => ctx.loaders.user.prime(h.user.id, h.user));
  return holders.sort((a, b) => (a.user.email < b.user.email ? -1 : a.user.email > b.user.email ? 1 : 0));
}

/** As `visibleUser`: the viewer themselves, or a user of an account where the viewer may read users. */
function visibleTo(ctx: RequestContext, viewer: PrincipalFacts, viewerId: string, who: UserFacts): boolean {
  if (who.user.id === viewerId) return true;
  const home = accountFacts(who.account);
  return ctx.engine.isVisible(viewer, home) && ctx.engine.authorizeAction(viewer, 'users.read', home).allowed;
}

