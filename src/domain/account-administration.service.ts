import { In, IsNull, Not } from 'typeorm';
import { badInput, InvariantError, notFound, PorticoError } from '../errors';
import {
  AccountEntity,
  AccountSettingEntity,
  CommunicationRecipientEntity,
  ContactRoleEntity,
  CustomRoleEntity,
  DelegatedAdminRelationshipEntity,
  ExternalIdentityEntity,
  ImpersonationGrantEntity,
  ImpersonationSessionEntity,
  OutboxEventEntity,
  ProviderContactEntity,
  RoleAssignmentEntity,
  UserEntity,
  UserSettingsEntity,
  WebhookDeliveryEntity,
  WebhookEntity,
} from '../storage/entities';
import { planSettingsChange, readableSettings, writeSettingsChange } from './account-settings';
import { checkName, checkSettings, checkSettingsSize } from './accounts.service';
import { audit } from './audit';
import type { RequestContext } from './context';
import { accountFacts } from './facts';
import { currentFacts } from './principal';

export interface UpdateAccountInput {
  name?: string | null;
  /** Merged into the account's settings: a key given replaces its value, a key given as null is removed. */
  settings?: Record<string, unknown> | null;
}

/**
 * Renames an account (`accounts.update`) and changes its settings (`accounts.configure`, and for each setting one
 * of the permissions the policy says change it; for the settings the policy reads, a right from above the account).
 * A secret setting is sealed apart from the readable settings, and the trail names it, never its value. Decisions read the account on every request, so a change holds
 * from the next one: a module switched off is denied at once.
 */
export async function updateAccount(ctx: RequestContext, id: string, input: UpdateAccountInput): Promise<AccountEntity> {
  const name = input.name === undefined || input.name === null ? undefined : checkName(input.name);
  const patch = input.settings ?? undefined;
  if (name === undefined && patch === undefined) throw badInput('give a name or settings to change', { field: 'input' });
  if (patch !== undefined && (typeof patch !== 'object' || Array.isArray(patch))) throw badInput('settings must be an object', { field: 'settings' });
  if (patch !== undefined) checkSettingsSize(patch);
  if (name !== undefined) await ctx.requireOn('accounts.update', id);
  if (patch !== undefined) await ctx.requireOn('accounts.configure', id);
  return ctx.transaction(async (em) => {
    const account = (await ctx.services.db.lockAccounts(em, [id])).get(id);
    if (!account) throw notFound('account', id);
    const policy = ctx.engine.policy;
    const before = readableSettings(policy, account.settings);
    let settings = before;
    let secretsChanged: string[] = [];
    const changes: Record<string, unknown> = {};
    if (name !== undefined && name !== account.name) changes.name = { from: account.name, to: name };
    if (patch !== undefined) {
      // Unknown keys and values of the wrong type are refused before anything is written.
      const change = planSettingsChange(policy, account.settings ?? {}, patch);
      settings = checkSettings(ctx, change.settings);
      const touched = [...change.changed, ...change.secrets.keys()].filter((key) => policy.settings.has(key));
      // The actor's rights as they are now, under the account lock.
      const actor = await currentFacts(em, ctx.engine, ctx.requirePrincipal());
      const check = ctx.engine.checkSettingsChange(actor, accountFacts(account), touched);
      if (!check.ok) throw new PorticoError(check.code, check.code === 'BAD_USER_INPUT' ? check.reason : `not allowed: ${check.reason}`, { permission: 'accounts.configure', accountId: id });
      if (change.changed.length > 0) changes.settings = { from: before, to: settings };
      secretsChanged = await writeSettingsChange(em, ctx.services.secrets, id, change, ctx.requirePrincipal().user.id, new Date());
      // Which secrets changed, never their values: the trail is exported and its events go out through webhooks.
      if (secretsChanged.length > 0) changes.secretSettingsChanged = secretsChanged;
    }
    if (Object.keys(changes).length === 0) return account;
    // simple-json columns take the object whole; the partial-entity type cannot express an open record.
    await em.update(AccountEntity, { id }, { ...(name !== undefined ? { name } : {}), settings: settings as never });
    await audit(em, ctx, { action: 'account.update', subjectAccountId: id, targetType: 'Account', targetId: id, details: changes });
    return em.findOneByOrFail(AccountEntity, { id });
  });
}

/**
 * Deletes an account without child accounts, with its users (their tokens name nobody any more), their rights,
 * contact roles and sign-in links, its custom roles, the consents given on it, and its webhooks with their deliveries
 * and its outbox events (nothing more is sent about it, to anyone). Its audit trail stays; the
 * deletion itself is recorded on the parent, whose administrators can still read it.
 */
export async function deleteAccount(ctx: RequestContext, id: string): Promise<string> {
  const target = await ctx.requireOn('accounts.delete', id);
  if (target.parentId === null) throw new InvariantError('the platform account is the root and cannot be deleted');
  if (target.id === ctx.requirePrincipal().account.id) throw new InvariantError('you cannot delete your own account');
  return ctx.transaction(async (em) => {
    const locked = await ctx.services.db.lockAccounts(em, [target.parentId!, id]);
    const account = locked.get(id);
    if (!account) throw notFound('account', id);
    if (await em.existsBy(AccountEntity, { parentId: id })) throw new InvariantError(`account ${id} still has child accounts: move or delete them first`);
    const customRoles = await em.findBy(CustomRoleEntity, { ownerAccountId: id });
    if (customRoles.length > 0 && (await em.existsBy(RoleAssignmentEntity, { customRoleId: In(customRoles.map((r) => r.id)), accountId: Not(id) }))) {
      throw new InvariantError(`account ${id} defines custom roles held in other accounts`);
    }
    const users = await em.findBy(UserEntity, { accountId: id });
    const userIds = users.map((u) => u.id);
    if (userIds.length > 0) {
      await em.delete(ExternalIdentityEntity, { userId: In(userIds) });
      await em.delete(UserSettingsEntity, { userId: In(userIds) });
      // Sessions a partner user of this account holds elsewhere end with them.
      await em.update(ImpersonationSessionEntity, { actorUserId: In(userIds), endedAt: IsNull() }, { endedAt: new Date() });
    }
    await em.delete(RoleAssignmentEntity, { accountId: id });
    await em.delete(ContactRoleEntity, { accountId: id });
    await em.delete(AccountSettingEntity, { accountId: id });
    await em.delete(ProviderContactEntity, { accountId: id });
    if (userIds.length > 0) {
      // Their inboxes go with them; a provider contact they were for accounts below is no longer anybody.
      await em.delete(CommunicationRecipientEntity, { userId: In(userIds) });
      await em.delete(ProviderContactEntity, { userId: In(userIds) });
    }
    await em.delete(UserEntity, { accountId: id });
    await em.delete(CustomRoleEntity, { ownerAccountId: id });
    // Consents given on the account go with it: nothing is left to act in, and the audit trail keeps their story.
    await em.delete(ImpersonationSessionEntity, { customerAccountId: id });
    await em.delete(ImpersonationGrantEntity, { customerAccountId: id });
    await em.delete(DelegatedAdminRelationshipEntity, { customerAccountId: id });
    const webhookIds = (await em.findBy(WebhookEntity, { accountId: id })).map((w) => w.id);
    if (webhookIds.length > 0) await em.delete(WebhookDeliveryEntity, { webhookId: In(webhookIds) });
    await em.delete(WebhookEntity, { accountId: id });
    await em.delete(OutboxEventEntity, { accountId: id });
    await em.delete(AccountEntity, { id });
    await audit(em, ctx, {
      action: 'account.delete',
      subjectAccountId: account.parentId!,
      targetType: 'Account',
      targetId: id,
      details: { name: account.name, type: account.type, users: users.map((u) => u.email).sort() },
    });
    return id;
  });
}
