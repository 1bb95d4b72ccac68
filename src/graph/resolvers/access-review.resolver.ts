import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import { effectivePermissions, whoCan, type HeldPermission, type PermissionHolder as Holder } from '../../domain/access-review';
import type { RequestContext } from '../../domain/context';
import { RequiresPermission } from '../directives';
import { HeldPermissionType, PermissionHolderConnection, type GrantVia } from '../types/access-review.type';
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

  @Query(() => PermissionHolderConnection, { description: 'Every user who holds the permission on the account, with scope and reason, in email order (needs audit.read there; holders the viewer may not see are left out).' })
  @RequiresPermission('audit.read', { account: 'accountId' })
  async whoCan(
    @Ctx() ctx: RequestContext,
    @Arg('permission', () => String) permission: string,
    @Arg('accountId', () => ID) accountId: string,
    @Args(() => PageArgs) { first, after }: PageArgs,
  ): Promise<PermissionHolderConnection> {
    const size = pageSize(ctx, first);
    const cursor = decodeCursor(after, 1)?.[0];
    const holders = await whoCan(ctx, permission, accountId);
    const rest = cursor === undefined ? holders : holders.filter((h) => h.user.email > cursor);
    const page = rest.slice(0, size).map((h: Holder) => ({ ...h, via: via(h) }));
    return { ...connection(page, rest.length > size, (h) => [h.user.email]), totalCount: holders.length };
  }
}
