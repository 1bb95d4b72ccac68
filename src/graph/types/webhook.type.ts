import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Authenticated } from '../directives';

export enum DeliveryStatusEnum {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}
registerEnumType(DeliveryStatusEnum, { name: 'WebhookDeliveryStatus', description: 'PENDING until a 2xx answer (DELIVERED) or the last retry (FAILED).' });

@ObjectType({ description: 'One event owed to a webhook and how its attempts went.' })
@Authenticated()
export class WebhookDelivery {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { description: 'The event, also its webhook-id header.' })
  eventId!: string;

  @Field(() => Int, { description: "The event's place in its account's order." })
  sequence!: number;

  @Field(() => DeliveryStatusEnum)
  status!: DeliveryStatusEnum;

  @Field(() => Int)
  attempts!: number;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'The HTTP status of the last answer.' })
  lastStatusCode!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => GraphQLDateTimeISO, { nullable: true })
  deliveredAt!: Date | null;
}

@ObjectType({ description: "An account's subscription to lifecycle events, delivered signed the Standard Webhooks way." })
@Authenticated()
export class Webhook {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  accountId!: string;

  @Field(() => String)
  url!: string;

  @Field(() => [String])
  events!: string[];

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;

  @Field(() => String, { nullable: true, description: 'The signing secret (whsec_…): returned by createWebhook only, null ever after.' })
  revealedSecret!: string | null;
}

@InputType()
export class CreateWebhookInput {
  @Field(() => ID)
  accountId!: string;

  @Field(() => String, { description: 'http or https; in production no loopback, link-local or private address (unless PORTICO_WEBHOOK_ALLOW_PRIVATE).' })
  url!: string;

  @Field(() => [String], { description: 'Event names: impersonation.session.started, delegation.expiring, role.assigned, …' })
  events!: string[];

  @Field(() => String, { nullable: true, description: 'whsec_ and a base64 key of 24 to 64 bytes; generated when absent.' })
  secret?: string;
}
