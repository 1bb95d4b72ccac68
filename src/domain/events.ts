import { randomBytes, randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import type { AuditEventEntity } from '../storage/entities';
import { ImpersonationSessionEntity, OutboxEventEntity, WebhookDeliveryEntity, WebhookEntity } from '../storage/entities';
import { actorShownToAccount, sessionIdOf } from './audit-actor';

/** The lifecycle events a webhook may subscribe to (SPEC §7.2). */
export const EVENT_TYPES = [
  'impersonation.session.started',
  'impersonation.session.ended',
  'impersonation.grant.requested',
  'impersonation.grant.revoked',
  'impersonation.grant.expired',
  'delegation.requested',
  'delegation.approved',
  'delegation.expiring',
  'delegation.expired',
  'delegation.renewed',
  'role.assigned',
  'role.revoked',
  'user.invited',
  'account.updated',
  'communication.sent',
  'view.created',
  'view.updated',
  'view.deleted',
  'user.email_change_requested',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Which audited actions announce an event; the others stay in the trail only. */
const EVENT_OF_ACTION: Record<string, EventType> = {
  'impersonation.start': 'impersonation.session.started',
  'impersonation.end': 'impersonation.session.ended',
  // The scheduler ends a session whose time ran out: for the customer, it ended.
  'impersonation.expire': 'impersonation.session.ended',
  'impersonation.request': 'impersonation.grant.requested',
  'impersonation.revoke': 'impersonation.grant.revoked',
  'impersonation.grant.expire': 'impersonation.grant.expired',
  'delegation.request': 'delegation.requested',
  'delegation.approve': 'delegation.approved',
  'delegation.expiring': 'delegation.expiring',
  'delegation.expire': 'delegation.expired',
  'delegation.renew': 'delegation.renewed',
  'user.assignRole': 'role.assigned',
  'user.revokeRole': 'role.revoked',
  'user.invite': 'user.invited',
  // Settings changes name the secret settings that changed, never their values (as the audit event does).
  'account.update': 'account.updated',
  // A communication's recipients (ids), topic, subject and body: what a mail or SMS sender needs to deliver it.
  'communication.send': 'communication.sent',
  'view.created': 'view.created',
  'view.updated': 'view.updated',
  'view.deleted': 'view.deleted',
  // The new address is confirmed by a code the event carries (and the trail does not): a mail sender delivers it.
  'user.requestEmailChange': 'user.email_change_requested',
};

export const eventTypeOf = (action: string): EventType | undefined => EVENT_OF_ACTION[action];

export interface EventActor {
  id: string;
  email: string;
  name: string;
  accountId: string;
}

/**
 * Writes the event an audited change announces to the outbox, and a pending delivery for each of the account's
 * webhooks subscribed to it, in the change's own transaction: an event exists exactly when its change committed.
 * The actor's email and name are in it only where the account's own trail shows them (`actorShownToAccount`);
 * otherwise the actor is an id, as in the trail.
 */
export async function publishEvent(em: EntityManager, audited: AuditEventEntity, actor: EventActor | null, eventOnly?: Record<string, unknown>): Promise<OutboxEventEntity | null> {
  const type = eventTypeOf(audited.action);
  if (!type) return null;
  const sessionId = actor && actor.accountId !== audited.subjectAccountId ? sessionIdOf(audited) : null;
  const session = sessionId ? await em.findOneBy(ImpersonationSessionEntity, { id: sessionId }) : null;
  const data = {
    accountId: audited.subjectAccountId,
    auditEventId: audited.id,
    actor: actor && actorShownToAccount(audited, actor, session) ? actor : { id: audited.actorUserId },
    targetType: audited.targetType,
    targetId: audited.targetId,
    subjectUserId: audited.subjectUserId,
    impersonationSessionId: audited.impersonationSessionId,
    delegationId: audited.delegatedRelationshipId,
    requestId: audited.requestId,
    ...(audited.details ?? {}),
    ...(eventOnly ?? {}),
  };
  const event = Object.assign(new OutboxEventEntity(), {
    // Standard Webhooks' `msg_` prefix and 128 random bits: 36 characters, as the column holds.
    id: `msg_${randomBytes(16).toString('hex')}`,
    accountId: audited.subjectAccountId,
    sequence: audited.sequence,
    type,
    body: JSON.stringify({ type, timestamp: audited.occurredAt.toISOString(), data }),
    occurredAt: audited.occurredAt,
  });
  await em.insert(OutboxEventEntity, event);
  const webhooks = await em.findBy(WebhookEntity, { accountId: audited.subjectAccountId });
  for (const webhook of webhooks.filter((w) => w.events.includes(type))) {
    await em.insert(WebhookDeliveryEntity, {
      id: randomUUID(),
      webhookId: webhook.id,
      eventId: event.id,
      sequence: event.sequence,
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: audited.occurredAt,
      lastAttemptAt: null,
      lastStatusCode: null,
      lastError: null,
      deliveredAt: null,
    });
  }
  return event;
}
