import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import { effectivePermissions, whoCan, type HeldPermission, type PermissionHolder as Holder } from '../../domain/access-review';
import type { RequestContext } from '../../domain/context';
import { RequiresPermission } from '../directives';
import type { UserEntity } from '../../storage/entities';
import { HeldPermissionType, PermissionHolderConnection, type GrantVia, type PermissionHolder } from '../types/access-review.type';
import { PageArgs } from './account.resolver';
import { connection, decodeCursor, pageSize } from './paging';

const via = (held: HeldPermission): GrantVia => held.via.toUpperCase() as GrantVia;

// Access review: the questions an administrator or an auditor asks of an account.
@Resolver()
export class AccessReviewResolver {
  @Query(() => [HeldPermissionType], { description: 'Every permission the user holds on the account, with scope and reason (needs audit.read there).' })
  @RequiresPermission('audit.read', { account: 'accountId' })
  async effectivePermissions(@Ctx() ctx: RequestContext, @Arg('userId', () => ID) userId: string, @Arg('accountId', () => ID) accountId: string): Promise<HeldPermissionType[]> {
    return (await effectivePermissions(ctx, userId, accountId)).map((p) => ({ ...p, via: via(p) }));
  }

  @Query(() => PermissionHolderConnection, {
    description: 'Every user who holds the permission on the account (its own, its ancestors\', delegates, partners under a live grant), with scope and reason, in email order (needs audit.read there).',
  })
  @RequiresPermission('audit.read', { account: 'accountId' })
  async whoCan(
    @Ctx() ctx: RequestContext,
    @Arg('permission', () => String) permission: string,
    @Arg('accountId', () => ID) accountId: string,
    @Args(() => PageArgs) { first, after }: PageArgs,
  ): Promise<PermissionHolderConnection> {
    const size = pageSize(ctx, first);
    const page = await whoCan(ctx, permission, accountId, size, decodeCursor(after, 1)?.[0]);
    const nodes = await Promise.all(page.holders.map(async (h: Holder) => holderOf(h, await ctx.visibleUser(h.user.id))));
    return { ...connection(nodes, page.hasNextPage, (h) => [h.identity.email]), totalCount: page.totalCount };
  }
}

/**
 * A holder as the viewer may know them: who (id, email, name, home account) and how they hold it, for everyone the
 * review names; the user object itself, with its roles and the rest, only when the viewer may see that user anyway.
 */
function holderOf(holder: Holder, visible: UserEntity | null): PermissionHolder {
  const { user, account, permission: _permission, accountId: _accountId, ...how } = holder;
  return {
    ...how,
    via: via(holder),
    identity: { id: user.id, email: user.email, name: user.name, account: { id: account.id, name: account.name } },
    user: visible,
  };
}
