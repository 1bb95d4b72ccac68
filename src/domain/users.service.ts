import { randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import { badInput, InvariantError, notFound, PorticoError } from '../errors';
import { canonicalEmail, displayName, visibly } from '../identifiers';
import type { AssignmentOptions, CompiledRole, UserStatus } from '../policy';
import { AccountEntity, ContactRoleEntity, RoleAssignmentEntity, UserEntity } from '../storage/entities';
import { audit } from './audit';
import type { RequestContext } from './context';
import { accountFacts } from './facts';
import { currentFacts } from './principal';
import { resolveRole, type ResolvedRole } from './roles';

export interface InviteUserInput {
  accountId: string;
  email: string;
  name: string;
  roles: string[];
}

/** A unique index refused the row (MySQL / MariaDB, or SQLite through either driver). */
export function isDuplicateKey(error: unknown): boolean {
  const { code, driverError, message } = (error ?? {}) as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  if ([code, driverError?.code].some((c) => c === 'ER_DUP_ENTRY' || c === 'SQLITE_CONSTRAINT_UNIQUE')) return true;
  return typeof message === 'string' && /UNIQUE constraint failed/.test(message);
}

/** An email as Portico keeps it (see `canonicalEmail`), or BAD_USER_INPUT saying what is wrong with it. */
export function checkedEmail(raw: string): { email: string; skeleton: string } {
  const canonical = canonicalEmail(raw);
  if (!canonical.ok) throw badInput(`${visibly(raw)} is not an email address: ${canonical.reason}`, { field: 'email' });
  return canonical;
}

/**
 * An email no other user has, nor one that can be taken for theirs (equal confusable skeletons): else CONFLICT.
 * The unique indexes on both columns hold the same rule against a concurrent request.
 */
export async function guardEmailUnique(em: EntityManager, email: { email: string; skeleton: string }, exceptUserId?: string): Promise<void> {
  const holders = (await em.find(UserEntity, { where: [{ email: email.email }, { emailSkeleton: email.skeleton }], select: { id: true, email: true } })).filter((u) => u.id !== exceptUserId);
  if (holders.length === 0) return;
  if (holders.some((u) => u.email === email.email)) throw new InvariantError(`a user with email ${email.email} already exists`, { field: 'email' });
  throw new InvariantError(`${visibly(email.email)} could be taken for the email of an existing user`, { field: 'email' });
}

export async function checkAssignable(em: EntityManager, ctx: RequestContext, account: AccountEntity, roleName: string, options: AssignmentOptions = {}): Promise<ResolvedRole> {
  const resolved = await resolveRole(em, ctx.engine, account, roleName);
  // The actor's rights as they are now, under the account lock: facts loaded at the start of the request could
  // rest on a right another request has just revoked.
  const actor = await currentFacts(em, ctx.engine, ctx.requirePrincipal());
  const check = ctx.engine.checkAssignment(actor, resolved?.role, roleName, accountFacts(account), options);
  if (!check.ok) throw new PorticoError(check.code, check.reason, { role: roleName });
  return resolved!;
}

/** Users of the account holding the role and not suspended. */
export async function activeHolders(em: EntityManager, accountId: string, role: string): Promise<string[]> {
  const rows = await em
    .createQueryBuilder(RoleAssignmentEntity, 'r')
    .innerJoin(UserEntity, 'u', 'u.id = r.userId')
    .select('r.userId', 'userId')
    .where('r.accountId = :accountId AND r.role = :role AND u.status != :suspended', { accountId, role, suspended: 'SUSPENDED' })
    .getRawMany<{ userId: string }>();
  return rows.map((r) => r.userId);
}

export async function otherActiveUsers(em: EntityManager, accountId: string, exceptUserId: string): Promise<number> {
  return em
    .createQueryBuilder(UserEntity, 'u')
    .where('u.accountId = :accountId AND u.id != :id AND u.status != :suspended', { accountId, id: exceptUserId, suspended: 'SUSPENDED' })
    .getCount();
}

/** The last administrator cannot leave while others use the account: it would be left unmanageable. */
export async function guardLastAdministrator(em: EntityManager, ctx: RequestContext, account: AccountEntity, user: UserEntity, change: string): Promise<void> {
  const admin = ctx.engine.administratorRole(account.type);
  if (!admin) return;
  const holders = await activeHolders(em, account.id, admin.name);
  if (!holders.includes(user.id) || holders.length > 1) return;
  if ((await otherActiveUsers(em, account.id, user.id)) > 0) {
    throw new InvariantError(`cannot ${change} the last ${admin.title} of account ${account.id} while it has other active users`, { role: admin.name });
  }
}

/** A role that needs another to be held first (an Insight User needs a Portal Administrator). */
export async function guardRequiredRole(em: EntityManager, account: AccountEntity, role: CompiledRole, alsoGranted: string[] = []): Promise<void> {
  if (!role.requires || alsoGranted.includes(role.requires)) return;
  if ((await activeHolders(em, account.id, role.requires)).length === 0) {
    throw new InvariantError(`${role.title} can only be assigned once account ${account.id} has a ${role.requires}`, { requires: role.requires });
  }
}

export async function lockedUser(em: EntityManager, ctx: RequestContext, userId: string): Promise<{ user: UserEntity; account: AccountEntity }> {
  const user = await em.findOneBy(UserEntity, { id: userId });
  if (!user) throw notFound('user', userId);
  const account = (await ctx.services.db.lockAccounts(em, [user.accountId])).get(user.accountId)!;
  return { user: (await em.findOneByOrFail(UserEntity, { id: userId })), account };
}

/**
 * The user whose role changes, if the viewer may see them (else NOT_FOUND), and may assign roles on their account
 * (else FORBIDDEN): `rights.assign`, or for a role the policy lets another permission give (unifyr's Administrative
 * access, by users:manage; a Sales Rep, by salesReps:manage), that permission. The engine checks the rest.
 */
export async function targetUserForRole(ctx: RequestContext, userId: string, roleName: string): Promise<UserEntity> {
  const user = await ctx.visibleUser(userId);
  if (!user) throw notFound('user', userId);
  const account = await ctx.visibleAccount(user.accountId);
  const giver = account ? ctx.engine.role(account.type, roleName)?.assignableWith : undefined;
  if (account && giver !== undefined && ctx.decide(giver, account).allowed) return user;
  await ctx.requireOn('rights.assign', user.accountId);
  return user;
}

/** The user if the viewer may see them, else NOT_FOUND; then the requirement on their account, else FORBIDDEN. */
export async function targetUser(ctx: RequestContext, userId: string, requirement: string): Promise<UserEntity> {
  const user = await ctx.visibleUser(userId);
  if (!user) throw notFound('user', userId);
  await ctx.requireOn(requirement, user.accountId);
  return user;
}

export async function inviteUser(ctx: RequestContext, input: InviteUserInput): Promise<UserEntity> {
  const checked = checkedEmail(input.email);
  const { email } = checked;
  const name = displayName(input.name, { what: 'a user name', field: 'name', max: 200 });
  const roles = [...new Set(input.roles)];
  await ctx.requireOn('users.invite', input.accountId);
  return ctx.transaction(async (em) => {
    const account = (await ctx.services.db.lockAccounts(em, [input.accountId])).get(input.accountId);
    if (!account) throw notFound('account', input.accountId);
    await guardEmailUnique(em, checked);
    const resolved: ResolvedRole[] = [];
    for (const role of roles) resolved.push(await checkAssignable(em, ctx, account, role, { atInvitation: true }));
    const firstUser = (await em.countBy(UserEntity, { accountId: account.id })) === 0;
    // unifyr: the first user of a partner account becomes its Administrator.
    const automatic = firstUser ? ctx.engine.rolesOf(account.type).filter((r) => r.autoAssignToFirstUser && !roles.includes(r.name)) : [];
    const granted = [...roles, ...automatic.map((r) => r.name)];
    for (const { role } of resolved) await guardRequiredRole(em, account, role, granted);
    const user = em.create(UserEntity, { id: randomUUID(), accountId: account.id, email, emailSkeleton: checked.skeleton, name, status: 'INVITED' });
    await em.insert(UserEntity, user).catch((error: unknown) => {
      // Another request took this email, or a look-alike, between the check and the insert.
      throw isDuplicateKey(error) ? new InvariantError(`${visibly(email)} is already taken, or could be taken for the email of an existing user`, { field: 'email' }) : error;
    });
    const assignments = [...resolved, ...automatic.map((role) => ({ role, customRoleId: null }))];
    for (const { role, customRoleId } of assignments) {
      await em.insert(RoleAssignmentEntity, { id: randomUUID(), userId: user.id, accountId: account.id, role: role.name, customRoleId });
    }
    await audit(em, ctx, { action: 'user.invite', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: { email, roles: granted } });
    return em.findOneByOrFail(UserEntity, { id: user.id });
  });
}

export async function setUserStatus(ctx: RequestContext, userId: string, status: UserStatus): Promise<UserEntity> {
  if (status === 'INVITED') throw badInput('a user becomes INVITED only by invitation', { field: 'status' });
  await targetUser(ctx, userId, 'users.suspend');
  return ctx.transaction(async (em) => {
    const { user, account } = await lockedUser(em, ctx, userId);
    if (user.status === status) return user;
    if (status === 'SUSPENDED') await guardLastAdministrator(em, ctx, account, user, 'suspend');
    await em.update(UserEntity, { id: user.id }, { status });
    await audit(em, ctx, { action: 'user.setStatus', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: { from: user.status, to: status } });
    return em.findOneByOrFail(UserEntity, { id: user.id });
  });
}

export async function assignRole(ctx: RequestContext, userId: string, roleName: string): Promise<UserEntity> {
  await targetUserForRole(ctx, userId, roleName);
  return ctx.transaction(async (em) => {
    const { user, account } = await lockedUser(em, ctx, userId);
    const { role, customRoleId } = await checkAssignable(em, ctx, account, roleName);
    if (await em.existsBy(RoleAssignmentEntity, { userId: user.id, role: role.name })) return user;
    await guardRequiredRole(em, account, role);
    await em.insert(RoleAssignmentEntity, { id: randomUUID(), userId: user.id, accountId: account.id, role: role.name, customRoleId });
    await audit(em, ctx, { action: 'user.assignRole', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: { role: role.name } });
    return user;
  });
}

export async function revokeRole(ctx: RequestContext, userId: string, roleName: string): Promise<UserEntity> {
  await targetUserForRole(ctx, userId, roleName);
  return ctx.transaction(async (em) => {
    const { user, account } = await lockedUser(em, ctx, userId);
    const held = await em.findOneBy(RoleAssignmentEntity, { userId: user.id, role: roleName });
    if (!held) throw badInput(`user ${user.id} does not hold role ${roleName}`, { field: 'role' });
    await checkAssignable(em, ctx, account, roleName);
    if (ctx.engine.administratorRole(account.type)?.name === roleName) await guardLastAdministrator(em, ctx, account, user, 'remove');
    const dependants = ctx.engine.rolesOf(account.type).filter((r) => r.requires === roleName);
    for (const dependant of dependants) {
      const holders = await activeHolders(em, account.id, roleName);
      if (holders.length === 1 && holders[0] === user.id && (await activeHolders(em, account.id, dependant.name)).length > 0) {
        throw new InvariantError(`cannot remove the last ${roleName} of account ${account.id} while it has ${dependant.title}s`, { role: roleName });
      }
    }
    await em.delete(RoleAssignmentEntity, { id: held.id });
    await audit(em, ctx, { action: 'user.revokeRole', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: { role: roleName } });
    return user;
  });
}

export async function setContactRoles(ctx: RequestContext, userId: string, roles: string[]): Promise<UserEntity> {
  const wanted = [...new Set(roles)];
  const known = ctx.engine.policy.contactRoles;
  const unknown = wanted.filter((r) => !known.includes(r));
  if (unknown.length > 0) throw badInput(`unknown contact role ${unknown.join(', ')} (the ${ctx.engine.policy.name} policy has ${known.join(', ')})`, { field: 'roles' });
  await targetUser(ctx, userId, 'contactRoles.manage');
  return ctx.transaction(async (em) => {
    const { user, account } = await lockedUser(em, ctx, userId);
    const before = (await em.findBy(ContactRoleEntity, { userId: user.id })).map((r) => r.role).sort();
    await em.delete(ContactRoleEntity, { userId: user.id });
    for (const role of wanted) await em.insert(ContactRoleEntity, { id: randomUUID(), userId: user.id, accountId: account.id, role });
    await audit(em, ctx, { action: 'user.setContactRoles', subjectAccountId: account.id, targetType: 'User', targetId: user.id, details: { from: before, to: wanted.sort() } });
    return user;
  });
}

