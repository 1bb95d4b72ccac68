import { Field, Field as F, ID, ObjectType } from 'type-graphql';
import { GraphQLDateTimeISO, GraphQLJSONObject } from 'graphql-scalars';
import { Authenticated } from '../directives';
import { PageInfo } from './common.type';


@ObjectType({ description: 'The caller: who they are, which account they act for, what they hold.' })
@Authenticated()
export class Viewer {
  userId!: string;
}

@ObjectType({ description: 'A change recorded in the same transaction that made it.' })
@Authenticated()
export class AuditEvent {
  @F(() => ID)
  id!: string;

  @Field(() => GraphQLDateTimeISO)
  occurredAt!: Date;

  @F(() => ID)
  actorUserId!: string;

  @F(() => ID)
  subjectAccountId!: string;

  @Field(() => String)
  action!: string;

  @Field(() => String)
  targetType!: string;

  @F(() => ID)
  targetId!: string;

  @Field(() => String)
  requestId!: string;

  @F(() => ID, { nullable: true })
  impersonationSessionId!: string | null;

  @F(() => ID, { nullable: true })
  delegatedRelationshipId!: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  details!: Record<string, unknown> | null;
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
}
