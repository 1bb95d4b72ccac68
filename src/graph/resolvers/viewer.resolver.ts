import { Arg, Ctx, FieldResolver, ID, Query, Resolver } from 'type-graphql';
import { accountFacts, type RequestContext } from '../../domain/context';
import { Authenticated } from '../directives';
import { Account } from '../types/account.type';
import { AuthorizationDecision } from '../types/common.type';
import { User } from '../types/user.type';
import { Viewer } from '../types/viewer.type';

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: 'The caller. A suspended user or account can still read this, and nothing else.' })
  @Authenticated()
  viewer(@Ctx() ctx: RequestContext): Viewer {
    return { userId: ctx.requirePrincipal().user.id };
  }

  @FieldResolver(() => User)
  user(@Ctx() ctx: RequestContext): User {
    return ctx.requirePrincipal().user;
  }

  @FieldResolver(() => Account, { description: 'The account the viewer acts for.' })
  account(@Ctx() ctx: RequestContext): Account {
    return ctx.requirePrincipal().account;
  }

  @FieldResolver(() => [String], { description: 'The rights the viewer holds in their account.' })
  roles(@Ctx() ctx: RequestContext): string[] {
    return ctx.requirePrincipal().facts.assignments.map((a) => a.role);
  }

  @FieldResolver(() => [AuthorizationDecision], { description: 'Every permission the viewer holds on the account (default: their own), with its scope and reason.' })
  async permissions(@Ctx() ctx: RequestContext, @Arg('accountId', () => ID, { nullable: true }) accountId?: string): Promise<AuthorizationDecision[]> {
    const principal = ctx.requirePrincipal();
    const account = await ctx.visibleAccount(accountId ?? principal.account.id);
    if (!account) return [];
    return ctx.engine.effectivePermissions(principal.facts, accountFacts(account));
  }
}
