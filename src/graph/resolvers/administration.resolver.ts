import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { deleteAccount, updateAccount } from '../../domain/account-administration.service';
import type { RequestContext } from '../../domain/context';
import { removeUser, resendInvitation, setRoles, transferRole, updateUser } from '../../domain/user-administration.service';
import { Authenticated, RequiresPermission } from '../directives';
import { Account } from '../types/account.type';
import { UpdateAccountInput, UpdateUserInput } from '../types/administration.type';
import { User } from '../types/user.type';

// What a portal's administration screens change. Mutations whose requirement depends on the input or on the user
// named are @authenticated in the schema; their service asks the engine for the requirement on the account.
@Resolver()
export class AdministrationResolver {
  @Mutation(() => Account, { description: 'Renames an account (accounts.update) or changes its settings (accounts.configure, and each setting\'s changedBy permission in the policy); unknown settings are BAD_USER_INPUT; in force from the next request.' })
  @Authenticated()
  updateAccount(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateAccountInput) input: UpdateAccountInput): Promise<Account> {
    return updateAccount(ctx, id, input);
  }

  @Mutation(() => ID, { description: 'Deletes an account without child accounts (CONFLICT otherwise), with its users; its audit trail stays.' })
  @RequiresPermission('accounts.delete', { account: 'id' })
  deleteAccount(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<string> {
    return deleteAccount(ctx, id);
  }

  @Mutation(() => User, { description: 'Changes a user\'s name or email (requires users.invite on their account).' })
  @Authenticated()
  updateUser(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateUserInput) input: UpdateUserInput): Promise<User> {
    return updateUser(ctx, id, input);
  }

  @Mutation(() => ID, { description: 'Removes a user (requires users.suspend on their account; never the last administrator while others use it).' })
  @Authenticated()
  removeUser(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<string> {
    return removeUser(ctx, id);
  }

  @Mutation(() => User, { description: 'Sends an invited user their invitation again (requires users.invite on their account; CONFLICT once accepted).' })
  @Authenticated()
  resendInvitation(@Ctx() ctx: RequestContext, @Arg('userId', () => ID) userId: string): Promise<User> {
    return resendInvitation(ctx, userId);
  }

  @Mutation(() => User, { description: 'Replaces all of the user\'s rights at once (requires rights.assign; each role given or taken checked as assignRole/revokeRole would, invariants on the result).' })
  @Authenticated()
  setRoles(@Ctx() ctx: RequestContext, @Arg('userId', () => ID) userId: string, @Arg('roles', () => [String]) roles: string[]): Promise<User> {
    return setRoles(ctx, userId, roles);
  }

  @Mutation(() => [User], { description: 'Moves a role from one user to another of the same account in one transaction (whoever may assign it, or its holder handing it over).' })
  @Authenticated()
  transferRole(
    @Ctx() ctx: RequestContext,
    @Arg('role', () => String) role: string,
    @Arg('fromUserId', () => ID) fromUserId: string,
    @Arg('toUserId', () => ID) toUserId: string,
  ): Promise<User[]> {
    return transferRole(ctx, role, fromUserId, toUserId);
  }
}
