import { randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import { AuditEventEntity } from '../storage/entities';
import type { RequestContext } from './context';

export interface AuditEntry {
  action: string;
  subjectAccountId: string;
  targetType: 'Account' | 'User' | 'CustomRole' | 'ImpersonationGrant' | 'ImpersonationSession' | 'DelegatedAdminRelationship';
  targetId: string;
  details?: Record<string, unknown>;
}

/**
 * Records a change in the transaction that makes it: if this write fails, so does the change. The actor is the
 * person at the keyboard (in a session, the partner user), with the session or the delegated relationship the
 * change was allowed through.
 */
export async function audit(em: EntityManager, ctx: RequestContext, entry: AuditEntry): Promise<void> {
  const principal = ctx.requirePrincipal();
  await em.insert(AuditEventEntity, {
    id: randomUUID(),
    occurredAt: new Date(),
    actorUserId: principal.user.id,
    subjectAccountId: entry.subjectAccountId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    requestId: ctx.requestId,
    impersonationSessionId: principal.facts.impersonation?.sessionId ?? null,
    delegatedRelationshipId: ctx.delegatedRelationshipOn(entry.subjectAccountId),
    details: (entry.details ?? null) as never,
  });
}
