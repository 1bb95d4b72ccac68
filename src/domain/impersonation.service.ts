import { randomUUID } from 'crypto';
import { IsNull } from 'typeorm';
import { badInput, forbidden, InvariantError, notFound } from '../errors';
import { displayName } from '../identifiers';
import { signImpersonationToken } from '../identity';
import { mergeGrant, type PermissionGrant } from '../policy';
import { AccountEntity, ancestorIdsOf, ImpersonationGrantEntity, ImpersonationSessionEntity } from '../storage/entities';
import { audit } from './audit';
import type { RequestContext } from './context';

export interface GrantImpersonationInput {
  customerAccountId: string;
  /** Default: the customer's parent. */
  partnerAccountId?: string | null;
  rights: string[];
  expiresAt?: Date | null;
}

export type GrantStatus = 'PENDING' | 'ACTIVE' | 'EXPIRED' | 'REVOKED';
export type SessionStatus = 'ACTIVE' | 'ENDED' | 'EXPIRED';

export function grantStatus(grant: ImpersonationGrantEntity, now = Date.now()): GrantStatus {
  if (grant.revokedAt) return 'REVOKED';
  // Recorded by the scheduler: the grant's end passed, or its request went unanswered too long.
  if (grant.expiredAt) return 'EXPIRED';
  // A partner's request lets nobody in until the customer approves it.
  if (grant.requestedByUserId && !grant.approvedAt) return 'PENDING';
  return grant.expiresAt && grant.expiresAt.getTime() <= now ? 'EXPIRED' : 'ACTIVE';
}

export function sessionStatus(session: ImpersonationSessionEntity, now = Date.now()): SessionStatus {
  if (session.endedAt) return 'ENDED';
  return session.expiresAt.getTime() <= now ? 'EXPIRED' : 'ACTIVE';
}

/**
 * The permissions the live grants to the caller's account would give them in a session, when they may start one;
 * none in a session (it starts no other). Part of what the caller could ever be allowed, for their schema view.
 */
export async function permissionsUnderLiveGrants(ctx: RequestContext): Promise<string[]> {
  const principal = ctx.principal;
  if (!principal || principal.impersonation || !ctx.decide('impersonation.start', principal.account).allowed) return [];
  const grants = await ctx.services.db.manager.findBy(ImpersonationGrantEntity, { partnerAccountId: principal.account.id, revokedAt: IsNull() });
  return grants.filter((grant) => grantStatus(grant) === 'ACTIVE').flatMap((grant) => grant.grants.map((g) => g.permission));
}

const MAX_RIGHTS = 100;

/** A session could otherwise make its own consent permanent: it administers no grant, whatever its grant names. */
function refuseInSession(ctx: RequestContext): void {
  if (ctx.requirePrincipal().impersonation) throw forbidden('an impersonation session never administers impersonation grants or sessions');
}

/**
 * Consent comes from the customer: a role held in the customer account itself (or a session the customer
 * explicitly allowed to manage grants), never one inherited from a partner or the platform above it.
 */
function requireConsentOn(ctx: RequestContext, customer: AccountEntity): void {
  const decision = ctx.decide('impersonation.grant', customer);
  if (!decision.allowed) throw forbidden(`not allowed: ${decision.reason}`, { permission: 'impersonation.grant', accountId: customer.id });
  if (decision.grant?.via !== 'own' && decision.grant?.via !== 'impersonation') {
    throw forbidden(`only the customer's own administrators grant impersonation on account ${customer.id}`, { permission: 'impersonation.grant', accountId: customer.id });
  }
}

/** The permissions the named rights (roles of the customer's type, or permissions) amount to, each held by the granter. */
function grantedPermissions(ctx: RequestContext, customer: AccountEntity, rights: string[]): PermissionGrant[] {
  const { policy } = ctx.engine;
  const grants = new Map<string, PermissionGrant>();
  for (const permission of namedPermissions(ctx, customer, rights)) {
    const held = ctx.decide(permission, customer);
    if (!held.allowed) throw forbidden(`cannot grant ${permission}: not held on account ${customer.id}`, { permission });
    mergeGrant(grants, { permission, descendants: false, scope: held.scope ?? undefined, module: policy.moduleOf.get(permission) }, policy.scopes);
  }
  return [...grants.values()];
}

/** The permissions named rights amount to, each a right of the customer's account type (else BAD_USER_INPUT). */
function namedPermissions(ctx: RequestContext, customer: AccountEntity, rights: string[]): string[] {
  const { policy } = ctx.engine;
  const customerPermissions = policy.accountTypes.get(customer.type)?.permissions ?? [];
  const named = new Set<string>();
  for (const right of rights) {
    const role = ctx.engine.role(customer.type, right);
    if (role) for (const grant of role.grants.values()) named.add(grant.permission);
    else if (policy.permissions.has(right)) named.add(right);
    else throw badInput(`${right} is neither a role of ${customer.type} accounts nor a permission`, { field: 'rights' });
  }
  const sorted = [...named].sort();
  for (const permission of sorted) {
    if (!customerPermissions.includes(permission)) {
      throw badInput(`${permission} is not a right of ${customer.type} accounts: a customer grants only its own rights`, { field: 'rights', permission });
    }
  }
  return sorted;
}

/** Rights named in a grant or a request: 1 to MAX_RIGHTS non-empty names, without duplicates. */
function checkedRights(raw: string[]): string[] {
  const rights = [...new Set(raw.map((r) => r.trim()))];
  if (rights.length === 0 || rights.length > MAX_RIGHTS || rights.some((r) => r.length === 0)) {
    throw badInput(`name 1 to ${MAX_RIGHTS} rights to grant`, { field: 'rights' });
  }
  return rights;
}

export async function grantImpersonation(ctx: RequestContext, input: GrantImpersonationInput): Promise<ImpersonationGrantEntity> {
  refuseInSession(ctx);
  const rights = checkedRights(input.rights);
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw badInput('expiresAt must be in the future', { field: 'expiresAt' });
  const customer = await ctx.visibleAccount(input.customerAccountId);
  if (!customer) throw notFound('account', input.customerAccountId);
  requireConsentOn(ctx, customer);
  const partnerId = input.partnerAccountId ?? customer.parentId;
  if (!partnerId || !ancestorIdsOf(customer.path).includes(partnerId)) {
    throw badInput(`account ${partnerId ?? '(none)'} does not manage account ${customer.id}: impersonation is granted to a partner above the customer`, { field: 'partnerAccountId' });
  }
  const grants = grantedPermissions(ctx, customer, rights);
  return ctx.transaction(async (em) => {
    const locked = await ctx.services.db.lockAccounts(em, [customer.id, partnerId]);
    const partner = locked.get(partnerId);
    if (!partner || partner.type === 'PLATFORM') throw badInput(`account ${partnerId} is not a partner of account ${customer.id}: a direct customer has no partner to let in`, { field: 'partnerAccountId' });
    const current = await em.findBy(ImpersonationGrantEntity, { customerAccountId: customer.id, partnerAccountId: partner.id, revokedAt: IsNull() });
    if (current.some((g) => grantStatus(g) === 'ACTIVE')) {
      throw new InvariantError(`account ${customer.id} already grants impersonation to account ${partner.id}: revoke that grant first`, { field: 'partnerAccountId' });
    }
    const grant = em.create(ImpersonationGrantEntity, {
      id: randomUUID(),
      customerAccountId: customer.id,
      partnerAccountId: partner.id,
      rights,
      grants,
      expiresAt: input.expiresAt ?? null,
      grantedByUserId: ctx.requirePrincipal().user.id,
      createdAt: new Date(),
      revokedAt: null,
      revokedByUserId: null,
      requestedByUserId: null,
      requestReason: null,
      approvedAt: null,
      expiredAt: null,
    });
    await em.insert(ImpersonationGrantEntity, grant);
    await audit(em, ctx, {
      action: 'impersonation.grant',
      subjectAccountId: customer.id,
      targetType: 'ImpersonationGrant',
      targetId: grant.id,
      details: { partnerAccountId: partner.id, rights, expiresAt: grant.expiresAt?.toISOString() ?? null },
    });
    return grant;
  });
}

/** A grant the viewer may see: the customer's administrators and the partner it was given to. */
export async function visibleGrant(ctx: RequestContext, id: string): Promise<ImpersonationGrantEntity | null> {
  const grant = await ctx.services.db.manager.findOneBy(ImpersonationGrantEntity, { id });
  if (!grant) return null;
  const customer = await ctx.visibleAccount(grant.customerAccountId);
  if (customer && ctx.decide('impersonation.grant', customer).allowed) return grant;
  const partner = await ctx.visibleAccount(grant.partnerAccountId);
  if (partner && ctx.decide('impersonation.start', partner).allowed) return grant;
  return null;
}

/** Revoking ends the grant's sessions with it: their next request is refused. */
export async function revokeImpersonationGrant(ctx: RequestContext, id: string): Promise<ImpersonationGrantEntity> {
  refuseInSession(ctx);
  const visible = await visibleGrant(ctx, id);
  if (!visible) throw notFound('impersonation grant', id);
  const customer = (await ctx.account(visible.customerAccountId))!;
  requireConsentOn(ctx, customer);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [customer.id]);
    const grant = await em.findOneByOrFail(ImpersonationGrantEntity, { id });
    if (grant.revokedAt) throw new InvariantError(`impersonation grant ${id} is already revoked`);
    const now = new Date();
    const by = ctx.requirePrincipal().user.id;
    await em.update(ImpersonationGrantEntity, { id }, { revokedAt: now, revokedByUserId: by });
    await em.update(ImpersonationSessionEntity, { grantId: id, endedAt: IsNull() }, { endedAt: now, endedByUserId: by });
    await audit(em, ctx, { action: 'impersonation.revoke', subjectAccountId: customer.id, targetType: 'ImpersonationGrant', targetId: id, details: { partnerAccountId: grant.partnerAccountId } });
    return em.findOneByOrFail(ImpersonationGrantEntity, { id });
  });
}

export interface ImpersonationStart {
  session: ImpersonationSessionEntity;
  token: string;
}

/** A partner user with `customers:impersonate` starts a session under the customer's active grant to their account. */
export async function startImpersonation(ctx: RequestContext, customerAccountId: string, reason: string): Promise<ImpersonationStart> {
  const principal = ctx.requirePrincipal();
  if (principal.impersonation) throw forbidden('an impersonation session cannot start another one');
  const why = displayName(reason, { what: 'a reason', field: 'reason', max: 500 });
  const customer = await ctx.visibleAccount(customerAccountId);
  if (!customer) throw notFound('account', customerAccountId);
  const partner = principal.account;
  const may = ctx.decide('impersonation.start', partner);
  if (!may.allowed) throw forbidden(`not allowed: ${may.reason}`, { permission: 'impersonation.start', accountId: partner.id });
  const keys = ctx.services.signingKeys;
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [customer.id]);
    const grants = await em.find(ImpersonationGrantEntity, { where: { customerAccountId: customer.id, partnerAccountId: partner.id }, order: { createdAt: 'ASC', id: 'ASC' } });
    const grant = grants.find((g) => grantStatus(g) === 'ACTIVE');
    if (!grant) {
      const lapsed = grants.length > 0 ? `its grant is ${grantStatus(grants[grants.length - 1]).toLowerCase()}` : 'it has granted none';
      throw forbidden(`account ${customer.id} has not granted impersonation to account ${partner.id}: ${lapsed}`, { accountId: customer.id });
    }
    const now = new Date();
    const longest = now.getTime() + ctx.services.config.impersonationMaxMinutes * 60_000;
    const expiresAt = new Date(Math.min(longest, grant.expiresAt?.getTime() ?? longest));
    const session = em.create(ImpersonationSessionEntity, {
      id: randomUUID(),
      grantId: grant.id,
      actorUserId: principal.user.id,
      partnerAccountId: partner.id,
      customerAccountId: customer.id,
      reason: why,
      startedAt: now,
      expiresAt,
      endedAt: null,
      endedByUserId: null,
      expiredAt: null,
    });
    await em.insert(ImpersonationSessionEntity, session);
    await audit(em, ctx, { action: 'impersonation.start', subjectAccountId: customer.id, targetType: 'ImpersonationSession', targetId: session.id, details: {
        grantId: grant.id,
        reason: why,
        partnerAccountId: partner.id,
        // What the customer's portal shows: who acts, why, with which rights, until when.
        grantedRights: grant.rights,
        grantedPermissions: grant.grants.map((g) => g.permission),
        expiresAt: expiresAt.toISOString(),
      },
    });
    const token = await signImpersonationToken(keys, {
      sessionId: session.id,
      actor: { id: principal.user.id, email: principal.user.email, accountId: partner.id },
      customerAccountId: customer.id,
      expiresAt,
    });
    return { session, token };
  });
}

/** The actor ends their session (from inside it or not); the customer's administrators may end any of theirs. */
export async function endImpersonation(ctx: RequestContext, sessionId: string): Promise<ImpersonationSessionEntity> {
  const principal = ctx.requirePrincipal();
  const found = await ctx.services.db.manager.findOneBy(ImpersonationSessionEntity, { id: sessionId });
  if (!found) throw notFound('impersonation session', sessionId);
  // Inside a session, only that session itself may be ended: a session administers no other.
  if (principal.impersonation && principal.impersonation.session.id !== sessionId) throw forbidden('an impersonation session may end only itself');
  if (found.actorUserId !== principal.user.id) {
    const customer = await ctx.visibleAccount(found.customerAccountId);
    if (!customer) throw notFound('impersonation session', sessionId);
    requireConsentOn(ctx, customer);
  }
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [found.customerAccountId]);
    const session = await em.findOneByOrFail(ImpersonationSessionEntity, { id: sessionId });
    if (session.endedAt) throw new InvariantError(`impersonation session ${sessionId} has already ended`);
    await em.update(ImpersonationSessionEntity, { id: sessionId }, { endedAt: new Date(), endedByUserId: principal.user.id });
    await audit(em, ctx, { action: 'impersonation.end', subjectAccountId: session.customerAccountId, targetType: 'ImpersonationSession', targetId: sessionId });
    return em.findOneByOrFail(ImpersonationSessionEntity, { id: sessionId });
  });
}

export interface RequestImpersonationInput {
  customerAccountId: string;
  rights: string[];
  reason: string;
}

/**
 * A partner user who may impersonate asks a customer below their account for a grant. The rights are fixed now; the
 * grant is PENDING and lets nobody in until the customer's administrator approves it (or revokes it to decline).
 */
export async function requestImpersonation(ctx: RequestContext, input: RequestImpersonationInput): Promise<ImpersonationGrantEntity> {
  refuseInSession(ctx);
  const principal = ctx.requirePrincipal();
  const rights = checkedRights(input.rights);
  const why = displayName(input.reason, { what: 'a reason', field: 'reason', max: 500 });
  const customer = await ctx.visibleAccount(input.customerAccountId);
  if (!customer) throw notFound('account', input.customerAccountId);
  const partner = principal.account;
  const may = ctx.decide('impersonation.start', partner);
  if (!may.allowed) throw forbidden(`not allowed: ${may.reason}`, { permission: 'impersonation.start', accountId: partner.id });
  if (customer.type !== 'CUSTOMER' || partner.type === 'PLATFORM' || !ancestorIdsOf(customer.path).includes(partner.id)) {
    throw badInput(`account ${customer.id} is not a customer below account ${partner.id}: impersonation is asked of one's own customers`, { field: 'customerAccountId' });
  }
  namedPermissions(ctx, customer, rights);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [customer.id, partner.id]);
    const current = await em.findBy(ImpersonationGrantEntity, { customerAccountId: customer.id, partnerAccountId: partner.id, revokedAt: IsNull() });
    const open = current.find((g) => grantStatus(g) === 'ACTIVE' || grantStatus(g) === 'PENDING');
    if (open) throw new InvariantError(`account ${customer.id} already has a ${grantStatus(open)} grant to account ${partner.id}`, { field: 'customerAccountId' });
    const grant = em.create(ImpersonationGrantEntity, {
      id: randomUUID(),
      customerAccountId: customer.id,
      partnerAccountId: partner.id,
      rights,
      grants: [],
      expiresAt: null,
      grantedByUserId: principal.user.id,
      createdAt: new Date(),
      revokedAt: null,
      revokedByUserId: null,
      requestedByUserId: principal.user.id,
      requestReason: why,
      approvedAt: null,
      expiredAt: null,
    });
    await em.insert(ImpersonationGrantEntity, grant);
    await audit(em, ctx, { action: 'impersonation.request', subjectAccountId: customer.id, targetType: 'ImpersonationGrant', targetId: grant.id, details: { partnerAccountId: partner.id, rights, reason: why } });
    return grant;
  });
}

/**
 * The customer's own administrator approves a PENDING request: the rights asked for become the grant, each one held
 * by the approver (grant only what you hold), from now until revoked. Never the requesting side.
 */
export async function approveImpersonationGrant(ctx: RequestContext, id: string): Promise<ImpersonationGrantEntity> {
  refuseInSession(ctx);
  const visible = await visibleGrant(ctx, id);
  if (!visible) throw notFound('impersonation grant', id);
  const customer = (await ctx.account(visible.customerAccountId))!;
  requireConsentOn(ctx, customer);
  if (grantStatus(visible) !== 'PENDING') throw new InvariantError(`impersonation grant ${id} is ${grantStatus(visible)}, not PENDING`);
  const grants = grantedPermissions(ctx, customer, visible.rights);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [customer.id, visible.partnerAccountId]);
    const grant = await em.findOneByOrFail(ImpersonationGrantEntity, { id });
    if (grantStatus(grant) !== 'PENDING') throw new InvariantError(`impersonation grant ${id} is ${grantStatus(grant)}, not PENDING`);
    const others = await em.findBy(ImpersonationGrantEntity, { customerAccountId: customer.id, partnerAccountId: grant.partnerAccountId, revokedAt: IsNull() });
    if (others.some((g) => g.id !== id && grantStatus(g) === 'ACTIVE')) {
      throw new InvariantError(`account ${customer.id} already grants impersonation to account ${grant.partnerAccountId}: revoke that grant first`);
    }
    await em.update(ImpersonationGrantEntity, { id }, { grants, approvedAt: new Date(), grantedByUserId: ctx.requirePrincipal().user.id });
    await audit(em, ctx, { action: 'impersonation.approve', subjectAccountId: customer.id, targetType: 'ImpersonationGrant', targetId: id, details: { partnerAccountId: grant.partnerAccountId, rights: grant.rights } });
    return em.findOneByOrFail(ImpersonationGrantEntity, { id });
  });
}
