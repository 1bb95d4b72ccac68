import { Arg, Args, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { directoryUsers } from '../../domain/user-directory';
import type { UserEntity } from '../../storage/entities';
import { Authenticated } from '../directives';
import { UserConnection, UserFilter } from '../types/user.type';
import { PageArgs } from './account.resolver';
import { connection, decodeCursor, pageSize } from './paging';

@Resolver(() => UserConnection)
export class DirectoryResolver {
  @Query(() => UserConnection, { description: 'Every user the viewer may see across the hierarchy (users.read on their account, as Account.users), in email order.' })
  @Authenticated()
  async users(
    @Ctx() ctx: RequestContext,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Arg('filter', () => UserFilter, { nullable: true }) filter?: UserFilter,
  ): Promise<UserConnection> {
    const size = pageSize(ctx, first);
    const page = await directoryUsers(ctx, filter ?? {}, size, decodeCursor(after, 1)?.[0]);
    return { ...connection(page.rows, page.hasNextPage, (u: UserEntity) => [u.email]), totalCount: page.totalCount };
  }

  @FieldResolver(() => Int, { description: 'How many users the list has in all, on every page.' })
  async totalCount(@Ctx() ctx: RequestContext, @Root() list: UserConnection): Promise<number> {
    if (list.totalCount !== undefined) return list.totalCount;
    return list.accountId === undefined ? 0 : ctx.loaders.usersCount.load(list.accountId);
  }
}
