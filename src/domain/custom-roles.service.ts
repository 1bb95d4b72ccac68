import { randomUUID } from 'crypto';
import { badInput, forbidden, InvariantError } from '../errors';
import { displayName } from '../identifiers';
import { mergeGrant, type AccountType, type CompiledRole, type PermissionGrant } from '../policy';
import { CustomRoleEntity } from '../storage/entities';
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
  const typePermissions = policy.accountTypes.get(input.accountType)!.permissions;
  const grants = new Map<string, PermissionGrant>();
  for (const { permission, scope } of input.permissions) {
    if (!typePermissions.includes(permission)) throw badInput(`${permission} is not a permission of ${input.accountType} accounts`, { field: 'permissions' });
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
      grants: [...grants.values()],
      createdByUserId: ctx.requirePrincipal().user.id,
    });
    await em.save(entity);
    await audit(em, ctx, { action: 'customRole.create', subjectAccountId: owner.id, targetType: 'CustomRole', targetId: entity.id, details: { name: input.name } });
    const role = ctx.engine.resolve({ role: entity.name, accountId: owner.id, accountType: entity.accountType, custom: { id: entity.id, grants: entity.grants }, source: { kind: 'role' } })!;
    return { entity, role: { ...role, title } };
  });
}
