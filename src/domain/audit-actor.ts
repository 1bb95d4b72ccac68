import type { AuditEventEntity } from '../storage/entities';

/**
 * Whether the readers of an account's own trail are shown who made a change there: one of the account's own users,
 * or, on its impersonation events (a request, a session's start and end, what was done in it), the partner user
 * (SPEC §4: the customer sees who acted in its portal). Anyone else (a user of a partner above acting on it, a
 * delegate) is known to them by id only. The account's webhook payloads follow the same rule as its trail.
 */
export function actorShownToAccount(event: Pick<AuditEventEntity, 'subjectAccountId' | 'impersonationSessionId' | 'action'>, actor: { accountId: string }): boolean {
  return actor.accountId === event.subjectAccountId || event.impersonationSessionId !== null || event.action.startsWith('impersonation.');
}
