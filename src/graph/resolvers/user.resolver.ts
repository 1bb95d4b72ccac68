import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { assignableRoles } from '../../domain/assignable-roles';
import { assignRole, inviteUser, revokeRole, setContactRoles, setUserStatus } from '../../domain/users.service';
import type { PorticoAction, UserStatus } from '../../policy';
import type { UserEntity } from '../../storage/entities';
import { Authenticated, RequiresPermission } from '../directives';
import { Account } from '../types/account.type';
import { ContactRoleEnum, UserStatusEnum } from '../types/enums';
import { RoleDefinition } from '../types/role.type';
import { InviteUserInput, User } from '../types/user.type';
import { roleDefinition } from './role.resolver';

// Mutations on a user name the user, not an account: they are @authenticated in the schema and the service
// requires the permission on the user's home account (users.suspend, rights.assign, contactRoles.manage).
@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The user, or null when they do not exist or the viewer may not see them.' })
  @Authenticated()
  user(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<User | null> {
    return ctx.visibleUser(id);
  }

  @Query(() => [RoleDefinition], { description: 'The roles the viewer may give this user right now (assignableBy, grant only what you hold, modules, settings, required roles), exactly as assignRole decides; NOT_FOUND for a user the viewer may not see.' })
  @Authenticated()
  async assignableRoles(@Ctx() ctx: RequestContext, @Arg('userId', () => ID) userId: string): Promise<RoleDefinition[]> {
    return (await assignableRoles(ctx, userId)).map(({ role, customRoleId }) => roleDefinition(role, customRoleId));
  }

  @Mutation(() => User, { description: 'Invites a user into an account with rights; the first user of a unifyr partner becomes its Administrator.' })
  @RequiresPermission('users.invite', { account: 'input.accountId' })
  inviteUser(@Ctx() ctx: RequestContext, @Arg('input', () => InviteUserInput) input: InviteUserInput): Promise<User> {
    return inviteUser(ctx, input);
  }

  @Mutation(() => User, { description: 'Activates or suspends a user (requires users.suspend on their account).' })
  @Authenticated()
  setUserStatus(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('status', () => UserStatusEnum) status: UserStatus): Promise<User> {
    return setUserStatus(ctx, id, status);
  }

  @Mutation(() => User, { description: 'Gives the user a right (requires rights.assign on their account, and a role allowed to assign it).' })
  @Authenticated()
  assignRole(@Ctx() ctx: RequestContext, @Arg('userId', () => ID) userId: string, @Arg('role', () => String) role: string): Promise<User> {
    return assignRole(ctx, userId, role);
  }

  @Mutation(() => User, { description: 'Takes a right away (requires rights.assign on their account; never the last administrator).' })
  @Authenticated()
  revokeRole(@Ctx() ctx: RequestContext, @Arg('userId', () => ID) userId: string, @Arg('role', () => String) role: string): Promise<User> {
    return revokeRole(ctx, userId, role);
  }

  @Mutation(() => User, { description: 'Replaces the user\'s contact roles (requires contactRoles.manage on their account).' })
  @Authenticated()
  setContactRoles(
    @Ctx() ctx: RequestContext,
    @Arg('userId', () => ID) userId: string,
    @Arg('roles', () => [ContactRoleEnum]) roles: string[],
  ): Promise<User> {
    return setContactRoles(ctx, userId, roles);
  }

  @FieldResolver(() => Account, { nullable: true, description: 'The user\'s home account (null if the viewer may not see it).' })
  account(@Ctx() ctx: RequestContext, @Root() user: UserEntity): Promise<Account | null> {
    return ctx.visibleAccount(user.accountId);
  }

  @FieldResolver(() => [String], { description: 'The rights the user holds in their home account.' })
  async roles(@Ctx() ctx: RequestContext, @Root() user: UserEntity): Promise<string[]> {
    return (await ctx.loaders.rolesByUser.load(user.id)).map((r) => r.role).sort();
  }

  @FieldResolver(() => [ContactRoleEnum])
  async contactRoles(@Ctx() ctx: RequestContext, @Root() user: UserEntity): Promise<string[]> {
    return (await ctx.loaders.contactRolesByUser.load(user.id)).map((r) => r.role).sort();
  }

  @FieldResolver(() => Boolean, { description: 'False for users who may not sign in (a Sales Rep; where the policy requires a role, one holding none), or who are suspended.' })
  async canLogin(@Ctx() ctx: RequestContext, @Root() user: UserEntity): Promise<boolean> {
    if (user.status === 'SUSPENDED') return false;
    const [roles, account] = await Promise.all([ctx.loaders.rolesByUser.load(user.id), ctx.loaders.account.load(user.accountId)]);
    if (!account) return false;
    if (ctx.engine.policy.signInRequiresRole && roles.length === 0) return false;
    return roles.every((r) => r.customRoleId !== null || (ctx.engine.role(account.type, r.role)?.canLogin ?? true));
  }

  @FieldResolver(() => Boolean, { description: 'Whether the viewer may change this user\'s name or email (updateUser, resendInvitation).' })
  viewerCanEdit(@Ctx() ctx: RequestContext, @Root() user: UserEntity): Promise<boolean> {
    return viewerMay(ctx, 'users.invite', user);
  }

  @FieldResolver(() => Boolean, { description: 'Whether the viewer may suspend, activate or remove this user.' })
  viewerCanSuspend(@Ctx() ctx: RequestContext, @Root() user: UserEntity): Promise<boolean> {
    return viewerMay(ctx, 'users.suspend', user);
  }

  @FieldResolver(() => Boolean, { description: 'Whether the viewer may assign or revoke this user\'s rights (which ones: assignableRoles).' })
  viewerCanAssignRoles(@Ctx() ctx: RequestContext, @Root() user: UserEntity): Promise<boolean> {
    return viewerMay(ctx, 'rights.assign', user);
  }

  @FieldResolver(() => Boolean, { description: 'Whether the viewer may set this user\'s contact roles.' })
  viewerCanSetContactRoles(@Ctx() ctx: RequestContext, @Root() user: UserEntity): Promise<boolean> {
    return viewerMay(ctx, 'contactRoles.manage', user);
  }
}

/** The engine's decision on the user's home account, through the request's batched account loader. */
async function viewerMay(ctx: RequestContext, action: PorticoAction, user: UserEntity): Promise<boolean> {
  const account = await ctx.visibleAccount(user.accountId);
  return account !== null && ctx.decide(action, account).allowed;
}
