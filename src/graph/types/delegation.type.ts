import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import type { DelegatedAdminStatus } from '../../storage/entities';
import { Authenticated } from '../directives';
import { PageInfo } from './common.type';

export const DelegatedAdminStatusEnum = { PENDING: 'PENDING', ACTIVE: 'ACTIVE', EXPIRED: 'EXPIRED', TERMINATED: 'TERMINATED' } as const;
registerEnumType(DelegatedAdminStatusEnum, { name: 'DelegatedAdminStatus' });

@ObjectType({
  description:
    "A partner's time-bound administration of a customer below it, approved by the customer. While ACTIVE its roles apply to the customer for the delegate (or every user of the partner), under their own identity.",
})
@Authenticated()
export class DelegatedAdminRelationship {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  partnerAccountId!: string;

  @Field(() => ID, { nullable: true, description: 'Null: every user of the partner account.' })
  delegateUserId!: string | null;

  @Field(() => ID)
  customerAccountId!: string;

  @Field(() => [String], { description: 'Roles of the customer\'s account type.' })
  roles!: string[];

  @Field(() => Int)
  durationDays!: number;

  @Field(() => ID)
  requestedByUserId!: string;

  @Field(() => GraphQLDateTimeISO)
  requestedAt!: Date;

  @Field(() => ID, { nullable: true })
  approvedByUserId!: string | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  approvedAt!: Date | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'Set on approval: approvedAt + durationDays.' })
  expiresAt!: Date | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  terminatedAt!: Date | null;

  @Field(() => Boolean, { description: 'Renewed for 180 days at each end, until either side turns it off (setDelegatedAdminAutoExtend).' })
  autoExtend!: boolean;
}

@InputType()
export class RequestDelegatedAdminInput {
  @Field(() => ID)
  customerAccountId!: string;

  @Field(() => ID, { nullable: true, description: "Default: the requester's own account." })
  partnerAccountId?: string | null;

  @Field(() => ID, { nullable: true, description: 'One user of the partner; null: every user of the partner account.' })
  delegateUserId?: string | null;

  @Field(() => [String], { description: "Roles of the customer's account type, e.g. ACCOUNT_MANAGER." })
  roles!: string[];

  @Field(() => Int, { description: 'From 1 to 730 days, counted from approval.' })
  durationDays!: number;

  @Field(() => Boolean, { nullable: true, description: 'Renew for 180 days at each end, until either side turns it off. Default: false.' })
  autoExtend?: boolean | null;
}

@ObjectType()
@Authenticated()
export class DelegatedAdminRelationshipEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => DelegatedAdminRelationship)
  node!: DelegatedAdminRelationship;
}

@ObjectType({ description: 'A Relay connection of delegated admin relationships, newest first.' })
@Authenticated()
export class DelegatedAdminRelationshipConnection {
  @Field(() => [DelegatedAdminRelationshipEdge])
  edges!: DelegatedAdminRelationshipEdge[];

  @Field(() => [DelegatedAdminRelationship])
  nodes!: DelegatedAdminRelationship[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Counts the whole list when totalCount is asked for (one grouped statement for every list of a page). */
  count!: () => Promise<number>;
}

export type { DelegatedAdminStatus };
