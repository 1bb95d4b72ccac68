import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { createPartnerGroup, deletePartnerGroup, partnerGroupsOfPrincipal, partnerGroupsOfUser, partnerGroupsPage, updatePartnerGroup } from '../../domain/partner-groups.service';
import type { PartnerGroupEntity, UserEntity } from '../../storage/entities';
import { RequiresPermission } from '../directives';
import { PartnerGroup, PartnerGroupConnection, PartnerGroupInput } from '../types/partner-group.type';
import { User } from '../types/user.type';
import { Viewer } from '../types/viewer.type';
import { PageArgs } from './account.resolver';
import { connection, decodeCursor, pageSize } from './paging';

@Resolver(() => PartnerGroup)
export class PartnerGroupResolver {
  @Query(() => PartnerGroupConnection, { description: "The platform's partner groups, in name order (for those who manage them)." })
  @RequiresPermission('partnerGroups.manage')
  async partnerGroups(@Ctx() ctx: RequestContext, @Args(() => PageArgs) { first, after }: PageArgs): Promise<PartnerGroupConnection> {
    const size = pageSize(ctx, first);
    const page = await partnerGroupsPage(ctx, size, decodeCursor(after, 2) as [string, string] | undefined);
    return { ...connection(page.rows, page.hasNextPage, (g: PartnerGroupEntity) => [g.nameKey, g.id]), totalCount: await page.count() };
  }

  @Mutation(() => PartnerGroup, { description: 'Defines a partner group by its rule; the name is unique on the platform (CONFLICT), the rule checked against the policy.' })
  @RequiresPermission('partnerGroups.manage')
  createPartnerGroup(@Ctx() ctx: RequestContext, @Arg('input', () => PartnerGroupInput) input: PartnerGroupInput): Promise<PartnerGroup> {
    return createPartnerGroup(ctx, input);
  }

  @Mutation(() => PartnerGroup, { description: 'Renames a partner group or replaces its rule; its members follow from the next request.' })
  @RequiresPermission('partnerGroups.manage')
  updatePartnerGroup(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input', () => PartnerGroupInput) input: PartnerGroupInput): Promise<PartnerGroup> {
    return updatePartnerGroup(ctx, id, input);
  }

  @Mutation(() => ID, { description: 'Deletes a partner group; CONFLICT while the audience of a view names it, and nothing changes.' })
  @RequiresPermission('partnerGroups.manage')
  deletePartnerGroup(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<string> {
    return deletePartnerGroup(ctx, id);
  }
}

@Resolver(() => Viewer)
export class ViewerPartnerGroupsResolver {
  @FieldResolver(() => [PartnerGroup], { description: 'The partner groups the viewer belongs to (none in an impersonation session).' })
  partnerGroups(@Ctx() ctx: RequestContext): Promise<PartnerGroup[]> {
    return partnerGroupsOfPrincipal(ctx, ctx.requirePrincipal());
  }
}

@Resolver(() => User)
export class UserPartnerGroupsResolver {
  @FieldResolver(() => [PartnerGroup], { description: 'The partner groups the user belongs to, computed from their account and rights.' })
  partnerGroups(@Ctx() ctx: RequestContext, @Root() user: UserEntity): Promise<PartnerGroup[]> {
    return partnerGroupsOfUser(ctx, user);
  }
}
