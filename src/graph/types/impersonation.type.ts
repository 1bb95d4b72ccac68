import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import type { GrantStatus, SessionStatus } from '../../domain/impersonation.service';
import { Authenticated } from '../directives';
import { PageInfo } from './common.type';

export const GrantStatusEnum = { PENDING: 'PENDING', ACTIVE: 'ACTIVE', EXPIRED: 'EXPIRED', REVOKED: 'REVOKED' } as const;
export const SessionStatusEnum = { ACTIVE: 'ACTIVE', ENDED: 'ENDED', EXPIRED: 'EXPIRED' } as const;
registerEnumType(GrantStatusEnum, { name: 'ImpersonationGrantStatus' });
registerEnumType(SessionStatusEnum, { name: 'ImpersonationSessionStatus' });

@ObjectType({ description: "A customer's consent that a partner above it may act in its portal, with exactly the rights it names." })
@Authenticated()
export class ImpersonationGrant {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerAccountId!: string;

  @Field(() => ID)
  partnerAccountId!: string;

  @Field(() => [String], { description: 'The rights as granted: roles of the customer\'s account type, or permissions.' })
  rights!: string[];

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'Null: until revoked.' })
  expiresAt!: Date | null;

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;

  @Field(() => ID, { description: 'The customer administrator who granted it; while PENDING, the partner user who asked.' })
  grantedByUserId!: string;

  @Field(() => ID, { nullable: true, description: 'The partner user who asked for it (requestImpersonation), if one did.' })
  requestedByUserId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why the partner asked.' })
  requestReason!: string | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'When the customer approved the request.' })
  approvedAt!: Date | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType({ description: 'A partner user acting in a customer\'s portal under a grant. Both identities are on every audit event.' })
@Authenticated()
export class ImpersonationSession {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  grantId!: string;

  @Field(() => ID)
  actorUserId!: string;

  @Field(() => ID)
  partnerAccountId!: string;

  @Field(() => ID)
  customerAccountId!: string;

  @Field(() => String)
  reason!: string;

  @Field(() => GraphQLDateTimeISO)
  startedAt!: Date;

  @Field(() => GraphQLDateTimeISO, { description: 'The shorter of the configured maximum and the grant\'s expiry.' })
  expiresAt!: Date;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  endedAt!: Date | null;
}

@ObjectType({ description: 'A started session and its bearer token (sub: the partner user, act: RFC 8693 actor, sid: the session).' })
@Authenticated()
export class ImpersonationStart {
  @Field(() => ImpersonationSession)
  session!: ImpersonationSession;

  @Field(() => String, { description: 'Send as `Authorization: Bearer <token>`; refused as soon as the session or its grant ends.' })
  token!: string;
}

@InputType()
export class GrantImpersonationInput {
  @Field(() => ID)
  customerAccountId!: string;

  @Field(() => ID, { nullable: true, description: "A partner account above the customer; default: the partner the customer sits under (its parent), which the customer's own users cannot otherwise look up." })
  partnerAccountId?: string | null;

  @Field(() => [String], { description: 'Roles of the customer\'s account type (e.g. FLEET_ADMINISTRATOR) or permissions (e.g. tickets:create); each must be held by the granting administrator.' })
  rights!: string[];

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'Null: until revoked.' })
  expiresAt?: Date | null;
}

@ObjectType()
@Authenticated()
export class ImpersonationGrantEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ImpersonationGrant)
  node!: ImpersonationGrant;
}

@ObjectType({ description: 'A Relay connection of impersonation grants, newest first.' })
@Authenticated()
export class ImpersonationGrantConnection {
  @Field(() => [ImpersonationGrantEdge])
  edges!: ImpersonationGrantEdge[];

  @Field(() => [ImpersonationGrant])
  nodes!: ImpersonationGrant[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Counts the whole list when totalCount is asked for (one grouped statement for every list of a page). */
  count!: () => Promise<number>;
}

@ObjectType()
@Authenticated()
export class ImpersonationSessionEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ImpersonationSession)
  node!: ImpersonationSession;
}

@ObjectType({ description: 'A Relay connection of impersonation sessions, newest first.' })
@Authenticated()
export class ImpersonationSessionConnection {
  @Field(() => [ImpersonationSessionEdge])
  edges!: ImpersonationSessionEdge[];

  @Field(() => [ImpersonationSession])
  nodes!: ImpersonationSession[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Counts the whole list when totalCount is asked for (one grouped statement for every list of a page). */
  count!: () => Promise<number>;
}

export type { GrantStatus, SessionStatus };

@InputType({ description: 'A partner asks a customer below it for an impersonation grant with these rights; the customer approves or revokes it.' })
export class RequestImpersonationInput {
  @Field(() => ID)
  customerAccountId!: string;

  @Field(() => [String], { description: 'Roles of the customer\'s account type, or permissions; fixed now, granted on approval.' })
  rights!: string[];

  @Field(() => String)
  reason!: string;
}
