import type { AuditEventEntity, ImpersonationSessionEntity } from '../storage/entities';

type AuditedChange = Pick<AuditEventEntity, 'subjectAccountId' | 'impersonationSessionId' | 'targetType' | 'targetId'>;

/** The impersonation session an audited change belongs to: the one it was made in, or the one it started or ended. */
export function sessionIdOf(event: AuditedChange): string | null {
  return event.impersonationSessionId ?? (event.targetType === 'ImpersonationSession' ? event.targetId : null);
}

/**
 * Whether the readers of an account's own trail are told who made a change there: one of the account's own users,
 * or the partner user of a session in its portal, on that session's start, end and every change made in it (SPEC
 * §4: the customer sees who acted in its portal). Anyone else (a user of a partner above acting on it, a delegate, a
 * partner asking for consent) is known to them by id only. The trail (`eventActor`) and the account's webhook
 * payloads (`publishEvent`) both follow this one rule.
 */
export function actorShownToAccount(
  event: AuditedChange,
  actor: { id: string; accountId: string },
  session: Pick<ImpersonationSessionEntity, 'actorUserId' | 'customerAccountId'> | null,
): boolean {
  if (actor.accountId === event.subjectAccountId) return true;
  return session !== null && session.actorUserId === actor.id && session.customerAccountId === event.subjectAccountId;
}
