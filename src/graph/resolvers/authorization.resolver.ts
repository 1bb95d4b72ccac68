import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { auditEvents, communicationRecipients } from '../../domain/queries';
import { badInput } from '../../errors';
import type { AuditEventEntity } from '../../storage/entities';
import { Authenticated, RequiresPermission } from '../directives';
import { AuthorizationDecision } from '../types/common.type';
import { CommunicationTopicEnum } from '../types/enums';
import { AuthorizationCheckInput } from '../types/role.type';
import { User } from '../types/user.type';
import { AuditEventConnection } from '../types/viewer.type';
import { PageArgs } from './account.resolver';
import { connection, decodeInstantCursor, pageSize } from './paging';

const MAX_CHECKS = 100;

@Resolver()
export class AuthorizationResolver {
  @Query(() => [AuthorizationDecision], { description: 'Decisions for the viewer, in the order asked. An account the viewer cannot see is denied like one that does not exist.' })
  @Authenticated()
  async authorize(@Ctx() ctx: RequestContext, @Arg('checks', () => [AuthorizationCheckInput]) checks: AuthorizationCheckInput[]): Promise<AuthorizationDecision[]> {
    if (checks.length > MAX_CHECKS) throw badInput(`at most ${MAX_CHECKS} checks per request`, { field: 'checks' });
    return Promise.all(checks.map((c) => ctx.authorize(c.permission, c.accountId)));
  }

  @Query(() => [User], { description: 'Who receives a communication on the topic, by contact role. INVOICE goes to nobody by contact role.' })
  @RequiresPermission('users.read', { account: 'accountId' })
  communicationRecipients(
    @Ctx() ctx: RequestContext,
    @Arg('accountId', () => ID) accountId: string,
    @Arg('topic', () => CommunicationTopicEnum) topic: string,
  ): Promise<User[]> {
    return communicationRecipients(ctx, accountId, topic);
  }

  @Query(() => AuditEventConnection, { description: 'Everything done in the account, newest first.' })
  @RequiresPermission('audit.read', { account: 'accountId' })
  async auditEvents(@Ctx() ctx: RequestContext, @Arg('accountId', () => ID) accountId: string, @Args(() => PageArgs) { first, after }: PageArgs): Promise<AuditEventConnection> {
    const size = pageSize(ctx, first);
    const page = await auditEvents(ctx, accountId, size, decodeInstantCursor(after));
    return connection(page.rows, page.hasNextPage, (e: AuditEventEntity) => [e.occurredAt.toISOString(), e.id]);
  }
}
