import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { In } from 'typeorm';
import type { RequestContext } from '../../domain/context';
import { createCustomRole, deleteCustomRole, updateCustomRole } from '../../domain/custom-roles.service';
import type { AccountType, CompiledRole } from '../../policy';
import { ancestorIdsOf, CustomRoleEntity } from '../../storage/entities';
import { Authenticated, RequiresPermission } from '../directives';
import { AccountTypeEnum } from '../types/enums';
import { CreateCustomRoleInput, RoleDefinition, UpdateCustomRoleInput } from '../types/role.type';

export function roleDefinition(role: CompiledRole, id: string | null = null): RoleDefinition {
  return {
    id,
    name: role.name,
    title: role.title,
    description: role.description ?? null,
    accountType: role.accountType,
    permissions: [...role.grants.values()]
      .sort((a, b) => a.permission.localeCompare(b.permission))
      .map((g) => ({ permission: g.permission, descendants: g.descendants, ownAccount: g.ownAccount !== false, atInvitation: g.atInvitation === true, scope: g.scope ?? null, module: g.module ?? null, whenSetting: g.whenSetting ?? null })),
    includes: [...role.includes],
    assignableBy: [...role.assignableBy],
    administrator: role.administrator,
    requires: role.requires ?? null,
    canLogin: role.canLogin,
    custom: role.custom,
  };
}

@Resolver(() => RoleDefinition)
export class RoleResolver {
  @Query(() => [RoleDefinition], { description: 'The rights of the policy (and the custom roles defined in the viewer\'s account or above), optionally for one account type.' })
  @Authenticated()
  async roles(@Ctx() ctx: RequestContext, @Arg('accountType', () => AccountTypeEnum, { nullable: true }) accountType?: AccountType): Promise<RoleDefinition[]> {
    const policyRoles = [...ctx.engine.policy.roles.values()].filter((r) => !accountType || r.accountType === accountType);
    const principal = ctx.requirePrincipal();
    const owners = [...ancestorIdsOf(principal.account.path), principal.account.id];
    const custom = ctx.engine.policy.customRoles
      ? await ctx.services.db.manager.getRepository(CustomRoleEntity).find({ where: { ownerAccountId: In(owners), ...(accountType ? { accountType } : {}) }, order: { name: 'ASC' } })
      : [];
    const customRoles = custom.map((c) =>
      roleDefinition({ ...ctx.engine.resolve({ role: c.name, accountId: c.ownerAccountId, accountType: c.accountType, custom: { id: c.id, grants: c.grants }, source: { kind: 'role' } })!, title: c.title }, c.id),
    );
    return [...policyRoles.map((r) => roleDefinition(r)), ...customRoles];
  }

  @Mutation(() => RoleDefinition, { description: 'Defines a tenant role; its permissions must be ones the creator holds.' })
  @RequiresPermission('customRoles.manage', { account: 'input.accountId' })
  async createCustomRole(@Ctx() ctx: RequestContext, @Arg('input', () => CreateCustomRoleInput) input: CreateCustomRoleInput): Promise<RoleDefinition> {
    const { entity, role } = await createCustomRole(ctx, input);
    return roleDefinition(role, entity.id);
  }

  @Mutation(() => RoleDefinition, { description: 'Changes a custom role\'s title or permissions (customRoles.manage on its owner; permissions the editor holds). Its holders\' rights change with it.' })
  @Authenticated()
  async updateCustomRole(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateCustomRoleInput) input: UpdateCustomRoleInput): Promise<RoleDefinition> {
    const { entity, role } = await updateCustomRole(ctx, id, input);
    return roleDefinition(role, entity.id);
  }

  @Mutation(() => ID, { description: 'Deletes a custom role (customRoles.manage on its owner); CONFLICT while anyone holds it.' })
  @Authenticated()
  deleteCustomRole(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<string> {
    return deleteCustomRole(ctx, id);
  }
}
