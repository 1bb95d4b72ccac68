import { randomUUID } from 'crypto';
import { In, IsNull, type EntityManager } from 'typeorm';
import { badInput, InvariantError, notFound, PorticoError } from '../errors';
import { displayName, visibly } from '../identifiers';
import type { CompiledRole } from '../policy';
import {
  AccountEntity,
  CommunicationRecipientEntity,
  ContactRoleEntity,
  DelegatedAdminRelationshipEntity,
  ExternalIdentityEntity,
  ImpersonationSessionEntity,
  ProviderContactEntity,
  RoleAssignmentEntity,
  UserEntity,
  UserSettingsEntity,
} from '../storage/entities';
import { audit } from './audit';
import type { RequestContext } from './context';
import { accountFacts } from './facts';
import { currentFacts } from './principal';
import { resolveRole, type ResolvedRole } from './roles';
import { activeHolders, checkAssignable, checkedEmail, guardEmailUnique, guardLastAdministrator, guardRequiredRole, isDuplicateKey, lockedUser, targetUser } from './users.service';

export interface UpdateUserInput {
  name?: string | null;
  email?: string | null;
}

/** Renames a user or changes their email (unique, as at invitation: CONFLICT when taken or look-alike). */
export async function updateUser(ctx: RequestContext, id: string, input: UpdateUserInput): Promise<UserEntity> {
  const name = input.name == null ? undefined : displayName(input.name, { what: 'a user name', field: 'name', max: 200 });
  const email = input.email == null ? undefined : checkedEmail(input.email);
  if (name === undefined && email === undefined) throw badInput('give a name or an email to change', { field: 'input' });
  await targetUser(ctx, id, 'users.invite');
  return ctx.transaction(async (em) => {
    const { user, account } = await lockedUser(em, ctx, id);
    const changes: Record<string, unknown> = {};
    const update: Partial<UserEntity> = {};
    if (name !== undefined && name !== user.name) {
      changes.name = { from: user.name, to: name };
      update.name = name;
    }
    if (email !== undefined && email.email !== user.email) {
      await guardEmailUnique(em, email, user.id);
      changes.email = { from: user.email, to: email.email };
      Object.assign(update, { email: email.email, emailSkeleton: email.skeleton });
    }
    if (Object.keys(changes).length === 0) return user;
    await em.update(UserEntity, { id: user.id }, update).catch((error: unknown) => {
      // Another request took this email, or a look-alike, between the check and the update.
      throw isDuplicateKey(error) ? new InvariantError(`${visibly(email!.email)} is already taken, or could be taken for the email of an existing user`, { field: 'email' }) : error;
    });
    await audit(em, ctx, { action: 'user.update', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: changes });
    return em.findOneByOrFail(UserEntity, { id: user.id });
  });
}

/** The last holder of a role others depend on (a Portal Administrator while Insight Users exist) cannot lose it. */
async function guardDependants(em: EntityManager, ctx: RequestContext, account: AccountEntity, user: UserEntity, losing: readonly string[], keeping: readonly string[] = []): Promise<void> {
  for (const role of losing) {
    for (const dependant of ctx.engine.rolesOf(account.type).filter((r) => r.requires === role)) {
      const holders = await activeHolders(em, account.id, role);
      if (holders.length !== 1 || holders[0] !== user.id) continue;
      const dependants = (await activeHolders(em, account.id, dependant.name)).filter((h) => h !== user.id || keeping.includes(dependant.name));
      if (dependants.length > 0) throw new InvariantError(`cannot remove the last ${role} of account ${account.id} while it has ${dependant.title}s`, { role });
    }
  }
}

/**
 * Removes a user with their rights, contact roles and sign-in links: their tokens name nobody from the next request.
 * The last administrator cannot go while others use the account.
 */
export async function removeUser(ctx: RequestContext, id: string): Promise<string> {
  await targetUser(ctx, id, 'users.suspend');
  return ctx.transaction(async (em) => {
    const { user, account } = await lockedUser(em, ctx, id);
    await guardLastAdministrator(em, ctx, account, user, 'remove');
    const held = (await em.findBy(RoleAssignmentEntity, { userId: user.id })).map((r) => r.role);
    await guardDependants(em, ctx, account, user, held);
    await em.delete(RoleAssignmentEntity, { userId: user.id });
    await em.delete(ContactRoleEntity, { userId: user.id });
    await em.delete(CommunicationRecipientEntity, { userId: user.id });
    await em.delete(ProviderContactEntity, { userId: user.id });
    await em.delete(ExternalIdentityEntity, { userId: user.id });
    await em.delete(UserSettingsEntity, { userId: user.id });
    await em.update(ImpersonationSessionEntity, { actorUserId: user.id, endedAt: IsNull() }, { endedAt: new Date() });
    await em.update(DelegatedAdminRelationshipEntity, { delegateUserId: user.id, status: In(['PENDING', 'ACTIVE']) }, { status: 'TERMINATED', terminatedAt: new Date(), terminatedByUserId: ctx.requirePrincipal().user.id });
    await em.delete(UserEntity, { id: user.id });
    await audit(em, ctx, { action: 'user.remove', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: { email: user.email, roles: held.sort() } });
    return user.id;
  });
}

/**
 * Sends the invitation again: the `invitation.resent` event carries what a mail sender needs to deliver it. Only a
 * user who has not signed in yet has one (else CONFLICT).
 */
export async function resendInvitation(ctx: RequestContext, userId: string): Promise<UserEntity> {
  await targetUser(ctx, userId, 'users.invite');
  return ctx.transaction(async (em) => {
    const { user, account } = await lockedUser(em, ctx, userId);
    if (user.status !== 'INVITED') throw new InvariantError(`user ${user.id} has accepted their invitation already (status ${user.status})`, { status: user.status });
    // What a mail sender needs to deliver the invitation again, as user.invited carries it: the address and the roles.
    const roles = (await em.findBy(RoleAssignmentEntity, { userId: user.id })).map((r) => r.role).sort();
    await audit(em, ctx, { action: 'user.resendInvitation', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: { email: user.email, roles } });
    return user;
  });
}

/**
 * Replaces the user's rights at once. Every role given or taken is checked as `assignRole` / `revokeRole` would
 * check it, and the invariants hold on the result: nothing is half-applied.
 */
export async function setRoles(ctx: RequestContext, userId: string, roles: string[]): Promise<UserEntity> {
  const wanted = [...new Set(roles)].sort();
  await targetUser(ctx, userId, 'rights.assign');
  return ctx.transaction(async (em) => {
    const { user, account } = await lockedUser(em, ctx, userId);
    const rows = await em.findBy(RoleAssignmentEntity, { userId: user.id });
    const current = rows.map((r) => r.role).sort();
    const adding = wanted.filter((r) => !current.includes(r));
    const removing = current.filter((r) => !wanted.includes(r));
    if (adding.length === 0 && removing.length === 0) return user;
    const added: ResolvedRole[] = [];
    for (const role of adding) added.push(await checkAssignable(em, ctx, account, role));
    for (const role of removing) await checkAssignable(em, ctx, account, role);
    const admin = ctx.engine.administratorRole(account.type);
    if (admin && removing.includes(admin.name)) await guardLastAdministrator(em, ctx, account, user, 'remove');
    await guardDependants(em, ctx, account, user, removing, wanted);
    for (const { role } of added) await guardRequiredRole(em, account, role, wanted);
    const taken = rows.filter((r) => removing.includes(r.role)).map((r) => r.id);
    if (taken.length > 0) await em.delete(RoleAssignmentEntity, { id: In(taken) });
    for (const { role, customRoleId } of added) await em.insert(RoleAssignmentEntity, { id: randomUUID(), userId: user.id, accountId: account.id, role: role.name, customRoleId });
    await audit(em, ctx, { action: 'user.setRoles', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: { from: current, to: wanted } });
    // Each role given or taken is also its own change, as assignRole / revokeRole record it: role.assigned and
    // role.revoked reach webhooks however the roles changed.
    for (const role of removing) await audit(em, ctx, { action: 'user.revokeRole', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: { role, via: 'setRoles' } });
    for (const { role } of added) await audit(em, ctx, { action: 'user.assignRole', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: { role: role.name, via: 'setRoles' } });
    return user;
  });
}

/**
 * Moves a role from one user to another of the same account in one transaction: the last administrator hands over
 * without a moment where the account has none, so the invariant is never in the way.
 */
export async function transferRole(ctx: RequestContext, roleName: string, fromUserId: string, toUserId: string): Promise<UserEntity[]> {
  const principal = ctx.requirePrincipal();
  if (fromUserId === toUserId) throw badInput('a role is transferred to another user', { field: 'toUserId' });
  const from = await ctx.visibleUser(fromUserId);
  if (!from) throw notFound('user', fromUserId);
  // A holder handing over their own role reaches the colleagues of their account, whether or not they may list them.
  const colleague = from.id === principal.user.id ? await ctx.loaders.user.load(toUserId) : null;
  const to = colleague && colleague.accountId === from.accountId ? colleague : await ctx.visibleUser(toUserId);
  if (!to) throw notFound('user', toUserId);
  if (to.accountId !== from.accountId) throw badInput('a role is transferred between users of the same account', { field: 'toUserId' });
  return ctx.transaction(async (em) => {
    const { user: giver, account } = await lockedUser(em, ctx, fromUserId);
    const receiver = await em.findOneBy(UserEntity, { id: toUserId });
    if (!receiver) throw notFound('user', toUserId);
    const held = await em.findOneBy(RoleAssignmentEntity, { userId: giver.id, role: roleName });
    const resolved = await resolveRole(em, ctx.engine, account, roleName);
    if (!resolved) throw badInput(`role ${roleName} does not exist for account type ${account.type}`, { field: 'role' });
    if (!held) throw badInput(`user ${giver.id} does not hold role ${roleName}`, { field: 'role' });
    const actor = await currentFacts(em, ctx.engine, principal);
    const check = ctx.engine.checkTransfer(actor, resolved.role, roleName, accountFacts(account), giver.id);
    if (!check.ok) throw new PorticoError(check.code, check.reason, { role: roleName });
    const role: CompiledRole = resolved.role;
    // A suspended receiver leaves the role with nobody able to use it: as if it were simply removed.
    if (receiver.status === 'SUSPENDED') {
      if (ctx.engine.administratorRole(account.type)?.name === roleName) await guardLastAdministrator(em, ctx, account, giver, 'remove');
      await guardDependants(em, ctx, account, giver, [roleName]);
    }
    const receiverHadIt = await em.existsBy(RoleAssignmentEntity, { userId: receiver.id, role: role.name });
    if (!receiverHadIt) {
      await em.insert(RoleAssignmentEntity, { id: randomUUID(), userId: receiver.id, accountId: account.id, role: role.name, customRoleId: resolved.customRoleId });
    }
    await em.delete(RoleAssignmentEntity, { id: held.id });
    await audit(em, ctx, { action: 'user.transferRole', subjectAccountId: account.id, targetType: 'User', targetId: receiver.id, details: { role: role.name, from: giver.id, to: receiver.id } });
    // The hand-over is also a role taken and a role given, as revokeRole / assignRole record them.
    await audit(em, ctx, { action: 'user.revokeRole', subjectAccountId: account.id, targetType: 'User', targetId: giver.id, details: { role: role.name, via: 'transferRole' } });
    if (!receiverHadIt) await audit(em, ctx, { action: 'user.assignRole', subjectAccountId: account.id, targetType: 'User', targetId: receiver.id, details: { role: role.name, via: 'transferRole' } });
    return [giver, receiver];
  });
}
