import { randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import { AuditEventEntity } from '../storage/entities';
import type { RequestContext } from './context';

export interface AuditEntry {
  action: string;
  subjectAccountId: string;
  targetType: 'Account' | 'User' | 'CustomRole';
  targetId: string;
  details?: Record<string, unknown>;
}

/** Records a change in the transaction that makes it: if this write fails, so does the change. */
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
    delegatedRelationshipId: null,
    details: (entry.details ?? null) as never,
  });
}
