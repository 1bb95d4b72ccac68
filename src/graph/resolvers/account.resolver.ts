import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { readableSettings, settingEntries } from '../../domain/account-settings';
import { createAccount, moveAccount, setAccountStatus } from '../../domain/accounts.service';
import type { RequestContext } from '../../domain/context';
import { accountFacts } from '../../domain/facts';
import { grantStatus } from '../../domain/impersonation.service';
import { countVisibleAccounts, delegatedRelationshipsOf, impersonationGrantsOf, visibleAccounts } from '../../domain/queries';
import type { AccountSettings, AccountStatus } from '../../policy';
import { ancestorIdsOf, type AccountEntity, type DelegatedAdminRelationshipEntity, type ImpersonationGrantEntity, type UserEntity } from '../../storage/entities';
import { Authenticated, RequiresPermission } from '../directives';
import { Account, AccountConnection, AccountFilter, CreateAccountInput } from '../types/account.type';
import { AuthorizationDecision } from '../types/common.type';
import { DelegatedAdminRelationshipConnection } from '../types/delegation.type';
import { AccountStatusEnum, ContactRoleEnum } from '../types/enums';
import { ImpersonationGrantConnection } from '../types/impersonation.type';
import { User, UserConnection } from '../types/user.type';
import { connection, decodeCursor, decodeInstantCursor, pageSize, selects } from './paging';

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size (default 20, at most the configured maximum, 100 unless configured).' })
  first?: number;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  after?: string;
}

const accountKey = (a: Account) => [a.name, a.id];

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => Account, { nullable: true, description: 'The account, or null when it does not exist or the viewer may not see it.' })
  @Authenticated()
  account(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Account | null> {
    return ctx.visibleAccount(id);
  }

  @Query(() => AccountConnection, { description: 'The accounts the viewer can see, in name order.' })
  @Authenticated()
  async accounts(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Arg('filter', () => AccountFilter, { nullable: true }) filter?: AccountFilter,
  ): Promise<AccountConnection> {
    const size = pageSize(ctx, first);
    const cursor = decodeCursor(after, 2) as [string, string] | undefined;
    const page = await visibleAccounts(ctx, filter ?? {}, size, cursor);
    return { ...connection(page.rows, page.hasNextPage, accountKey), count: () => countVisibleAccounts(ctx, filter ?? {}) };
  }

  @Mutation(() => Account, { description: 'Creates an account under a parent (CUSTOMER under PLATFORM, PARTNER, SUB_PARTNER or AFFILIATE; …).' })
  @RequiresPermission('accounts.create', { account: 'input.parentId' })
  createAccount(@Ctx() ctx: RequestContext, @Arg('input', () => CreateAccountInput) input: CreateAccountInput): Promise<Account> {
    return createAccount(ctx, input);
  }

  @Mutation(() => Account, { description: 'Moves the account and its whole subtree under another parent, atomically.' })
  @RequiresPermission('accounts.move', { account: 'id' })
  moveAccount(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('parentId', () => ID) parentId: string): Promise<Account> {
    return moveAccount(ctx, id, parentId);
  }

  @Mutation(() => Account, { description: 'Suspends or reactivates an account. A suspended account\'s users can only read their own viewer.' })
  @RequiresPermission('accounts.suspend', { account: 'id' })
  setAccountStatus(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('status', () => AccountStatusEnum) status: AccountStatus,
  ): Promise<Account> {
    return setAccountStatus(ctx, id, status);
  }

  @FieldResolver(() => Account, { nullable: true, description: 'Null for the platform, or when the viewer may not see the parent.' })
  async parent(@Ctx() ctx: RequestContext, @Root() account: AccountEntity): Promise<Account | null> {
    return account.parentId ? ctx.visibleAccount(account.parentId) : null;
  }

  @FieldResolver(() => [Account], { description: 'The ancestors the viewer can see, root first.' })
  async ancestors(@Ctx() ctx: RequestContext, @Root() account: AccountEntity): Promise<Account[]> {
    const found = await Promise.all(ancestorIdsOf(account.path).map((id) => ctx.visibleAccount(id)));
    return found.filter((a): a is AccountEntity => a !== null);
  }

  @FieldResolver(() => AccountConnection, { description: 'The child accounts the viewer can see, in name order.' })
  async children(@Ctx() ctx: RequestContext, @Root() account: AccountEntity, @Args(() => PageArgs) { first, after }: PageArgs): Promise<AccountConnection> {
    const size = pageSize(ctx, first);
    const cursor = decodeCursor(after, 2) as [string, string] | undefined;
    // One row more than the page, batched with the other parents: when all are visible, the page is exact.
    const page = await ctx.loaders.childrenPage({ first: size + 1, after: cursor }).load(account.id);
    const principal = ctx.requirePrincipal();
    // Every child, with the others' of the page in one statement; the count is of those the viewer may see.
    const count = async () => (await ctx.loaders.childrenOf.load(account.id)).filter((child) => ctx.engine.isVisible(principal.facts, accountFacts(child))).length;
    if (page.rows.every((child) => ctx.engine.isVisible(principal.facts, accountFacts(child)))) {
      return { ...connection(page.rows.slice(0, size), page.rows.length > size, accountKey), count };
    }
    // Some child is hidden: page through the reachable children alone, so neither nodes nor hasNextPage betray it.
    const reachable = await visibleAccounts(ctx, { parentId: account.id }, size, cursor);
    return { ...connection(reachable.rows, reachable.hasNextPage, accountKey), count };
  }

  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description:
      'Site configuration as set: modules, adminsMayAssignRoles, leadsVisibilityByRole, … A secret setting that is set reads { set: true, updatedAt, updatedBy } (updatedBy: the id of who set it, when the viewer may see them), never its value; one not set is absent.',
  })
  @RequiresPermission('accounts.settings', { account: 'id' })
  async settings(@Ctx() ctx: RequestContext, @Root() account: AccountEntity): Promise<Record<string, unknown>> {
    const secrets = (await settingEntries(ctx, account)).filter((entry) => entry.setting.secret && entry.isSet);
    const written = await Promise.all(
      secrets.map(async ({ setting, updatedAt, updatedByUserId }) => {
        const by = updatedByUserId ? await ctx.visibleUser(updatedByUserId) : null;
        return [setting.key, { set: true, updatedAt: updatedAt?.toISOString() ?? null, updatedBy: by?.id ?? null }] as const;
      }),
    );
    return { ...readableSettings(ctx.engine.policy, account.settings), ...Object.fromEntries(written) };
  }

  @FieldResolver(() => UserConnection, { nullable: true, description: 'The account\'s users, in email order (null for a viewer without users.read there).' })
  @RequiresPermission('users.read', { account: 'id' })
  async users(@Ctx() ctx: RequestContext, @Root() account: AccountEntity, @Args(() => PageArgs) { first, after }: PageArgs): Promise<UserConnection> {
    const size = pageSize(ctx, first);
    const page = await ctx.loaders.usersPage({ first: size, after: decodeCursor(after, 1) }).load(account.id);
    return { ...connection(page.rows, page.hasNextPage, (u: UserEntity) => [u.email]), accountId: account.id };
  }

  @FieldResolver(() => [User], { nullable: true, description: 'The account\'s users holding the contact role (null for a viewer without users.read there).' })
  @RequiresPermission('users.read', { account: 'id' })
  contacts(@Ctx() ctx: RequestContext, @Root() account: AccountEntity, @Arg('role', () => ContactRoleEnum) role: string): Promise<User[]> {
    return ctx.loaders.contactsByAccount(role).load(account.id);
  }

  @FieldResolver(() => Boolean, { description: 'Whether the viewer may manage this account (the "Manage" button).' })
  viewerCanManage(@Ctx() ctx: RequestContext, @Root() account: AccountEntity): boolean {
    return ctx.decide('accounts.manage', account).allowed;
  }

  @FieldResolver(() => Boolean, { description: 'Whether the viewer may start an impersonation session in this account now (an active grant to their partner account, and the right to use it).' })
  async viewerCanImpersonate(@Ctx() ctx: RequestContext, @Root() account: AccountEntity): Promise<boolean> {
    const principal = ctx.requirePrincipal();
    if (principal.impersonation || !ctx.decide('impersonation.start', principal.account).allowed) return false;
    const grants = await ctx.loaders.grantsToPartner(principal.account.id).load(account.id);
    return grants.some((g) => grantStatus(g) === 'ACTIVE');
  }

  @FieldResolver(() => ImpersonationGrantConnection, {
    nullable: true,
    description: "A customer's impersonation grants (for its administrators), or the grants a partner received (for those who may use them); null for anyone else.",
  })
  async impersonationGrants(@Ctx() ctx: RequestContext, @Root() account: AccountEntity, @Args(() => PageArgs) { first, after }: PageArgs, @Info() info: GraphQLResolveInfo): Promise<ImpersonationGrantConnection | null> {
    const page = await impersonationGrantsOf(ctx, account, pageSize(ctx, first), decodeInstantCursor(after), selects(info, 'totalCount'));
    return page && { ...connection(page.rows, page.hasNextPage, (g: ImpersonationGrantEntity) => [g.createdAt.toISOString(), g.id]), count: page.count };
  }

  @FieldResolver(() => DelegatedAdminRelationshipConnection, {
    nullable: true,
    description: "A customer's delegated-administration relationships (for its administrators), or those a partner requested (for its requesters); null for anyone else.",
  })
  async delegatedAdminRelationships(
    @Ctx() ctx: RequestContext,
    @Root() account: AccountEntity,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<DelegatedAdminRelationshipConnection | null> {
    const page = await delegatedRelationshipsOf(ctx, account, pageSize(ctx, first), decodeInstantCursor(after), selects(info, 'totalCount'));
    return page && { ...connection(page.rows, page.hasNextPage, (r: DelegatedAdminRelationshipEntity) => [r.requestedAt.toISOString(), r.id]), count: page.count };
  }

  @FieldResolver(() => [AuthorizationDecision], { description: 'Every permission the viewer holds on this account.' })
  viewerPermissions(@Ctx() ctx: RequestContext, @Root() account: AccountEntity): AuthorizationDecision[] {
    return ctx.engine.effectivePermissions(ctx.requirePrincipal().facts, accountFacts(account));
  }
}

export type { AccountSettings };
