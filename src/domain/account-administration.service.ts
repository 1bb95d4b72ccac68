import { In, IsNull, Not } from 'typeorm';
import { badInput, InvariantError, notFound, PorticoError } from '../errors';
import type { AccountSettings } from '../policy';
import {
  AccountEntity,
  ContactRoleEntity,
  CustomRoleEntity,
  DelegatedAdminRelationshipEntity,
  ExternalIdentityEntity,
  ImpersonationGrantEntity,
  ImpersonationSessionEntity,
  RoleAssignmentEntity,
  UserEntity,
  UserSettingsEntity,
} from '../storage/entities';
import { checkName, checkSettings } from './accounts.service';
import { audit } from './audit';
import type { RequestContext } from './context';
import { accountFacts } from './facts';
import { currentFacts } from './principal';

export interface UpdateAccountInput {
  name?: string | null;
  /** Merged into the account's settings: a key given replaces its value, a key given as null is removed. */
  settings?: Record<string, unknown> | null;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Renames an account (`accounts.update`) and changes its settings (`accounts.configure`, and for the settings the
 * policy reads, a right from above the account). Decisions read the account on every request, so a change holds
 * from the next one: a module switched off is denied at once.
 */
export async function updateAccount(ctx: RequestContext, id: string, input: UpdateAccountInput): Promise<AccountEntity> {
  const name = input.name === undefined || input.name === null ? undefined : checkName(input.name);
  const patch = input.settings ?? undefined;
  if (name === undefined && patch === undefined) throw badInput('give a name or settings to change', { field: 'input' });
  if (patch !== undefined && (typeof patch !== 'object' || Array.isArray(patch))) throw badInput('settings must be an object', { field: 'settings' });
  if (name !== undefined) await ctx.requireOn('accounts.update', id);
  if (patch !== undefined) await ctx.requireOn('accounts.configure', id);
  return ctx.transaction(async (em) => {
    const account = (await ctx.services.db.lockAccounts(em, [id])).get(id);
    if (!account) throw notFound('account', id);
    const before: AccountSettings = account.settings ?? {};
    let settings = before;
    if (patch !== undefined) {
      const merged: Record<string, unknown> = { ...before };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      settings = checkSettings(ctx, merged as AccountSettings);
      const changed = [...new Set([...Object.keys(before), ...Object.keys(settings)])].filter((key) => !sameJson(before[key], settings[key]));
      // The actor's rights as they are now, under the account lock.
      const actor = await currentFacts(em, ctx.engine, ctx.requirePrincipal());
      const check = ctx.engine.checkSettingsChange(actor, accountFacts(account), changed);
      if (!check.ok) throw new PorticoError(check.code, `not allowed: ${check.reason}`, { permission: 'accounts.configure', accountId: id });
    }
    const changes: Record<string, unknown> = {};
    if (name !== undefined && name !== account.name) changes.name = { from: account.name, to: name };
    if (!sameJson(before, settings)) changes.settings = { from: before, to: settings };
    if (Object.keys(changes).length === 0) return account;
    // simple-json columns take the object whole; the partial-entity type cannot express an open record.
    await em.update(AccountEntity, { id }, { ...(name !== undefined ? { name } : {}), settings: settings as never });
    await audit(em, ctx, { action: 'account.update', subjectAccountId: id, targetType: 'Account', targetId: id, details: changes });
    return em.findOneByOrFail(AccountEntity, { id });
  });
}

/**
 * Deletes an account without child accounts, with its users (their tokens name nobody any more), their rights,
 * contact roles and sign-in links, its custom roles and the consents given on it. Its audit trail stays; the
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
    await em.delete(UserEntity, { accountId: id });
    await em.delete(CustomRoleEntity, { ownerAccountId: id });
    // Consents given on the account go with it: nothing is left to act in, and the audit trail keeps their story.
    await em.delete(ImpersonationSessionEntity, { customerAccountId: id });
    await em.delete(ImpersonationGrantEntity, { customerAccountId: id });
    await em.delete(DelegatedAdminRelationshipEntity, { customerAccountId: id });
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
