import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { createWebhook, deleteWebhook, deliveriesOf, webhooksOf } from '../../domain/webhooks.service';
import type { WebhookEntity } from '../../storage/entities';
import { Authenticated, RequiresPermission } from '../directives';
import { CreateWebhookInput, Webhook, WebhookDelivery } from '../types/webhook.type';
import { pageSize } from './paging';

const shown = (webhook: WebhookEntity, revealedSecret: string | null = null): Webhook => Object.assign(webhook, { revealedSecret });

@Resolver(() => Webhook)
export class WebhookResolver {
  @Query(() => [Webhook], { description: "The account's webhooks, oldest first." })
  @RequiresPermission('webhooks.manage', { account: 'accountId' })
  async webhooks(@Ctx() ctx: RequestContext, @Arg('accountId', () => ID) accountId: string): Promise<Webhook[]> {
    return (await webhooksOf(ctx, accountId)).map((w) => shown(w));
  }

  @Mutation(() => Webhook, { description: "Subscribes a URL to the account's events; the secret is in the answer, once." })
  @RequiresPermission('webhooks.manage', { account: 'input.accountId' })
  async createWebhook(@Ctx() ctx: RequestContext, @Arg('input', () => CreateWebhookInput) input: CreateWebhookInput): Promise<Webhook> {
    const webhook = await createWebhook(ctx, input);
    return shown(webhook, webhook.secret);
  }

  @Mutation(() => ID, { description: 'Removes the webhook and its pending deliveries (requires webhooks.manage on its account).' })
  @Authenticated()
  deleteWebhook(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<string> {
    return deleteWebhook(ctx, id);
  }

  @FieldResolver(() => [WebhookDelivery], { description: 'Its deliveries, newest event first.' })
  deliveries(@Ctx() ctx: RequestContext, @Root() webhook: WebhookEntity, @Arg('first', () => Int, { nullable: true }) first?: number): Promise<WebhookDelivery[]> {
    return deliveriesOf(ctx, webhook, pageSize(ctx, first)) as Promise<WebhookDelivery[]>;
  }
}
