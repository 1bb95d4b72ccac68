import { randomUUID } from 'crypto';
import { badInput, forbidden, InvariantError, notFound } from '../errors';
import { AccountEntity, ancestorIdsOf, DelegatedAdminRelationshipEntity, UserEntity, type DelegatedAdminStatus } from '../storage/entities';
import { audit } from './audit';
import type { RequestContext } from './context';

/** Delegated administration is time-bound: at most two years, as the marketplaces that offer it allow. */
export const MAX_DELEGATION_DAYS = 730;
const DAY = 24 * 60 * 60 * 1000;

export interface RequestDelegatedAdminInput {
  customerAccountId: string;
  /** Defaults to the requester's own account. */
  partnerAccountId?: string | null;
  /** One user of the partner; absent means every user of the partner account. */
  delegateUserId?: string | null;
  roles: string[];
  durationDays: number;
  /** Renew for AUTO_EXTEND_DAYS at each end, until either side turns it off. @default false */
  autoExtend?: boolean | null;
}

/** The status as a reader sees it: an active relationship past its end has expired. */
export function delegationStatus(relationship: DelegatedAdminRelationshipEntity, now = Date.now()): DelegatedAdminStatus {
  if (relationship.status === 'ACTIVE' && relationship.expiresAt && relationship.expiresAt.getTime() <= now) return 'EXPIRED';
  return relationship.status;
}

/** Whether the viewer decides for this side with a role held in that very account, not one inherited or delegated. */
function actsForAccount(ctx: RequestContext, action: 'delegation.request' | 'delegation.approve', account: AccountEntity): boolean {
  const decision = ctx.decide(action, account);
  return decision.allowed && decision.grant?.via === 'own';
}

export async function requestDelegatedAdmin(ctx: RequestContext, input: RequestDelegatedAdminInput): Promise<DelegatedAdminRelationshipEntity> {
  const principal = ctx.requirePrincipal();
  if (!Number.isInteger(input.durationDays) || input.durationDays < 1 || input.durationDays > MAX_DELEGATION_DAYS) {
    throw badInput(`durationDays must be a whole number of days from 1 to ${MAX_DELEGATION_DAYS}`, { field: 'durationDays', max: MAX_DELEGATION_DAYS });
  }
  const roles = [...new Set(input.roles)];
  if (roles.length === 0) throw badInput('name at least one role to delegate', { field: 'roles' });
  const partnerId = input.partnerAccountId ?? principal.account.id;
  const partner = await ctx.visibleAccount(partnerId);
  if (!partner) throw notFound('account', partnerId);
  if (!actsForAccount(ctx, 'delegation.request', partner)) {
    throw forbidden(`not allowed: no role of yours in account ${partner.id} may request delegated administration`, { permission: 'delegation.request', accountId: partner.id });
  }
  // The customer must sit below the partner; anything else reads as unknown, so nothing leaks about other tenants.
  const customer = await ctx.account(input.customerAccountId);
  if (!customer || !ancestorIdsOf(customer.path).includes(partner.id)) throw notFound('account', input.customerAccountId);
  if (customer.type !== 'CUSTOMER') throw badInput(`account ${customer.id} is not a customer`, { field: 'customerAccountId' });
  for (const role of roles) {
    if (!ctx.engine.role(customer.type, role)) throw badInput(`role ${role} does not exist for account type ${customer.type}`, { field: 'roles', role });
  }
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [partner.id, customer.id]);
    if (input.delegateUserId) {
      const delegate = await em.findOneBy(UserEntity, { id: input.delegateUserId });
      if (!delegate || delegate.accountId !== partner.id) throw badInput(`the delegate must be a user of account ${partner.id}`, { field: 'delegateUserId' });
    }
    const relationship = em.create(DelegatedAdminRelationshipEntity, {
      id: randomUUID(),
      partnerAccountId: partner.id,
      delegateUserId: input.delegateUserId ?? null,
      customerAccountId: customer.id,
      roles,
      durationDays: input.durationDays,
      status: 'PENDING',
      requestedByUserId: principal.user.id,
      requestedAt: new Date(),
      approvedByUserId: null,
      approvedAt: null,
      expiresAt: null,
      terminatedByUserId: null,
      terminatedAt: null,
      autoExtend: input.autoExtend === true,
    });
    await em.insert(DelegatedAdminRelationshipEntity, relationship);
    await audit(em, ctx, {
      action: 'delegation.request',
      subjectAccountId: customer.id,
      targetType: 'DelegatedAdminRelationship',
      targetId: relationship.id,
      details: { partnerAccountId: partner.id, delegateUserId: relationship.delegateUserId, roles, durationDays: input.durationDays, autoExtend: relationship.autoExtend },
    });
    return relationship;
  });
}

/** The customer's side, the partner's side and the delegate see a relationship; nobody else knows it exists. */
export async function visibleRelationship(ctx: RequestContext, id: string): Promise<DelegatedAdminRelationshipEntity | null> {
  const principal = ctx.principal;
  if (!principal) return null;
  const relationship = await ctx.services.db.manager.findOneBy(DelegatedAdminRelationshipEntity, { id });
  if (!relationship) return null;
  if (relationship.delegateUserId === principal.user.id) return relationship;
  const customer = await ctx.visibleAccount(relationship.customerAccountId);
  if (customer && (ctx.decide('delegation.approve', customer).allowed || ctx.decide('audit.read', customer).allowed)) return relationship;
  const partner = await ctx.visibleAccount(relationship.partnerAccountId);
  if (partner && ctx.decide('delegation.request', partner).allowed) return relationship;
  return null;
}

/** Only the customer approves, with a role held in its own account: a partner cannot approve its own request. */
export async function approveDelegatedAdmin(ctx: RequestContext, id: string): Promise<DelegatedAdminRelationshipEntity> {
  const visible = await visibleRelationship(ctx, id);
  if (!visible) throw notFound('delegated admin relationship', id);
  const customer = (await ctx.account(visible.customerAccountId))!;
  if (!actsForAccount(ctx, 'delegation.approve', customer)) {
    throw forbidden(`only the administrators of account ${customer.id} approve its delegated administration`, { permission: 'delegation.approve', accountId: customer.id });
  }
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [visible.partnerAccountId, customer.id]);
    const relationship = await em.findOneByOrFail(DelegatedAdminRelationshipEntity, { id });
    if (relationship.status !== 'PENDING') throw new InvariantError(`delegated admin relationship ${id} is ${relationship.status}, not PENDING`);
    const approvedAt = new Date();
    const expiresAt = new Date(approvedAt.getTime() + relationship.durationDays * DAY);
    await em.update(DelegatedAdminRelationshipEntity, { id }, { status: 'ACTIVE', approvedAt, approvedByUserId: ctx.requirePrincipal().user.id, expiresAt });
    await audit(em, ctx, { action: 'delegation.approve', subjectAccountId: customer.id, targetType: 'DelegatedAdminRelationship', targetId: id, details: { expiresAt: expiresAt.toISOString() } });
    return em.findOneByOrFail(DelegatedAdminRelationshipEntity, { id });
  });
}

/** Whether the viewer may end the relationship: the customer's administrators, the partner's requesters, or the delegate. */
async function mayEnd(ctx: RequestContext, relationship: DelegatedAdminRelationshipEntity): Promise<boolean> {
  if (relationship.delegateUserId === ctx.requirePrincipal().user.id) return true;
  const customer = await ctx.account(relationship.customerAccountId);
  if (customer !== null && actsForAccount(ctx, 'delegation.approve', customer)) return true;
  const partner = await ctx.account(relationship.partnerAccountId);
  return partner !== null && actsForAccount(ctx, 'delegation.request', partner);
}

/** Either side ends it: the customer's administrators, the partner's requesters, or the delegate. */
export async function terminateDelegatedAdmin(ctx: RequestContext, id: string): Promise<DelegatedAdminRelationshipEntity> {
  const principal = ctx.requirePrincipal();
  const visible = await visibleRelationship(ctx, id);
  if (!visible) throw notFound('delegated admin relationship', id);
  if (!(await mayEnd(ctx, visible))) throw forbidden(`not allowed to terminate delegated admin relationship ${id}`, { accountId: visible.customerAccountId });
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [visible.partnerAccountId, visible.customerAccountId]);
    const relationship = await em.findOneByOrFail(DelegatedAdminRelationshipEntity, { id });
    const status = delegationStatus(relationship);
    if (status !== 'PENDING' && status !== 'ACTIVE') throw new InvariantError(`delegated admin relationship ${id} is already ${status}`);
    await em.update(DelegatedAdminRelationshipEntity, { id }, { status: 'TERMINATED', terminatedAt: new Date(), terminatedByUserId: principal.user.id });
    await audit(em, ctx, { action: 'delegation.terminate', subjectAccountId: visible.customerAccountId, targetType: 'DelegatedAdminRelationship', targetId: id });
    return em.findOneByOrFail(DelegatedAdminRelationshipEntity, { id });
  });
}

/**
 * The customer's approvers extend an active relationship to a later end, never more than the longest a
 * relationship may last counted from now: an extension is a fresh consent, bounded like the first one.
 */
export async function extendDelegatedAdmin(ctx: RequestContext, id: string, expiresAt: Date): Promise<DelegatedAdminRelationshipEntity> {
  if (Number.isNaN(expiresAt.getTime())) throw badInput('expiresAt is not a date', { field: 'expiresAt' });
  const visible = await visibleRelationship(ctx, id);
  if (!visible) throw notFound('delegated admin relationship', id);
  const customer = (await ctx.account(visible.customerAccountId))!;
  if (!actsForAccount(ctx, 'delegation.approve', customer)) {
    throw forbidden(`only the administrators of account ${customer.id} extend its delegated administration`, { permission: 'delegation.approve', accountId: customer.id });
  }
  const latest = Date.now() + MAX_DELEGATION_DAYS * DAY;
  if (expiresAt.getTime() > latest) throw badInput(`a relationship lasts at most ${MAX_DELEGATION_DAYS} days from now`, { field: 'expiresAt', max: new Date(latest).toISOString() });
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [visible.partnerAccountId, customer.id]);
    const relationship = await em.findOneByOrFail(DelegatedAdminRelationshipEntity, { id });
    const status = delegationStatus(relationship);
    if (status !== 'ACTIVE') throw new InvariantError(`delegated admin relationship ${id} is ${status}: only an ACTIVE one is extended`);
    if (expiresAt.getTime() <= relationship.expiresAt!.getTime()) {
      throw badInput(`expiresAt must be later than the relationship's current end, ${relationship.expiresAt!.toISOString()}`, { field: 'expiresAt' });
    }
    await em.update(DelegatedAdminRelationshipEntity, { id }, { expiresAt });
    await audit(em, ctx, { action: 'delegation.extend', subjectAccountId: customer.id, targetType: 'DelegatedAdminRelationship', targetId: id, details: { from: relationship.expiresAt!.toISOString(), to: expiresAt.toISOString() } });
    return em.findOneByOrFail(DelegatedAdminRelationshipEntity, { id });
  });
}

/**
 * Turns a relationship's renewal at its end on or off. Off: whoever may end the relationship (either side, or the
 * delegate), since not renewing is ending later. On: only the customer's approvers, as it is a fresh consent.
 */
export async function setDelegatedAdminAutoExtend(ctx: RequestContext, id: string, autoExtend: boolean): Promise<DelegatedAdminRelationshipEntity> {
  const visible = await visibleRelationship(ctx, id);
  if (!visible) throw notFound('delegated admin relationship', id);
  if (autoExtend) {
    const customer = (await ctx.account(visible.customerAccountId))!;
    if (!actsForAccount(ctx, 'delegation.approve', customer)) {
      throw forbidden(`only the administrators of account ${customer.id} turn on the renewal of its delegated administration`, { permission: 'delegation.approve', accountId: customer.id });
    }
  } else if (!(await mayEnd(ctx, visible))) {
    throw forbidden(`not allowed to change delegated admin relationship ${id}`, { accountId: visible.customerAccountId });
  }
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [visible.partnerAccountId, visible.customerAccountId]);
    const relationship = await em.findOneByOrFail(DelegatedAdminRelationshipEntity, { id });
    const status = delegationStatus(relationship);
    if (status !== 'PENDING' && status !== 'ACTIVE') throw new InvariantError(`delegated admin relationship ${id} is ${status}: it renews no more`);
    if (relationship.autoExtend === autoExtend) return relationship;
    await em.update(DelegatedAdminRelationshipEntity, { id }, { autoExtend });
    await audit(em, ctx, { action: 'delegation.setAutoExtend', subjectAccountId: visible.customerAccountId, targetType: 'DelegatedAdminRelationship', targetId: id, details: { autoExtend } });
    return em.findOneByOrFail(DelegatedAdminRelationshipEntity, { id });
  });
}
