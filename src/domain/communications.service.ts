import { randomUUID } from 'crypto';
import { In, IsNull, type EntityManager } from 'typeorm';
import { badInput, forbidden, notFound } from '../errors';
import type { CompiledPolicy } from '../policy';
import { AccountEntity, CommunicationEntity, CommunicationRecipientEntity, ContactRoleEntity, ProviderContactEntity, RoleAssignmentEntity, UserEntity } from '../storage/entities';
import { audit } from './audit';
import type { RequestContext } from './context';

const MAX_SUBJECT = 200;
const MAX_BODY = 20_000;
const MAX_PROVIDER_CONTACTS = 20;

export interface SendCommunicationInput {
  accountId: string;
  topic: string;
  subject: string;
  body: string;
}

/** A communication as one reader sees it: with their own read time, and the recipients when the sender asks. */
export interface InboxItem {
  communication: CommunicationEntity;
  readAt: Date | null;
  recipientUserIds?: string[];
}

/** The topic's recipients as the policy names them; an unknown topic is bad input. */
function recipientsOf(policy: CompiledPolicy, topic: string): { contactRoles: readonly string[]; roles: readonly string[] } {
  const recipients = policy.topicRecipients.get(topic);
  if (!recipients) {
    const known = [...policy.topicRecipients.keys()];
    throw badInput(`unknown topic ${topic} (the ${policy.name} policy has ${known.length > 0 ? known.join(', ') : 'none'})`, { field: 'topic' });
  }
  return recipients;
}

/**
 * Who receives a topic on an account now: its users (not suspended) holding one of the topic's contact roles, or
 * one of the rights the topic names (dstny's contractual point of contact is every Portal Administrator).
 */
export async function resolveRecipients(em: EntityManager, policy: CompiledPolicy, accountId: string, topic: string): Promise<UserEntity[]> {
  const { contactRoles, roles } = recipientsOf(policy, topic);
  const ids = new Set<string>();
  if (contactRoles.length > 0) (await em.findBy(ContactRoleEntity, { accountId, role: In([...contactRoles]) })).forEach((c) => ids.add(c.userId));
  if (roles.length > 0) (await em.findBy(RoleAssignmentEntity, { accountId, role: In([...roles]) })).forEach((r) => ids.add(r.userId));
  if (ids.size === 0) return [];
  const users = await em.find(UserEntity, { where: { id: In([...ids]), accountId }, order: { email: 'ASC' } });
  return users.filter((u) => u.status !== 'SUSPENDED');
}

function checkText(value: string, field: string, max: number): string {
  const text = value.trim();
  if (text.length === 0 || text.length > max) throw badInput(`${field} is 1 to ${max} characters`, { field });
  return text;
}

/**
 * Sends a communication to an account on a topic (`communications.send`: the platform, or a subgraph acting for it).
 * Its recipients are resolved now, from the contact roles and rights held at this moment, and kept: a contact role
 * changed later does not change who received it. The trail and the `communication.sent` event carry the recipients'
 * ids, so a mail or SMS sender subscribed by webhook can deliver it.
 */
export async function sendCommunication(ctx: RequestContext, input: SendCommunicationInput): Promise<InboxItem> {
  const subject = checkText(input.subject, 'subject', MAX_SUBJECT);
  const body = checkText(input.body, 'body', MAX_BODY);
  recipientsOf(ctx.engine.policy, input.topic);
  await ctx.requireOn('communications.send', input.accountId);
  return ctx.transaction(async (em) => {
    // Under the account's lock, so a concurrent change of contact roles is either before the send or after it.
    if (!(await ctx.services.db.lockAccounts(em, [input.accountId])).get(input.accountId)) throw notFound('account', input.accountId);
    const recipients = await resolveRecipients(em, ctx.engine.policy, input.accountId, input.topic);
    const sentAt = new Date();
    const communication = Object.assign(new CommunicationEntity(), {
      id: randomUUID(),
      accountId: input.accountId,
      topic: input.topic,
      subject,
      body,
      senderUserId: ctx.requirePrincipal().user.id,
      sentAt,
    });
    await em.insert(CommunicationEntity, communication);
    if (recipients.length > 0) {
      await em.insert(CommunicationRecipientEntity, recipients.map((user) => ({ communicationId: communication.id, userId: user.id, sentAt, readAt: null })));
    }
    const recipientUserIds = recipients.map((u) => u.id);
    await audit(em, ctx, {
      action: 'communication.send',
      subjectAccountId: input.accountId,
      targetType: 'Communication',
      targetId: communication.id,
      details: { topic: input.topic, subject, body, recipientUserIds },
      occurredAt: sentAt,
    });
    return { communication, readAt: null, recipientUserIds };
  });
}

/** A page of the caller's own inbox, newest first: what was sent to them, with when they read it. */
export async function inbox(ctx: RequestContext, first: number, after: [string, string] | undefined, unreadOnly: boolean): Promise<{ rows: InboxItem[]; hasNextPage: boolean }> {
  const userId = ctx.requirePrincipal().user.id;
  const query = ctx.services.db.manager
    .createQueryBuilder(CommunicationRecipientEntity, 'r')
    .where('r.userId = :userId', { userId })
    .orderBy('r.sentAt', 'DESC')
    .addOrderBy('r.communicationId', 'DESC')
    .take(first + 1);
  if (unreadOnly) query.andWhere('r.readAt IS NULL');
  if (after) query.andWhere('(r.sentAt < :at OR (r.sentAt = :at AND r.communicationId < :id))', { at: new Date(after[0]), id: after[1] });
  const entries = await query.getMany();
  const page = entries.slice(0, first);
  const communications = page.length > 0 ? await ctx.services.db.manager.findBy(CommunicationEntity, { id: In(page.map((e) => e.communicationId)) }) : [];
  const byId = new Map(communications.map((c) => [c.id, c]));
  return { rows: page.filter((e) => byId.has(e.communicationId)).map((e) => ({ communication: byId.get(e.communicationId)!, readAt: e.readAt })), hasNextPage: entries.length > first };
}

/** How many communications the caller received in all, and how many they have not read. */
export async function inboxCounts(ctx: RequestContext): Promise<{ total: number; unread: number }> {
  const userId = ctx.requirePrincipal().user.id;
  const repo = ctx.services.db.manager.getRepository(CommunicationRecipientEntity);
  const [total, unread] = await Promise.all([repo.countBy({ userId }), repo.countBy({ userId, readAt: IsNull() })]);
  return { total, unread };
}

/**
 * Marks communications of the caller's own inbox read. Another user's communication (or none) is NOT_FOUND, as if
 * it did not exist, and nothing is marked.
 */
export async function markCommunicationsRead(ctx: RequestContext, ids: readonly string[]): Promise<InboxItem[]> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) throw badInput('name at least one communication', { field: 'ids' });
  if (wanted.length > ctx.services.config.maxPageSize) throw badInput(`at most ${ctx.services.config.maxPageSize} communications at once`, { field: 'ids' });
  const user = ctx.requirePrincipal().user;
  return ctx.transaction(async (em) => {
    const entries = await em.findBy(CommunicationRecipientEntity, { userId: user.id, communicationId: In(wanted) });
    const missing = wanted.find((id) => !entries.some((e) => e.communicationId === id));
    if (missing !== undefined) throw notFound('communication', missing);
    const now = new Date();
    const unread = entries.filter((e) => e.readAt === null).map((e) => e.communicationId);
    if (unread.length > 0) {
      await em.update(CommunicationRecipientEntity, { userId: user.id, communicationId: In(unread) }, { readAt: now });
      await audit(em, ctx, { action: 'communication.markRead', subjectAccountId: user.accountId, targetType: 'User', targetId: user.id, details: { communicationIds: unread.sort() } });
    }
    const communications = new Map((await em.findBy(CommunicationEntity, { id: In(wanted) })).map((c) => [c.id, c]));
    return wanted.map((id) => ({ communication: communications.get(id)!, readAt: entries.find((e) => e.communicationId === id)!.readAt ?? now }));
  });
}

export interface ProviderContactInput {
  userId: string;
  role: string;
}

/** A provider contact as an account's people see it: what they are to the account, their name and email. */
export interface ProviderContact {
  role: string;
  user: UserEntity;
}

/**
 * Names the people of the platform or of a parent account who are an account's contacts (its account manager, its
 * technical support): `providerContacts.manage` on the account's parent. Replaces the list; each must be a user of
 * an account above this one.
 */
export async function setProviderContacts(ctx: RequestContext, accountId: string, contacts: readonly ProviderContactInput[]): Promise<ProviderContact[]> {
  if (contacts.length > MAX_PROVIDER_CONTACTS) throw badInput(`at most ${MAX_PROVIDER_CONTACTS} provider contacts`, { field: 'contacts' });
  for (const contact of contacts) {
    if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(contact.role)) throw badInput(`a contact's role is UPPER_SNAKE_CASE, e.g. ACCOUNT_MANAGER (got ${JSON.stringify(contact.role.slice(0, 64))})`, { field: 'contacts.role' });
  }
  if (new Set(contacts.map((c) => c.userId)).size !== contacts.length) throw badInput('each user is named once', { field: 'contacts.userId' });
  const account = await ctx.visibleAccount(accountId);
  if (!account) throw notFound('account', accountId);
  if (account.parentId === null) throw badInput('the platform account has no provider above it', { field: 'accountId' });
  // Decided on the parent, which the account's own people may not see: a refusal, not a missing account.
  const parent = await ctx.account(account.parentId);
  const decision = parent ? ctx.decide('providerContacts.manage', parent) : undefined;
  if (!decision?.allowed) throw forbidden(`not allowed: the provider contacts of account ${accountId} are named on the account above it`, { permission: 'providerContacts.manage', accountId: account.parentId });
  return ctx.transaction(async (em) => {
    const locked = (await ctx.services.db.lockAccounts(em, [accountId])).get(accountId);
    if (!locked) throw notFound('account', accountId);
    const users = contacts.length > 0 ? await em.findBy(UserEntity, { id: In(contacts.map((c) => c.userId)) }) : [];
    const ancestors = new Set(locked.path.split('/').filter((id) => id && id !== accountId));
    for (const contact of contacts) {
      const user = users.find((u) => u.id === contact.userId);
      // A user of this account or below, or of another branch, is not its provider: refused as unknown.
      if (!user || !ancestors.has(user.accountId) || user.status === 'SUSPENDED') throw badInput(`user ${contact.userId} is not an active user of an account above ${accountId}`, { field: 'contacts.userId' });
    }
    const before = await em.find(ProviderContactEntity, { where: { accountId }, order: { userId: 'ASC' } });
    await em.delete(ProviderContactEntity, { accountId });
    const namedAt = new Date();
    const namedBy = ctx.requirePrincipal().user.id;
    if (contacts.length > 0) await em.insert(ProviderContactEntity, contacts.map((c) => ({ accountId, userId: c.userId, role: c.role, namedByUserId: namedBy, namedAt })));
    const describe = (list: ReadonlyArray<{ userId: string; role: string }>) => list.map((c) => ({ userId: c.userId, role: c.role })).sort((a, b) => a.userId.localeCompare(b.userId));
    await audit(em, ctx, { action: 'account.setProviderContacts', subjectAccountId: accountId, targetType: 'Account', targetId: accountId, details: { from: describe(before), to: describe(contacts) } });
    return contacts.map((c) => ({ role: c.role, user: users.find((u) => u.id === c.userId)! }));
  });
}

/** The account's provider contacts, in the order of their role and name. */
export async function providerContactsOf(ctx: RequestContext, account: AccountEntity): Promise<ProviderContact[]> {
  const rows = await ctx.services.db.manager.findBy(ProviderContactEntity, { accountId: account.id });
  if (rows.length === 0) return [];
  const users = new Map((await ctx.services.db.manager.findBy(UserEntity, { id: In(rows.map((r) => r.userId)) })).map((u) => [u.id, u]));
  return rows
    .filter((r) => users.has(r.userId))
    .map((r) => ({ role: r.role, user: users.get(r.userId)! }))
    .sort((a, b) => a.role.localeCompare(b.role) || a.user.name.localeCompare(b.user.name));
}
