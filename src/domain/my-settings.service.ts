import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { badInput, forbidden, InvariantError } from '../errors';
import { displayName, visibly } from '../identifiers';
import { UserEntity, UserSettingsEntity, type PersonalPreferences } from '../storage/entities';
import { audit } from './audit';
import type { RequestContext } from './context';
import type { Principal } from './principal';
import { checkedEmail, guardEmailUnique, isDuplicateKey } from './users.service';

/** How long the code sent to a new email address confirms it. */
export const EMAIL_CONFIRMATION_TTL_MS = 24 * 60 * 60 * 1000;

export const NOTIFICATION_CHANNELS = ['EMAIL', 'SMS', 'IN_APP'] as const;

const MAX_ENTRIES = 20;
const slug = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'is lower case letters, digits and dashes, up to 32 characters');

/** The stored shape: read back through the same schema, so a row edited by hand cannot reach a client malformed. */
const preferencesSchema = z
  .object({
    socialConnections: z.array(z.object({ network: slug, handle: z.string().min(1).max(200) }).strict()).max(MAX_ENTRIES),
    eventIntegrations: z.array(z.object({ provider: slug, account: z.string().min(1).max(200) }).strict()).max(MAX_ENTRIES),
    notifications: z.array(z.object({ topic: z.string().min(1).max(64), channels: z.array(z.enum(NOTIFICATION_CHANNELS)).max(NOTIFICATION_CHANNELS.length) }).strict()).max(100),
  })
  .strict();

/** `personal` as `updateMySettings` takes it: the same schema, every key optional (left out: unchanged), no other key. */
const personalInputSchema = preferencesSchema.partial().strict();

export const PERSONAL_KEYS = ['socialConnections', 'eventIntegrations', 'notifications'] as const;

export const EMPTY_PREFERENCES: PersonalPreferences = { socialConnections: [], eventIntegrations: [], notifications: [] };

/** What `updateMySettings` may change: the caller's own profile and preferences, and nothing else. */
export interface MySettingsInput {
  name?: string | null;
  email?: string | null;
  socialConnections?: Array<{ network: string; handle: string }> | null;
  eventIntegrations?: Array<{ provider: string; account: string }> | null;
  notifications?: Array<{ topic: string; channels: string[] }> | null;
  /** The same personal settings as one object (`socialConnections`, `eventIntegrations`, `notifications`). */
  personal?: Record<string, unknown> | null;
}

/** The caller's My Settings as a client reads them. */
export interface MySettings extends PersonalPreferences {
  /** The email waiting for its confirmation, if any. */
  pendingEmail: string | null;
  pendingEmailExpiresAt: Date | null;
}

/**
 * The signed-in person changing their own settings: never an impersonation session (its user is the partner acting,
 * and what it may do is the customer's grant, not a profile), and never a suspended user.
 */
function selfOnly(ctx: RequestContext, what: string): Principal {
  const principal = ctx.requirePrincipal();
  if (principal.impersonation) throw forbidden(`an impersonation session cannot ${what}: sign in as yourself`);
  if (!principal.facts.active) throw forbidden(`a suspended user or account cannot ${what}`);
  return principal;
}

/** The caller's My Settings; null in an impersonation session, which acts for the customer and has no profile of its own. */
export async function mySettings(ctx: RequestContext): Promise<MySettings | null> {
  const principal = ctx.requirePrincipal();
  if (principal.impersonation) return null;
  const row = await ctx.services.db.manager.findOneBy(UserSettingsEntity, { userId: principal.user.id });
  return settingsOf(row);
}

/**
 * A user's personal settings (social connections, event integrations, notifications), for that user alone: null for
 * anyone else, an administrator who may read the user included, and in an impersonation session.
 */
export async function personalSettingsOf(ctx: RequestContext, userId: string): Promise<PersonalPreferences | null> {
  const principal = ctx.requirePrincipal();
  if (principal.impersonation || principal.user.id !== userId) return null;
  const row = await ctx.services.db.manager.findOneBy(UserSettingsEntity, { userId });
  const { socialConnections, eventIntegrations, notifications } = settingsOf(row);
  return { socialConnections, eventIntegrations, notifications };
}

function settingsOf(row: UserSettingsEntity | null): MySettings {
  const parsed = row ? preferencesSchema.safeParse(row.preferences) : undefined;
  // A malformed row reads as no preferences rather than echoing what the schema never accepted.
  const preferences = parsed?.success ? parsed.data : EMPTY_PREFERENCES;
  const pending = row?.pendingEmail && row.emailCodeExpiresAt && row.emailCodeExpiresAt.getTime() > Date.now();
  return { ...preferences, pendingEmail: pending ? row!.pendingEmail : null, pendingEmailExpiresAt: pending ? row!.emailCodeExpiresAt : null };
}

/**
 * Folds `personal` into the typed fields it stands for. Its keys are checked by the stored schema (an unknown key, or
 * a value of the wrong shape, is BAD_USER_INPUT); a key given both there and as a typed field is refused, not merged.
 */
function withPersonal(input: MySettingsInput): MySettingsInput {
  if (input.personal == null) return input;
  const parsed = personalInputSchema.safeParse(input.personal);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = ['personal', ...issue.path, ...(issue.code === 'unrecognized_keys' ? issue.keys : [])].join('.');
    throw badInput(`${where} ${issue.code === 'unrecognized_keys' ? `is not a personal setting (there are ${PERSONAL_KEYS.join(', ')})` : issue.message}`, { field: 'personal' });
  }
  const merged: MySettingsInput = { ...input };
  for (const key of PERSONAL_KEYS) {
    if (parsed.data[key] === undefined) continue;
    if (input[key] != null) throw badInput(`${key} is given both in personal and as a field: give it once`, { field: `personal.${key}` });
    (merged as Record<string, unknown>)[key] = parsed.data[key];
  }
  return merged;
}

/** The preferences given, checked: known topics of the policy, one entry per network, provider and topic. */
function checkedPreferences(ctx: RequestContext, input: MySettingsInput, current: PersonalPreferences): PersonalPreferences {
  const next: PersonalPreferences = {
    socialConnections: input.socialConnections ?? current.socialConnections,
    eventIntegrations: input.eventIntegrations ?? current.eventIntegrations,
    notifications: (input.notifications ?? current.notifications) as PersonalPreferences['notifications'],
  };
  const parsed = preferencesSchema.safeParse(next);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badInput(`${issue.path.join('.')} ${issue.message}`, { field: String(issue.path[0]) });
  }
  const topics = [...ctx.engine.policy.topics.keys()];
  for (const { topic } of parsed.data.notifications) {
    if (!topics.includes(topic)) throw badInput(`unknown topic ${topic} (the ${ctx.engine.policy.name} policy has ${topics.join(', ') || 'none'})`, { field: 'notifications' });
  }
  const once = <T>(items: T[], key: (item: T) => string, field: string) => {
    const seen = new Set<string>();
    for (const item of items) {
      if (seen.has(key(item))) throw badInput(`${field} names ${key(item)} twice`, { field });
      seen.add(key(item));
    }
  };
  once(parsed.data.socialConnections, (c) => c.network, 'socialConnections');
  once(parsed.data.eventIntegrations, (c) => `${c.provider}/${c.account}`, 'eventIntegrations');
  once(parsed.data.notifications, (n) => n.topic, 'notifications');
  for (const entry of parsed.data.socialConnections) displayName(entry.handle, { what: 'a social handle', field: 'socialConnections', max: 200 });
  for (const entry of parsed.data.eventIntegrations) displayName(entry.account, { what: 'an integration account', field: 'eventIntegrations', max: 200 });
  return {
    socialConnections: parsed.data.socialConnections.map((c) => ({ network: c.network, handle: c.handle.trim() })),
    eventIntegrations: parsed.data.eventIntegrations.map((c) => ({ provider: c.provider, account: c.account.trim() })),
    notifications: parsed.data.notifications.map((n) => ({ topic: n.topic, channels: [...new Set(n.channels)].sort() })),
  };
}

const hashOf = (code: string) => createHash('sha256').update(code, 'utf8').digest('hex');

async function lockedSettings(em: EntityManager, ctx: RequestContext, userId: string): Promise<{ user: UserEntity; row: UserSettingsEntity | null }> {
  const user = await em.findOneByOrFail(UserEntity, { id: userId });
  // Under the account's lock, as every change to its users is made: two changes of one user's settings are serialized.
  await ctx.services.db.lockAccounts(em, [user.accountId]);
  return { user: await em.findOneByOrFail(UserEntity, { id: userId }), row: await em.findOneBy(UserSettingsEntity, { userId }) };
}

/**
 * Changes the caller's own name and personal preferences. A new email is not taken at once: it waits, with a
 * confirmation code (sent by the `user.email_change_requested` event, never kept in the trail), until
 * `confirmMyEmail` proves the new address is theirs; until then the user's email, sign-in and links are unchanged.
 */
export async function updateMySettings(ctx: RequestContext, given: MySettingsInput): Promise<UserEntity> {
  const principal = selfOnly(ctx, 'change My Settings');
  const input = withPersonal(given);
  const name = input.name == null ? undefined : displayName(input.name, { what: 'a user name', field: 'name', max: 200 });
  const email = input.email == null ? undefined : checkedEmail(input.email);
  const touchesPreferences = input.socialConnections != null || input.eventIntegrations != null || input.notifications != null;
  if (name === undefined && email === undefined && !touchesPreferences) throw badInput('give a name, an email or a preference to change', { field: 'input' });
  return ctx.transaction(async (em) => {
    const { user, row } = await lockedSettings(em, ctx, principal.user.id);
    const current = settingsOf(row);
    const preferences = touchesPreferences ? checkedPreferences(ctx, input, current) : current;
    const changes: Record<string, unknown> = {};
    if (name !== undefined && name !== user.name) {
      changes.name = { from: user.name, to: name };
      await em.update(UserEntity, { id: user.id }, { name });
    }
    const changed = (['socialConnections', 'eventIntegrations', 'notifications'] as const).filter((key) => JSON.stringify(preferences[key]) !== JSON.stringify(current[key]));
    if (changed.length > 0) changes.preferences = changed;
    let code: string | undefined;
    let expiresAt: Date | undefined;
    if (email !== undefined && email.email !== user.email) {
      // Taken already: refused now rather than after the new address has been mailed.
      await guardEmailUnique(em, email, user.id);
      code = randomBytes(32).toString('base64url');
      expiresAt = new Date(Date.now() + EMAIL_CONFIRMATION_TTL_MS);
    }
    const base = row ?? Object.assign(new UserSettingsEntity(), { userId: user.id, pendingEmail: null, emailCodeHash: null, emailCodeExpiresAt: null });
    const pending = code ? { pendingEmail: email!.email, emailCodeHash: hashOf(code), emailCodeExpiresAt: expiresAt! } : email?.email === user.email ? { pendingEmail: null, emailCodeHash: null, emailCodeExpiresAt: null } : {};
    await em.save(UserSettingsEntity, Object.assign(base, { preferences, updatedAt: new Date(), ...pending }));
    if (Object.keys(changes).length > 0) {
      await audit(em, ctx, { action: 'user.updateMySettings', subjectAccountId: user.accountId, targetType: 'User', targetId: user.id, details: changes });
    }
    if (code) {
      await audit(em, ctx, {
        action: 'user.requestEmailChange',
        subjectAccountId: user.accountId,
        targetType: 'User',
        targetId: user.id,
        details: { from: user.email, to: email!.email, expiresAt: expiresAt!.toISOString() },
        eventOnly: { confirmationCode: code },
      });
    }
    return em.findOneByOrFail(UserEntity, { id: user.id });
  });
}

/**
 * Confirms the caller's pending email with the code sent to it: the email changes, and nothing else. A linked
 * identity provider account stays linked to the same user (its subject, never the email, names them), and an
 * unlinked user is linked only as before, at a first sign-in whose verified email is the one now stored.
 */
export async function confirmMyEmail(ctx: RequestContext, code: string): Promise<UserEntity> {
  const principal = selfOnly(ctx, 'confirm an email');
  if (code.length === 0 || code.length > 200) throw badInput('the confirmation code does not match', { field: 'code' });
  return ctx.transaction(async (em) => {
    const { user, row } = await lockedSettings(em, ctx, principal.user.id);
    if (!row?.pendingEmail || !row.emailCodeHash || !row.emailCodeExpiresAt) throw badInput('no email change is waiting for confirmation', { field: 'code' });
    if (row.emailCodeExpiresAt.getTime() <= Date.now()) throw badInput('the confirmation code has expired: change the email again for a new one', { field: 'code' });
    const given = Buffer.from(hashOf(code), 'hex');
    if (!timingSafeEqual(given, Buffer.from(row.emailCodeHash, 'hex'))) throw badInput('the confirmation code does not match', { field: 'code' });
    const email = checkedEmail(row.pendingEmail);
    // Another user may have taken the address, or a look-alike, since it was asked for.
    await guardEmailUnique(em, email, user.id);
    await em.update(UserEntity, { id: user.id }, { email: email.email, emailSkeleton: email.skeleton }).catch((error: unknown) => {
      throw isDuplicateKey(error) ? new InvariantError(`${visibly(email.email)} is already taken, or could be taken for the email of an existing user`, { field: 'email' }) : error;
    });
    await em.update(UserSettingsEntity, { userId: user.id }, { pendingEmail: null, emailCodeHash: null, emailCodeExpiresAt: null, updatedAt: new Date() });
    await audit(em, ctx, { action: 'user.confirmEmail', subjectAccountId: user.accountId, targetType: 'User', targetId: user.id, details: { email: { from: user.email, to: email.email } } });
    return em.findOneByOrFail(UserEntity, { id: user.id });
  });
}
