import type { EntityManager } from 'typeorm';
import { appendAuditEvent } from '../storage/audit-chain';
import type { RequestContext } from './context';
import { publishEvent } from './events';

export interface AuditEntry {
  action: string;
  subjectAccountId: string;
  targetType: 'Account' | 'User' | 'CustomRole' | 'ImpersonationGrant' | 'ImpersonationSession' | 'DelegatedAdminRelationship' | 'Webhook' | 'PartnerGroup';
  targetId: string;
  /** The user the change is about; a change to a User is about that user unless told otherwise. */
  subjectUserId?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Records a change in the transaction that makes it: if this write fails, so does the change. The actor is the
 * person at the keyboard (in a session, the partner user), with the session or the delegated relationship the
 * change was allowed through. The event joins its account's hash chain, and a lifecycle event (for webhooks) is
 * written to the outbox with it.
 */
export async function audit(em: EntityManager, ctx: RequestContext, entry: AuditEntry): Promise<void> {
  const principal = ctx.requirePrincipal();
  const event = await appendAuditEvent(em, {
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
  await publishEvent(em, event, { id: user.id, email: user.email, name: user.name, accountId: user.accountId });
}
