import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { approveImpersonationGrant, endImpersonation, grantImpersonation, requestImpersonation, grantStatus, revokeImpersonationGrant, sessionStatus, startImpersonation, type ImpersonationStart as Started } from '../../domain/impersonation.service';
import { sessionsOfGrant } from '../../domain/queries';
import type { ImpersonationGrantEntity, ImpersonationSessionEntity } from '../../storage/entities';
import { Authenticated, RequiresPermission } from '../directives';
import { Account } from '../types/account.type';
import {
  GrantImpersonationInput,
  GrantStatusEnum,
  ImpersonationGrant,
  ImpersonationSession,
  ImpersonationSessionConnection,
  ImpersonationStart,
  RequestImpersonationInput,
  SessionStatusEnum,
  type GrantStatus,
  type SessionStatus,
} from '../types/impersonation.type';
import { User } from '../types/user.type';
import { PageArgs } from './account.resolver';
import { connection, decodeInstantCursor, pageSize, selects } from './paging';

@Resolver(() => ImpersonationGrant)
export class ImpersonationGrantResolver {
  @Mutation(() => ImpersonationGrant, { description: "A customer's administrator lets a partner above it act in its portal with the rights named (a subset of what the administrator holds)." })
  @RequiresPermission('impersonation.grant', { account: 'input.customerAccountId' })
  grantImpersonation(@Ctx() ctx: RequestContext, @Arg('input', () => GrantImpersonationInput) input: GrantImpersonationInput): Promise<ImpersonationGrant> {
    return grantImpersonation(ctx, input);
  }

  @Mutation(() => ImpersonationGrant, { description: 'A partner user who may impersonate asks a customer below their account for a grant: PENDING until the customer\'s administrator approves it (or revokes it to decline).' })
  @Authenticated()
  requestImpersonation(@Ctx() ctx: RequestContext, @Arg('input', () => RequestImpersonationInput) input: RequestImpersonationInput): Promise<ImpersonationGrant> {
    return requestImpersonation(ctx, input);
  }

  @Mutation(() => ImpersonationGrant, { description: 'The customer\'s own administrator approves a PENDING request; each right must be one the approver holds.' })
  @Authenticated()
  approveImpersonationGrant(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<ImpersonationGrant> {
    return approveImpersonationGrant(ctx, id);
  }

  @Mutation(() => ImpersonationGrant, { description: 'Revokes the grant and ends its sessions: their very next request is refused.' })
  @Authenticated()
  revokeImpersonationGrant(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<ImpersonationGrant> {
    return revokeImpersonationGrant(ctx, id);
  }

  @FieldResolver(() => GrantStatusEnum)
  status(@Root() grant: ImpersonationGrantEntity): GrantStatus {
    return grantStatus(grant);
  }

  @FieldResolver(() => [String], { description: 'The permissions the rights amount to.' })
  permissions(@Root() grant: ImpersonationGrantEntity): string[] {
    return grant.grants.map((g) => g.permission);
  }

  @FieldResolver(() => Account, { nullable: true })
  customerAccount(@Ctx() ctx: RequestContext, @Root() grant: ImpersonationGrantEntity): Promise<Account | null> {
    return ctx.visibleAccount(grant.customerAccountId);
  }

  @FieldResolver(() => Account, { nullable: true, description: 'The partner account, for those who may see it (a customer\'s users usually cannot: see partnerAccountName).' })
  partnerAccount(@Ctx() ctx: RequestContext, @Root() grant: ImpersonationGrantEntity): Promise<Account | null> {
    return ctx.visibleAccount(grant.partnerAccountId);
  }

  @FieldResolver(() => String, { description: 'The name of the partner let in: part of the grant, so whoever sees the grant sees who it lets in.' })
  async partnerAccountName(@Ctx() ctx: RequestContext, @Root() grant: ImpersonationGrantEntity): Promise<string> {
    return (await ctx.account(grant.partnerAccountId))?.name ?? grant.partnerAccountId;
  }

  @FieldResolver(() => ImpersonationSessionConnection, { description: 'The sessions held under this grant, newest first.' })
  async sessions(@Ctx() ctx: RequestContext, @Root() grant: ImpersonationGrantEntity, @Args(() => PageArgs) { first, after }: PageArgs, @Info() info: GraphQLResolveInfo): Promise<ImpersonationSessionConnection> {
    const page = await sessionsOfGrant(ctx, grant, pageSize(ctx, first), decodeInstantCursor(after), selects(info, 'totalCount'));
    return { ...connection(page.rows, page.hasNextPage, (s: ImpersonationSessionEntity) => [s.startedAt.toISOString(), s.id]), count: page.count };
  }
}

@Resolver(() => ImpersonationSession)
export class ImpersonationSessionResolver {
  @Mutation(() => ImpersonationStart, { description: 'Starts a session in the customer\'s portal under its active grant to your account; returns the session token.' })
  @Authenticated()
  startImpersonation(@Ctx() ctx: RequestContext, @Arg('customerAccountId', () => ID) customerAccountId: string, @Arg('reason', () => String) reason: string): Promise<Started> {
    return startImpersonation(ctx, customerAccountId, reason);
  }

  @Mutation(() => ImpersonationSession, { description: 'Ends the session (its actor, or the customer\'s administrators): its token is refused from the next request.' })
  @Authenticated()
  endImpersonation(@Ctx() ctx: RequestContext, @Arg('sessionId', () => ID) sessionId: string): Promise<ImpersonationSession> {
    return endImpersonation(ctx, sessionId);
  }

  @FieldResolver(() => SessionStatusEnum)
  status(@Root() session: ImpersonationSessionEntity): SessionStatus {
    return sessionStatus(session);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The partner user who acted: the customer sees who it was.' })
  actor(@Ctx() ctx: RequestContext, @Root() session: ImpersonationSessionEntity): Promise<User | null> {
    return ctx.loaders.user.load(session.actorUserId);
  }

  @FieldResolver(() => Account, { nullable: true })
  customerAccount(@Ctx() ctx: RequestContext, @Root() session: ImpersonationSessionEntity): Promise<Account | null> {
    return ctx.visibleAccount(session.customerAccountId);
  }
}
