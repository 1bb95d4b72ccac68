import { Arg, Ctx, FieldResolver, ID, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { accountFacts } from '../../domain/facts';
import { rolesOf } from '../../domain/principal';
import { Authenticated } from '../directives';
import { Account } from '../types/account.type';
import { AuthorizationDecision } from '../types/common.type';
import { ImpersonationSession } from '../types/impersonation.type';
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

  @FieldResolver(() => Account, { description: 'The account the viewer acts for: in an impersonation session, the customer.' })
  account(@Ctx() ctx: RequestContext): Account {
    return ctx.requirePrincipal().account;
  }

  @FieldResolver(() => User, { nullable: true, description: 'In an impersonation session, the partner user acting; otherwise null.' })
  actor(@Ctx() ctx: RequestContext): User | null {
    return ctx.requirePrincipal().actor ?? null;
  }

  @FieldResolver(() => ImpersonationSession, { nullable: true, description: 'The impersonation session this request runs in, if any.' })
  impersonation(@Ctx() ctx: RequestContext): ImpersonationSession | null {
    return ctx.requirePrincipal().impersonation?.session ?? null;
  }

  @FieldResolver(() => [String], { description: 'The rights the viewer holds in their account (in a session, the rights granted); delegated roles are in permissions(accountId).' })
  roles(@Ctx() ctx: RequestContext): string[] {
    return rolesOf(ctx.requirePrincipal());
  }

  @FieldResolver(() => [String], {
    description:
      "The portal areas (modules of the site configuration) on for the account the viewer acts for: every user of the account sees them, whatever their roles (a custom-role-only user too); what they may do there is still each permission's. Empty for a policy without modules.",
  })
  portalAreas(@Ctx() ctx: RequestContext): string[] {
    const { account } = ctx.requirePrincipal();
    const { policy } = ctx.engine;
    const on = accountFacts(account).settings.modules ?? policy.defaultModules;
    return [...policy.modules.keys()].filter((module) => on.includes(module));
  }

  @FieldResolver(() => [AuthorizationDecision], { description: 'Every permission the viewer holds on the account (default: their own), with its scope and reason.' })
  async permissions(@Ctx() ctx: RequestContext, @Arg('accountId', () => ID, { nullable: true }) accountId?: string): Promise<AuthorizationDecision[]> {
    const principal = ctx.requirePrincipal();
    const account = await ctx.visibleAccount(accountId ?? principal.account.id);
    if (!account) return [];
    return ctx.engine.effectivePermissions(principal.facts, accountFacts(account));
  }
}
