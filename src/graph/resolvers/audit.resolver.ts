import { Arg, Args, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { auditEvents, auditIntegrity, eventActor } from '../../domain/audit-trail.service';
import { eventTypeOf } from '../../domain/events';
import type { RequestContext } from '../../domain/context';
import type { AuditEventEntity } from '../../storage/entities';
import { RequiresPermission } from '../directives';
import { AuditEvent, AuditEventConnection, AuditEventFilter, AuditIntegrity } from '../types/audit.type';
import { User } from '../types/user.type';
import { PageArgs } from './account.resolver';
import { connection, decodeInstantCursor, pageSize } from './paging';

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Query(() => AuditEventConnection, { description: 'Everything done in the account (with includeDescendants, below it too), newest first.' })
  @RequiresPermission('audit.read', { account: 'accountId' })
  async auditEvents(
    @Ctx() ctx: RequestContext,
    @Arg('accountId', () => ID) accountId: string,
    @Args(() => PageArgs) { first, after }: PageArgs,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter?: AuditEventFilter,
  ): Promise<AuditEventConnection> {
    const size = pageSize(ctx, first);
    const page = await auditEvents(ctx, accountId, filter ?? {}, size, decodeInstantCursor(after));
    return { ...connection(page.rows, page.hasNextPage, (e: AuditEventEntity) => [e.occurredAt.toISOString(), e.id]), count: page.totalCount };
  }

  @Query(() => AuditIntegrity, { description: 'Verifies the account\'s hash chain and names its first broken link.' })
  @RequiresPermission('audit.read', { account: 'accountId' })
  auditIntegrity(@Ctx() ctx: RequestContext, @Arg('accountId', () => ID) accountId: string): Promise<AuditIntegrity> {
    return auditIntegrity(ctx, accountId);
  }

  // Batched with every other event of the page; null when the viewer may not know that user (no existence leak).
  @FieldResolver(() => User, {
    nullable: true,
    description:
      "Who made the change (in a session, the partner user), when the viewer may see them; to a reader of a customer's trail, also the partner user who acted in its portal in a session (its start, its end and every change made in it).",
  })
  actor(@Ctx() ctx: RequestContext, @Root() event: AuditEventEntity): Promise<User | null> {
    return eventActor(ctx, event);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'The event this change announced to webhooks (user.updated for user.update), or null: the name a webhook receiver knows it by, and a value the action filter accepts.',
  })
  event(@Root() event: AuditEventEntity): string | null {
    return eventTypeOf(event.action) ?? null;
  }

  @FieldResolver(() => User, { nullable: true, description: 'The user the change was about, when the viewer may see them.' })
  subjectUser(@Ctx() ctx: RequestContext, @Root() event: AuditEventEntity): Promise<User | null> {
    return event.subjectUserId ? ctx.visibleUser(event.subjectUserId) : Promise.resolve(null);
  }
}

@Resolver(() => AuditEventConnection)
export class AuditEventConnectionResolver {
  @FieldResolver(() => Int, { description: 'How many events match, over every page.' })
  totalCount(@Root() page: AuditEventConnection): Promise<number> {
    return page.count();
  }
}
