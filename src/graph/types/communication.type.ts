import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import type { InboxItem } from '../../domain/communications.service';
import { Authenticated } from '../directives';
import { PageInfo } from './common.type';
import { CommunicationTopicEnum } from './enums';

@ObjectType({ description: 'A message sent to an account on a topic, as one of its recipients (or its sender) sees it.' })
@Authenticated()
export class Communication {
  @Field(() => ID)
  id!: string;

  @Field(() => CommunicationTopicEnum)
  topic!: string;

  @Field(() => String)
  subject!: string;

  @Field(() => String)
  body!: string;

  @Field(() => GraphQLDateTimeISO)
  sentAt!: Date;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'When the viewer read it; null while unread (and for its sender).' })
  readAt!: Date | null;

  accountId!: string;
  senderUserId!: string;
  /** Known to the sender only, at send time. */
  recipientUserIds?: string[];
}

export const communicationOf = ({ communication, readAt, recipientUserIds }: InboxItem): Communication => ({
  id: communication.id,
  topic: communication.topic,
  subject: communication.subject,
  body: communication.body,
  sentAt: communication.sentAt,
  readAt,
  accountId: communication.accountId,
  senderUserId: communication.senderUserId,
  recipientUserIds,
});

@ObjectType()
@Authenticated()
export class CommunicationEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Communication)
  node!: Communication;
}

@ObjectType({ description: "The viewer's inbox, newest first." })
@Authenticated()
export class CommunicationConnection {
  @Field(() => [CommunicationEdge])
  edges!: CommunicationEdge[];

  @Field(() => [Communication])
  nodes!: Communication[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'How many communications the viewer received in all (read or not).' })
  totalCount!: number;

  @Field(() => Int, { description: 'How many of them the viewer has not read.' })
  unreadCount!: number;
}

@InputType()
export class SendCommunicationInput {
  @Field(() => ID)
  accountId!: string;

  @Field(() => CommunicationTopicEnum, { description: 'One of the topics the policy names; its recipients are resolved from contact roles (and rights) now.' })
  topic!: string;

  @Field(() => String, { description: '1 to 200 characters.' })
  subject!: string;

  @Field(() => String, { description: '1 to 20,000 characters.' })
  body!: string;
}

@ObjectType({ description: 'A person of the platform or of a parent account named as a contact of the account (its account manager, say).' })
@Authenticated()
export class ProviderContact {
  @Field(() => String, { description: 'What they are to the account: ACCOUNT_MANAGER, TECHNICAL_SUPPORT, …' })
  role!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  email!: string;
}

@InputType()
export class ProviderContactInput {
  @Field(() => ID, { description: 'A user of an account above the account.' })
  userId!: string;

  @Field(() => String, { description: 'UPPER_SNAKE_CASE, e.g. ACCOUNT_MANAGER.' })
  role!: string;
}
