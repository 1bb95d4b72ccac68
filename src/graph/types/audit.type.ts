import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLDateTimeISO, GraphQLJSONObject } from 'graphql-scalars';
import { Authenticated } from '../directives';
import { PageInfo } from './common.type';

@ObjectType({ description: 'A change recorded in the same transaction that made it, as one link of its account\'s hash chain.' })
@Authenticated()
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => GraphQLDateTimeISO)
  occurredAt!: Date;

  @Field(() => ID)
  actorUserId!: string;

  @Field(() => ID)
  subjectAccountId!: string;

  @Field(() => ID, { nullable: true, description: 'The user the change was about, when it was about one.' })
  subjectUserId!: string | null;

  @Field(() => String, { description: 'What was done, as the trail has always named it (user.update).' })
  action!: string;

  @Field(() => String)
  targetType!: string;

  @Field(() => ID)
  targetId!: string;

  @Field(() => String)
  requestId!: string;

  @Field(() => ID, { nullable: true })
  impersonationSessionId!: string | null;

  @Field(() => ID, { nullable: true })
  delegatedRelationshipId!: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  details!: Record<string, unknown> | null;

  @Field(() => Int, { description: 'Position in the account\'s chain, from 1.' })
  sequence!: number;

  @Field(() => String, { nullable: true, description: 'Hash of the event before in the account\'s chain (lowercase hex); null for the first.' })
  previousHash!: string | null;

  @Field(() => String, { description: 'SHA-256 (lowercase hex) of this event\'s canonical JSON, previousHash included.' })
  hash!: string;
}

@ObjectType()
@Authenticated()
export class AuditEventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => AuditEvent)
  node!: AuditEvent;
}

@ObjectType({ description: 'A Relay connection of audit events, newest first.' })
@Authenticated()
export class AuditEventConnection {
  @Field(() => [AuditEventEdge])
  edges!: AuditEventEdge[];

  @Field(() => [AuditEvent])
  nodes!: AuditEvent[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Counts the matching events when totalCount is asked for. */
  count!: () => Promise<number>;
}

@InputType({ description: 'Narrows the trail; the parts combine with AND.' })
export class AuditEventFilter {
  @Field(() => Boolean, { defaultValue: false, description: 'Also the accounts below, those the viewer may audit (a partner\'s subtree; for the platform, everything).' })
  includeDescendants!: boolean;

  @Field(() => ID, { nullable: true })
  actorUserId?: string;

  @Field(() => ID, { nullable: true })
  subjectUserId?: string;

  @Field(() => String, { nullable: true, description: 'An action name, e.g. user.assignRole, or the name of the event it announced, e.g. role.assigned (which finds every action announcing it).' })
  action?: string;

  @Field(() => ID, { nullable: true })
  impersonationSessionId?: string;

  @Field(() => ID, { nullable: true, description: 'The delegated-administration relationship a change was made through.' })
  delegationId?: string;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'Inclusive.' })
  from?: Date;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'Exclusive.' })
  to?: Date;
}

@ObjectType({ description: 'Whether an account\'s hash chain holds, and where it first breaks.' })
@Authenticated()
export class AuditIntegrity {
  @Field(() => Boolean)
  ok!: boolean;

  @Field(() => Int, { description: 'Events checked, up to and including the first broken one.' })
  checked!: number;

  @Field(() => ID, { nullable: true, description: 'The first event whose link does not hold (with events missing at the end, the last one kept); null when ok.' })
  firstBrokenEventId!: string | null;
}
