import { randomBytes, randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import type { AuditEventEntity } from '../storage/entities';
import { ImpersonationSessionEntity, OutboxEventEntity, WebhookDeliveryEntity, WebhookEntity } from '../storage/entities';
import { actorShownToAccount, sessionIdOf } from './audit-actor';

/** The lifecycle events a webhook may subscribe to (SPEC §7.2, §7.3). */
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
  'invitation.resent',
  'user.updated',
  'user.status_changed',
  'user.contact_roles_changed',
  'user.removed',
  'user.email_change_requested',
  'account.created',
  'account.updated',
  'account.status_changed',
  'account.deleted',
  'custom_role.created',
  'custom_role.updated',
  'custom_role.deleted',
  'partner_group.created',
  'partner_group.updated',
  'partner_group.deleted',
  'view.created',
  'view.updated',
  'view.deleted',
  'communication.sent',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Which audited actions announce an event; the others stay in the trail only. The trail keeps the action names it
 * has always written (its rows are chained and exported, and filters and saved exports name them), and this one table
 * gives each its event's name; the event carries the trail row's id as `auditEventId`.
 */
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
  // The address and the roles again, as user.invited: what a mail sender needs to deliver the invitation again.
  'user.resendInvitation': 'invitation.resent',
  'user.update': 'user.updated',
  // The user's own changes from My Settings are changes of the user too: the name, the preference lists that changed
  // (their names only), a confirmed new email.
  'user.updateMySettings': 'user.updated',
  'user.confirmEmail': 'user.updated',
  'user.setStatus': 'user.status_changed',
  'user.setContactRoles': 'user.contact_roles_changed',
  'user.remove': 'user.removed',
  // The new address is confirmed by a code the event carries (and the trail does not): a mail sender delivers it.
  'user.requestEmailChange': 'user.email_change_requested',
  'account.create': 'account.created',
  // Settings changes name the secret settings that changed, never their values (as the audit event does).
  'account.update': 'account.updated',
  'account.setStatus': 'account.status_changed',
  // Recorded on the parent, whose webhooks receive it: the deleted account's own are gone with it.
  'account.delete': 'account.deleted',
  'customRole.create': 'custom_role.created',
  'customRole.update': 'custom_role.updated',
  'customRole.delete': 'custom_role.deleted',
  'partnerGroup.create': 'partner_group.created',
  'partnerGroup.update': 'partner_group.updated',
  'partnerGroup.delete': 'partner_group.deleted',
  'view.created': 'view.created',
  'view.updated': 'view.updated',
  'view.deleted': 'view.deleted',
  // A communication's recipients (ids), topic, subject and body: what a mail or SMS sender needs to deliver it.
  'communication.send': 'communication.sent',
};

/** The audited actions that announce an event, in the order of EVENT_OF_ACTION. */
export const actionsOf = (type: EventType): string[] => Object.keys(EVENT_OF_ACTION).filter((action) => EVENT_OF_ACTION[action] === type);

/** The fields every event's `data` carries, whatever its type (besides what its change records). */
export const COMMON_EVENT_FIELDS = ['accountId', 'auditEventId', 'actor', 'targetType', 'targetId', 'subjectUserId', 'impersonationSessionId', 'delegationId', 'requestId'] as const;

export interface EventExample {
  /** The account whose outbox (and webhooks) receive it, in words. */
  account: string;
  targetType: 'Account' | 'User' | 'CustomRole' | 'ImpersonationGrant' | 'ImpersonationSession' | 'DelegatedAdminRelationship' | 'PartnerGroup' | 'Communication' | 'View';
  /** What the change records besides the common fields: the example payload's own part, as the code writes it. */
  data: Record<string, unknown>;
  /** What else it may carry, in words, when the action behind it records more than the example shows. */
  also?: string;
}

const ID = '<id>';
const AT = '2026-12-07T09:00:00.000Z';

/**
 * One example of each event, for docs/events-and-audit.md (`npm run events:docs`, checked by a test) and for the
 * tests that compare a real event's keys with its example's.
 */
export const EVENT_EXAMPLES: Record<EventType, EventExample> = {
  'impersonation.session.started': {
    account: 'the customer',
    targetType: 'ImpersonationSession',
    data: { grantId: ID, reason: 'ticket 4711: router config', partnerAccountId: ID, grantedRights: ['FLEET_ADMINISTRATOR'], grantedPermissions: ['fleet:manage', 'fleet:read'], expiresAt: AT },
  },
  'impersonation.session.ended': { account: 'the customer', targetType: 'ImpersonationSession', data: {}, also: 'when its time ran out: `reason`, `expiresAt`, `grantId`, `partnerAccountId`, the actor `portico-scheduler`' },
  'impersonation.grant.requested': { account: 'the customer', targetType: 'ImpersonationGrant', data: { partnerAccountId: ID, rights: ['tickets:create'], reason: 'ticket 4712' } },
  'impersonation.grant.revoked': { account: 'the customer', targetType: 'ImpersonationGrant', data: { partnerAccountId: ID } },
  'impersonation.grant.expired': {
    account: 'the customer',
    targetType: 'ImpersonationGrant',
    data: { reason: 'expired', expiresAt: AT, partnerAccountId: ID },
    also: 'a request left unanswered: `reason: "unanswered"`, `requestedAt` and `ttlDays` instead of `expiresAt`',
  },
  'delegation.requested': {
    account: 'the customer',
    targetType: 'DelegatedAdminRelationship',
    data: { partnerAccountId: ID, delegateUserId: ID, roles: ['ACCOUNT_MANAGER'], durationDays: 30, autoExtend: false },
  },
  'delegation.approved': { account: 'the customer', targetType: 'DelegatedAdminRelationship', data: { expiresAt: AT } },
  'delegation.expiring': {
    account: 'the customer',
    targetType: 'DelegatedAdminRelationship',
    data: { daysBefore: 7, expiresAt: AT, autoExtend: false, partnerAccountId: ID, delegateUserId: ID },
  },
  'delegation.expired': {
    account: 'the customer',
    targetType: 'DelegatedAdminRelationship',
    data: { reason: 'ended', expiresAt: AT, partnerAccountId: ID },
    also: 'a request left unanswered: `reason: "unanswered"`, `requestedAt` and `ttlDays` instead of `expiresAt`',
  },
  'delegation.renewed': { account: 'the customer', targetType: 'DelegatedAdminRelationship', data: { from: AT, to: '2027-06-05T09:00:00.000Z', days: 180, partnerAccountId: ID } },
  'role.assigned': { account: "the user's", targetType: 'User', data: { role: 'FLEET_ADMINISTRATOR' }, also: 'from setRoles and transferRole: `via`' },
  'role.revoked': { account: "the user's", targetType: 'User', data: { role: 'FLEET_ADMINISTRATOR' }, also: 'from setRoles and transferRole: `via`' },
  'user.invited': { account: "the user's", targetType: 'User', data: { email: 'olga@acme.example', roles: ['FLEET_ADMINISTRATOR'] } },
  'invitation.resent': { account: "the user's", targetType: 'User', data: { email: 'olga@acme.example', roles: ['FLEET_ADMINISTRATOR'] } },
  'user.updated': {
    account: "the user's",
    targetType: 'User',
    data: { name: { from: 'Olga Outbox', to: 'Olga Ops' }, email: { from: 'olga@acme.example', to: 'ops@acme.example' } },
    also: 'from My Settings: `preferences`, the names of the preference lists changed (never their contents)',
  },
  'user.status_changed': { account: "the user's", targetType: 'User', data: { from: 'ACTIVE', to: 'SUSPENDED' } },
  'user.contact_roles_changed': { account: "the user's", targetType: 'User', data: { from: [], to: ['TECHNICAL_CONTACT'] } },
  'user.removed': { account: "the user's", targetType: 'User', data: { email: 'olga@acme.example', roles: ['FLEET_ADMINISTRATOR'] } },
  'user.email_change_requested': {
    account: "the user's",
    targetType: 'User',
    data: { from: 'olga@acme.example', to: 'olga@ops.example', expiresAt: AT, confirmationCode: '<code>' },
  },
  'account.created': { account: 'the new account', targetType: 'Account', data: { type: 'CUSTOMER', name: 'Initech', parentId: ID, secretSettingsChanged: ['crmApiKey'] } },
  'account.updated': {
    account: 'the account',
    targetType: 'Account',
    data: { name: { from: 'Initech', to: 'Initech Global' }, settings: { from: { adminsMayAssignRoles: false }, to: { adminsMayAssignRoles: true } }, secretSettingsChanged: ['crmApiKey'] },
  },
  'account.status_changed': { account: 'the account', targetType: 'Account', data: { from: 'ACTIVE', to: 'SUSPENDED' } },
  'account.deleted': { account: 'the parent', targetType: 'Account', data: { name: 'Initech', type: 'CUSTOMER', users: ['admin@initech.example'] } },
  'custom_role.created': { account: 'the owner', targetType: 'CustomRole', data: { name: 'FIELD_MARKETING' } },
  'custom_role.updated': {
    account: 'the owner',
    targetType: 'CustomRole',
    data: { title: { from: 'Field marketing', to: 'Events' }, permissions: { from: ['leads:read'], to: ['leads:read', 'offers:add'] } },
  },
  'custom_role.deleted': { account: 'the owner', targetType: 'CustomRole', data: { name: 'FIELD_MARKETING' } },
  'partner_group.created': {
    account: 'the platform',
    targetType: 'PartnerGroup',
    data: { name: 'Gold partners', rule: { accountTypes: ['PARTNER'], modules: [], roles: [], customRoles: [], settings: { gold: true } } },
  },
  'partner_group.updated': { account: 'the platform', targetType: 'PartnerGroup', data: { name: { from: 'Gold partners', to: 'Premier partners' } } },
  'partner_group.deleted': { account: 'the platform', targetType: 'PartnerGroup', data: { name: 'Premier partners' } },
  'view.created': {
    account: 'the platform',
    targetType: 'View',
    data: { name: 'Gold leads', path: '/leads/gold', description: null, position: 0, audience: { partnerGroupIds: [ID] } },
  },
  'view.updated': { account: 'the platform', targetType: 'View', data: { name: { from: 'Gold leads', to: 'Premier leads' } } },
  'view.deleted': { account: 'the platform', targetType: 'View', data: { name: 'Premier leads', path: '/leads/gold' } },
  'communication.sent': {
    account: 'the addressed account',
    targetType: 'Communication',
    data: { topic: 'MAINTENANCE', subject: 'Planned work', body: 'Sunday 02:00, 30 minutes.', recipientUserIds: [ID, ID] },
  },
};

/** An event's whole body as a webhook receives it, with the example's own part and placeholders for the rest. */
export function examplePayload(type: EventType): { type: EventType; timestamp: string; data: Record<string, unknown> } {
  const example = EVENT_EXAMPLES[type];
  return {
    type,
    timestamp: AT,
    data: {
      accountId: ID,
      auditEventId: ID,
      actor: { id: ID, email: 'admin@acme.example', name: 'Alice Admin', accountId: ID },
      targetType: example.targetType,
      targetId: ID,
      subjectUserId: example.targetType === 'User' ? ID : null,
      impersonationSessionId: null,
      delegationId: null,
      requestId: ID,
      ...example.data,
    },
  };
}

export const eventTypeOf = (action: string): EventType | undefined => EVENT_OF_ACTION[action];

export const isEventType = (name: string): name is EventType => (EVENT_TYPES as readonly string[]).includes(name);

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
