import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { NOTIFICATION_CHANNELS } from '../../domain/my-settings.service';
import { Authenticated } from '../directives';

type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
export const NotificationChannelEnum = Object.fromEntries(NOTIFICATION_CHANNELS.map((c) => [c, c])) as { [K in NotificationChannel]: K };
registerEnumType(NotificationChannelEnum, { name: 'NotificationChannel', description: 'How a user wants a communication topic delivered to them.' });

@ObjectType({ description: 'A personal social account (never the company\'s).' })
@Authenticated()
export class SocialConnection {
  @Field(() => String, { description: 'The network, lower case: linkedin, x, facebook, …' })
  network!: string;

  @Field(() => String)
  handle!: string;
}

@ObjectType({ description: 'A personal event integration (a webinar or meeting tool), by provider and the account there. It holds no credential.' })
@Authenticated()
export class EventIntegration {
  @Field(() => String, { description: 'The provider, lower case: zoom, gotowebinar, teams, …' })
  provider!: string;

  @Field(() => String)
  account!: string;
}

@ObjectType({ description: 'Which channels a communication topic reaches the user by; an empty list: none.' })
@Authenticated()
export class NotificationSetting {
  @Field(() => String, { description: "A communication topic of the policy (see CommunicationTopic)." })
  topic!: string;

  @Field(() => [NotificationChannelEnum])
  channels!: NotificationChannel[];
}

@ObjectType({ description: "The viewer's My Settings: what every user manages for themselves. Name and email are on Viewer.user." })
@Authenticated()
export class MySettings {
  @Field(() => [SocialConnection])
  socialConnections!: SocialConnection[];

  @Field(() => [EventIntegration])
  eventIntegrations!: EventIntegration[];

  @Field(() => [NotificationSetting])
  notifications!: NotificationSetting[];

  @Field(() => String, { nullable: true, description: 'An email change waiting for confirmMyEmail; the email stays the old one until then.' })
  pendingEmail!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the pending email\'s confirmation code expires.' })
  pendingEmailExpiresAt!: Date | null;
}

@InputType()
export class SocialConnectionInput {
  @Field(() => String)
  network!: string;

  @Field(() => String)
  handle!: string;
}

@InputType()
export class EventIntegrationInput {
  @Field(() => String)
  provider!: string;

  @Field(() => String)
  account!: string;
}

@InputType()
export class NotificationSettingInput {
  @Field(() => String)
  topic!: string;

  @Field(() => [NotificationChannelEnum])
  channels!: NotificationChannel[];
}

@InputType({
  description:
    "The caller's own profile and preferences; a field left out is unchanged, a list given replaces the list. There is no user id, role, status or verification here: My Settings changes only the caller, and only these.",
})
export class MySettingsInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'A new email: pending until confirmed with confirmMyEmail and the code sent to it.' })
  email?: string | null;

  @Field(() => [SocialConnectionInput], { nullable: true })
  socialConnections?: SocialConnectionInput[] | null;

  @Field(() => [EventIntegrationInput], { nullable: true })
  eventIntegrations?: EventIntegrationInput[] | null;

  @Field(() => [NotificationSettingInput], { nullable: true })
  notifications?: NotificationSettingInput[] | null;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description:
      'The personal settings as one object, e.g. { notifications: [{ topic: "NEWS", channels: ["EMAIL"] }] }: socialConnections, eventIntegrations and notifications, each checked as its field is (a key left out is unchanged, an unknown key is BAD_USER_INPUT). A setting given here and as its field too is BAD_USER_INPUT.',
  })
  personal?: Record<string, unknown> | null;
}
