import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { approveDelegatedAdmin, delegationStatus, extendDelegatedAdmin, requestDelegatedAdmin, setDelegatedAdminAutoExtend, terminateDelegatedAdmin } from '../../domain/delegation.service';
import type { DelegatedAdminRelationshipEntity } from '../../storage/entities';
import { Authenticated } from '../directives';
import { Account } from '../types/account.type';
import { DelegatedAdminRelationship, DelegatedAdminStatusEnum, RequestDelegatedAdminInput, type DelegatedAdminStatus } from '../types/delegation.type';
import { User } from '../types/user.type';

@Resolver(() => DelegatedAdminRelationship)
export class DelegationResolver {
  @Mutation(() => DelegatedAdminRelationship, { description: 'A partner asks to administer a customer below it with the roles named, for at most 730 days; PENDING until the customer approves.' })
  @Authenticated()
  requestDelegatedAdmin(@Ctx() ctx: RequestContext, @Arg('input', () => RequestDelegatedAdminInput) input: RequestDelegatedAdminInput): Promise<DelegatedAdminRelationship> {
    return requestDelegatedAdmin(ctx, input);
  }

  @Mutation(() => DelegatedAdminRelationship, { description: "The customer's administrator approves: the roles apply from now until expiresAt." })
  @Authenticated()
  approveDelegatedAdmin(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<DelegatedAdminRelationship> {
    return approveDelegatedAdmin(ctx, id);
  }

  @Mutation(() => DelegatedAdminRelationship, { description: "The customer's administrator moves an active relationship's end later, at most 730 days from now." })
  @Authenticated()
  extendDelegatedAdmin(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('expiresAt', () => GraphQLDateTimeISO) expiresAt: Date): Promise<DelegatedAdminRelationship> {
    return extendDelegatedAdmin(ctx, id, expiresAt);
  }

  @Mutation(() => DelegatedAdminRelationship, {
    description: "Turns the relationship's 180-day renewal at its end on (the customer's administrator) or off (either side).",
  })
  @Authenticated()
  setDelegatedAdminAutoExtend(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('autoExtend', () => Boolean) autoExtend: boolean): Promise<DelegatedAdminRelationship> {
    return setDelegatedAdminAutoExtend(ctx, id, autoExtend);
  }

  @Mutation(() => DelegatedAdminRelationship, { description: 'Either side ends the relationship; its roles stop applying at once.' })
  @Authenticated()
  terminateDelegatedAdmin(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<DelegatedAdminRelationship> {
    return terminateDelegatedAdmin(ctx, id);
  }

  @FieldResolver(() => DelegatedAdminStatusEnum)
  status(@Root() relationship: DelegatedAdminRelationshipEntity): DelegatedAdminStatus {
    return delegationStatus(relationship);
  }

  @FieldResolver(() => Account, { nullable: true })
  customerAccount(@Ctx() ctx: RequestContext, @Root() relationship: DelegatedAdminRelationshipEntity): Promise<Account | null> {
    return ctx.visibleAccount(relationship.customerAccountId);
  }

  @FieldResolver(() => Account, { nullable: true })
  partnerAccount(@Ctx() ctx: RequestContext, @Root() relationship: DelegatedAdminRelationshipEntity): Promise<Account | null> {
    return ctx.visibleAccount(relationship.partnerAccountId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The delegate, as the customer is entitled to know who administers it.' })
  delegate(@Ctx() ctx: RequestContext, @Root() relationship: DelegatedAdminRelationshipEntity): Promise<User | null> {
    return relationship.delegateUserId ? ctx.loaders.user.load(relationship.delegateUserId) : Promise.resolve(null);
  }
}
