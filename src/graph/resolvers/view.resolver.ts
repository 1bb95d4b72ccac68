import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { createView, deleteView, updateView, viewsOfPrincipal, viewsPage } from '../../domain/views.service';
import type { ViewEntity } from '../../storage/entities';
import { RequiresPermission } from '../directives';
import { PartnerGroup } from '../types/partner-group.type';
import { CreateViewInput, UpdateViewInput, View, ViewAudience, ViewConnection } from '../types/view.type';
import { Viewer } from '../types/viewer.type';
import { PageArgs } from './account.resolver';
import { connection, decodeCursor, pageSize } from './paging';

@Resolver(() => View)
export class ViewResolver {
  @Query(() => ViewConnection, { description: "The platform's views, in navigation order, with their audiences (for those who manage partner groups)." })
  @RequiresPermission('partnerGroups.manage')
  async views(@Ctx() ctx: RequestContext, @Args(() => PageArgs) { first, after }: PageArgs): Promise<ViewConnection> {
    const size = pageSize(ctx, first);
    const page = await viewsPage(ctx, size, decodeCursor(after, 2) as [string, string] | undefined);
    return { ...connection(page.rows, page.hasNextPage, (v: ViewEntity) => [String(v.position), v.pathKey]), totalCount: await page.count() };
  }

  @Mutation(() => View, { description: 'Defines a view shown to the partner groups named (by id: an unknown one is BAD_USER_INPUT); its path is unique on the platform (CONFLICT).' })
  @RequiresPermission('partnerGroups.manage')
  createView(@Ctx() ctx: RequestContext, @Arg('input', () => CreateViewInput) input: CreateViewInput): Promise<View> {
    return createView(ctx, input);
  }

  @Mutation(() => View, { description: 'Changes the parts of a view the input names; who sees it follows from the next request.' })
  @RequiresPermission('partnerGroups.manage')
  updateView(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateViewInput) input: UpdateViewInput): Promise<View> {
    return updateView(ctx, id, input);
  }

  @Mutation(() => ID, { description: 'Deletes a view.' })
  @RequiresPermission('partnerGroups.manage')
  deleteView(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<string> {
    return deleteView(ctx, id);
  }
}

@Resolver(() => ViewAudience)
export class ViewAudienceResolver {
  @FieldResolver(() => [PartnerGroup], { description: 'The groups themselves.' })
  async partnerGroups(@Ctx() ctx: RequestContext, @Root() audience: ViewAudience): Promise<PartnerGroup[]> {
    const groups = await ctx.loaders.partnerGroups();
    return audience.partnerGroupIds.map((id) => groups.find((g) => g.id === id)).filter((g): g is NonNullable<typeof g> => g !== undefined);
  }
}

@Resolver(() => Viewer)
export class ViewerViewsResolver {
  @FieldResolver(() => [View], { description: "The views the viewer may see (those shown to one of the viewer's partner groups), in navigation order: the portal's navigation." })
  views(@Ctx() ctx: RequestContext): Promise<View[]> {
    return viewsOfPrincipal(ctx, ctx.requirePrincipal());
  }
}
