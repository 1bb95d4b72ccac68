import { randomUUID } from 'crypto';
import { badInput, forbidden, InvariantError, notFound } from '../errors';
import { displayName } from '../identifiers';
import { mergeGrant, type AccountType, type CompiledRole, type PermissionGrant } from '../policy';
import { type AccountEntity, CustomRoleEntity, RoleAssignmentEntity } from '../storage/entities';
import { audit } from './audit';
import type { RequestContext } from './context';

export interface CreateCustomRoleInput {
  accountId: string;
  accountType: AccountType;
  name: string;
  title: string;
  permissions: Array<{ permission: string; scope?: string | null }>;
}

/** A tenant's own role: its permissions must be ones its creator holds on the owning account. */
export async function createCustomRole(ctx: RequestContext, input: CreateCustomRoleInput): Promise<{ entity: CustomRoleEntity; role: CompiledRole }> {
  const { policy } = ctx.engine;
  if (!policy.customRoles) throw badInput(`the ${policy.name} policy has no custom roles`);
  if (!policy.customRoles.accountTypes.includes(input.accountType)) {
    throw badInput(`custom roles are for ${policy.customRoles.accountTypes.join(', ')} accounts`, { field: 'accountType' });
  }
  if (!/^[A-Z][A-Z0-9_]{1,63}$/.test(input.name)) throw badInput('a role name is UPPER_SNAKE_CASE, 2 to 64 characters', { field: 'name' });
  if ([...policy.roles.values()].some((r) => r.name === input.name)) throw badInput(`${input.name} is a role of the policy`, { field: 'name' });
  const title = displayName(input.title, { what: 'a role title', field: 'title', max: 200 });
  const owner = await ctx.requireOn('customRoles.manage', input.accountId);
  // A role is for its owner's own type, or defined by the platform (the supplier) for the accounts below it.
  if (owner.type !== input.accountType && owner.type !== 'PLATFORM') throw badInput(`a custom role of account ${owner.id} is for ${owner.type} accounts, not ${input.accountType}`, { field: 'accountType' });
  const grants = grantsOf(ctx, owner, input.accountType, input.permissions);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [owner.id]);
    if (await em.existsBy(CustomRoleEntity, { ownerAccountId: owner.id, name: input.name })) {
      throw new InvariantError(`account ${owner.id} already has a custom role ${input.name}`, { field: 'name' });
    }
    const entity = em.create(CustomRoleEntity, {
      id: randomUUID(),
      ownerAccountId: owner.id,
      accountType: input.accountType,
      name: input.name,
      title,
      grants,
      createdByUserId: ctx.requirePrincipal().user.id,
    });
    await em.save(entity);
    await audit(em, ctx, { action: 'customRole.create', subjectAccountId: owner.id, targetType: 'CustomRole', targetId: entity.id, details: { name: input.name } });
    const role = ctx.engine.resolve({ role: entity.name, accountId: owner.id, accountType: entity.accountType, custom: { id: entity.id, grants: entity.grants }, source: { kind: 'role' } })!;
    return { entity, role: { ...role, title } };
  });
}

/** The grants the permissions amount to, each one a permission of the type that the owner's administrator holds. */
function grantsOf(ctx: RequestContext, owner: AccountEntity, accountType: AccountType, permissions: CreateCustomRoleInput['permissions']): PermissionGrant[] {
  const { policy } = ctx.engine;
  const typePermissions = policy.accountTypes.get(accountType)!.permissions;
  const cap = ctx.engine.customRoleCap(accountType) ?? new Set<string>();
  const grants = new Map<string, PermissionGrant>();
  for (const { permission, scope } of permissions) {
    if (!typePermissions.includes(permission)) throw badInput(`${permission} is not a permission of ${accountType} accounts`, { field: 'permissions' });
    // The policy caps what any custom role carries, whoever creates it: nobody may, so the input is wrong.
    if (!cap.has(permission)) {
      throw badInput(`a custom role of ${accountType} accounts may not carry ${permission} (the ${policy.name} policy's customRoles.mayCarry: ${[...cap].join(', ') || 'nothing beyond the base permissions'})`, { field: 'permissions', permission });
    }
    const order = policy.scopes.get(permission);
    if (scope != null && !order?.includes(scope)) throw badInput(`${scope} is not a scope of ${permission}`, { field: 'permissions' });
    const held = ctx.decide(permission, owner);
    const widest = order?.[order.length - 1];
    const wanted = order ? (scope ?? widest) : undefined;
    if (!held.allowed || (order && order.indexOf(held.scope ?? '') < order.indexOf(wanted!))) {
      // Nobody grants what they do not hold, through a custom role any more than through an assignment.
      throw forbidden(`cannot grant ${permission}${wanted ? ` (${wanted})` : ''}: not held on account ${owner.id}`, { permission });
    }
    mergeGrant(grants, { permission, descendants: false, scope: wanted, module: policy.moduleOf.get(permission) }, policy.scopes);
  }
  return [...grants.values()];
}

export interface UpdateCustomRoleInput {
  title?: string | null;
  permissions?: CreateCustomRoleInput['permissions'] | null;
}

/** The custom role if the viewer may manage it (customRoles.manage on its owner), else NOT_FOUND / FORBIDDEN. */
async function managedCustomRole(ctx: RequestContext, id: string): Promise<{ role: CustomRoleEntity; owner: AccountEntity }> {
  const role = await ctx.loaders.customRole.load(id);
  // A role of an account the viewer cannot see reads as one that does not exist.
  if (!role || !(await ctx.visibleAccount(role.ownerAccountId))) throw notFound('custom role', id);
  return { role, owner: await ctx.requireOn('customRoles.manage', role.ownerAccountId) };
}

/** Renames a custom role or replaces its permissions (held by the editor, as at creation); holders' rights follow at once. */
export async function updateCustomRole(ctx: RequestContext, id: string, input: UpdateCustomRoleInput): Promise<{ entity: CustomRoleEntity; role: CompiledRole }> {
  const title = input.title == null ? undefined : displayName(input.title, { what: 'a role title', field: 'title', max: 200 });
  if (title === undefined && input.permissions == null) throw badInput('give a title or permissions to change', { field: 'input' });
  const { role: found, owner } = await managedCustomRole(ctx, id);
  const grants = input.permissions == null ? undefined : grantsOf(ctx, owner, found.accountType, input.permissions);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [owner.id]);
    const current = await em.findOneBy(CustomRoleEntity, { id });
    if (!current) throw notFound('custom role', id);
    const changes: Record<string, unknown> = {};
    if (title !== undefined && title !== current.title) changes.title = { from: current.title, to: title };
    const before = current.grants.map((g) => g.permission).sort();
    const after = grants?.map((g) => g.permission).sort();
    if (grants && JSON.stringify(grants) !== JSON.stringify(current.grants)) changes.permissions = { from: before, to: after };
    if (Object.keys(changes).length > 0) {
      await em.update(CustomRoleEntity, { id }, { ...(title !== undefined ? { title } : {}), ...(grants ? { grants } : {}) });
      await audit(em, ctx, { action: 'customRole.update', subjectAccountId: owner.id, targetType: 'CustomRole', targetId: id, details: changes });
    }
    const entity = await em.findOneByOrFail(CustomRoleEntity, { id });
    const role = ctx.engine.resolve({ role: entity.name, accountId: owner.id, accountType: entity.accountType, custom: { id: entity.id, grants: entity.grants }, source: { kind: 'role' } })!;
    return { entity, role: { ...role, title: entity.title } };
  });
}

/** Deletes a custom role nobody holds (CONFLICT while anyone does: their rights would change silently). */
export async function deleteCustomRole(ctx: RequestContext, id: string): Promise<string> {
  const { owner } = await managedCustomRole(ctx, id);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [owner.id]);
    const current = await em.findOneBy(CustomRoleEntity, { id });
    if (!current) throw notFound('custom role', id);
    const holders = await em.countBy(RoleAssignmentEntity, { customRoleId: id });
    if (holders > 0) throw new InvariantError(`custom role ${current.name} is held by ${holders} user(s): revoke it first`, { holders });
    await em.delete(CustomRoleEntity, { id });
    await audit(em, ctx, { action: 'customRole.delete', subjectAccountId: owner.id, targetType: 'CustomRole', targetId: id, details: { name: current.name } });
    return id;
  });
}
