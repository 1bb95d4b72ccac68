import type { EntityManager } from 'typeorm';
import type { PrincipalFacts } from '../policy';
import { appendAuditEvent } from '../storage/audit-chain';
import type { UserEntity } from '../storage/entities';
import { publishEvent } from './events';

/** Who makes a change and what their right to make it rested on; a request's context is one. */
export interface Auditor {
  readonly requestId: string;
  requirePrincipal(): { user: UserEntity; facts: Pick<PrincipalFacts, 'impersonation'> };
  /** The delegated relationship a decision on this account rested on during the request, if any. */
  delegatedRelationshipOn(accountId: string): string | null;
}

/** A user changing their own record before their request has a context (accepting an invitation, linking an identity). */
export const selfService = (user: UserEntity, requestId: string): Auditor => ({
  requestId,
  requirePrincipal: () => ({ user, facts: {} }),
  delegatedRelationshipOn: () => null,
});

export interface AuditEntry {
  action: string;
  subjectAccountId: string;
  targetType: 'Account' | 'User' | 'CustomRole' | 'ImpersonationGrant' | 'ImpersonationSession' | 'DelegatedAdminRelationship' | 'Webhook' | 'PartnerGroup' | 'Communication' | 'View';
  targetId: string;
  /** The user the change is about; a change to a User is about that user unless told otherwise. */
  subjectUserId?: string | null;
  details?: Record<string, unknown>;
  /** When the change was made, if not now (a row written with the change carries the same instant). */
  occurredAt?: Date;
  /**
   * What the lifecycle event carries besides the trail's details, never kept in the trail (which is exported and
   * chained): the confirmation code of an email change, for the sender that mails it to the new address.
   */
  eventOnly?: Record<string, unknown>;
}

/**
 * Records a change in the transaction that makes it: if this write fails, so does the change. The actor is the
 * person at the keyboard (in a session, the partner user), with the session or the delegated relationship the
 * change was allowed through. The event joins its account's hash chain, and a lifecycle event (for webhooks) is
 * written to the outbox with it.
 */
/** The actor of what Portico does on its own schedule (expiries, warnings, renewals): no user, the clock. */
export const SCHEDULER_ACTOR_ID = 'portico-scheduler';

/**
 * Records a change the lifecycle scheduler makes, in its transaction, with its lifecycle event: as `audit` does
 * for a person's change, the scheduler being the actor.
 */
export async function auditScheduled(em: EntityManager, entry: AuditEntry, at: { requestId: string; occurredAt: Date }): Promise<void> {
  const event = await appendAuditEvent(em, {
    occurredAt: at.occurredAt,
    actorUserId: SCHEDULER_ACTOR_ID,
    subjectAccountId: entry.subjectAccountId,
    subjectUserId: entry.subjectUserId ?? null,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    requestId: at.requestId,
    details: entry.details ?? null,
  });
  await publishEvent(em, event, null);
}

export async function audit(em: EntityManager, ctx: Auditor, entry: AuditEntry): Promise<void> {
  const principal = ctx.requirePrincipal();
  const event = await appendAuditEvent(em, {
    occurredAt: entry.occurredAt,
    actorUserId: principal.user.id,
    subjectAccountId: entry.subjectAccountId,
    subjectUserId: entry.subjectUserId !== undefined ? entry.subjectUserId : entry.targetType === 'User' ? entry.targetId : null,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    requestId: ctx.requestId,
    impersonationSessionId: principal.facts.impersonation?.sessionId ?? null,
    delegatedRelationshipId: ctx.delegatedRelationshipOn(entry.subjectAccountId),
    details: entry.details ?? null,
  });
  const { user } = principal;
  await publishEvent(em, event, { id: user.id, email: user.email, name: user.name, accountId: user.accountId }, entry.eventOnly);
}
