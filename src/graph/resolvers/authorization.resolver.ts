import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { communicationRecipients } from '../../domain/queries';
import { badInput } from '../../errors';
import { Authenticated, RequiresPermission } from '../directives';
import { AuthorizationDecision } from '../types/common.type';
import { CommunicationTopicEnum } from '../types/enums';
import { AuthorizationCheckInput } from '../types/role.type';
import { User } from '../types/user.type';

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
}
