import { randomBytes, randomUUID } from 'crypto';
import { lookup } from 'dns/promises';
import { isIP } from 'net';
import { badInput, forbidden, notFound } from '../errors';
import { WebhookDeliveryEntity, WebhookEntity } from '../storage/entities';
import { audit } from './audit';
import type { RequestContext } from './context';
import { EVENT_TYPES } from './events';
import { isInternalAddress } from './webhook-transport';

export interface CreateWebhookInput {
  accountId: string;
  url: string;
  events: string[];
  /** `whsec_` and a base64 key of 24 to 64 bytes; generated when absent. */
  secret?: string | null;
}

/**
 * A webhook URL Portico may call: http or https, no credentials in it, and in production (unless
 * PORTICO_WEBHOOK_ALLOW_PRIVATE) no host that is or resolves to an internal address: a tenant must not reach
 * the operator's own network through Portico. Checked at creation; each delivery connects only to an address its
 * own lookup checked (see webhook-transport).
 */
export async function checkWebhookUrl(raw: string, options: { production: boolean; allowPrivate: boolean }): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badInput('url is not a URL', { field: 'url' });
  }
  if (raw.length > 2000) throw badInput('url is longer than 2000 characters', { field: 'url' });
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput('url must be http or https', { field: 'url' });
  if (url.username || url.password) throw badInput('url must not carry credentials: the signature authenticates Portico', { field: 'url' });
  if (!options.production || options.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : await lookup(host, { all: true }).then((found) => found.map((a) => a.address), () => []);
  if (addresses.length === 0) throw badInput(`url: ${host} does not resolve`, { field: 'url' });
  if (addresses.some(isInternalAddress)) throw badInput('url must name a public unicast address (not loopback, private, link-local, reserved, or an IPv4 address inside IPv6)', { field: 'url' });
  return url;
}

const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

function checkedSecret(secret: string | null | undefined): string {
  if (secret === undefined || secret === null) return `whsec_${randomBytes(32).toString('base64')}`;
  const key = SECRET.test(secret) ? Buffer.from(secret.slice(6), 'base64') : Buffer.alloc(0);
  if (key.length < 24 || key.length > 64) throw badInput('secret must be whsec_ followed by a base64 key of 24 to 64 bytes', { field: 'secret' });
  return secret;
}

function checkedEvents(events: string[]): string[] {
  const wanted = [...new Set(events)];
  const unknown = wanted.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e));
  if (wanted.length === 0) throw badInput(`name at least one event: ${EVENT_TYPES.join(', ')}`, { field: 'events' });
  if (unknown.length > 0) throw badInput(`unknown event ${unknown.join(', ')} (events: ${EVENT_TYPES.join(', ')})`, { field: 'events' });
  return wanted.sort();
}

const MAX_WEBHOOKS_PER_ACCOUNT = 20;

/**
 * Webhooks are administration: a partner in a customer's session could otherwise leave one behind that outlives it.
 * The engine refuses `webhooks.manage` to sessions; a delete says so rather than reading the webhook as not found.
 */
function refuseSessions(ctx: RequestContext): void {
  if (ctx.requirePrincipal().impersonation) throw forbidden('an impersonation session never manages webhooks');
}

/** Subscribes a URL of the account to events; the secret is returned this once, never read again. */
export async function createWebhook(ctx: RequestContext, input: CreateWebhookInput): Promise<WebhookEntity> {
  // Decided first (a session is refused here, by the engine): nobody else gets Portico to resolve a name for them.
  const account = await ctx.requireOn('webhooks.manage', input.accountId);
  const events = checkedEvents(input.events);
  const secret = checkedSecret(input.secret);
  const { config } = ctx.services;
  const url = await checkWebhookUrl(input.url, { production: config.environment === 'production', allowPrivate: config.webhookAllowPrivate });
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [account.id]);
    if ((await em.countBy(WebhookEntity, { accountId: account.id })) >= MAX_WEBHOOKS_PER_ACCOUNT) {
      throw badInput(`an account has at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks`, { field: 'accountId' });
    }
    const webhook = em.create(WebhookEntity, { id: randomUUID(), accountId: account.id, url: url.toString(), events, secret, createdByUserId: ctx.requirePrincipal().user.id, createdAt: new Date() });
    await em.insert(WebhookEntity, webhook);
    await audit(em, ctx, { action: 'webhook.create', subjectAccountId: account.id, targetType: 'Webhook', targetId: webhook.id, details: { url: webhook.url, events } });
    return webhook;
  });
}

/** A webhook the viewer may manage; any other reads as not found. */
async function managedWebhook(ctx: RequestContext, id: string): Promise<WebhookEntity> {
  const webhook = await ctx.services.db.manager.findOneBy(WebhookEntity, { id });
  const account = webhook ? await ctx.visibleAccount(webhook.accountId) : null;
  if (!webhook || !account || !ctx.decide('webhooks.manage', account).allowed) throw notFound('webhook', id);
  return webhook;
}

/** Removes the webhook and what it was still owed: nothing more is sent to it. */
export async function deleteWebhook(ctx: RequestContext, id: string): Promise<string> {
  refuseSessions(ctx);
  const webhook = await managedWebhook(ctx, id);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [webhook.accountId]);
    const { affected } = await em.delete(WebhookEntity, { id });
    if (!affected) throw notFound('webhook', id);
    await em.delete(WebhookDeliveryEntity, { webhookId: id });
    await audit(em, ctx, { action: 'webhook.delete', subjectAccountId: webhook.accountId, targetType: 'Webhook', targetId: id, details: { url: webhook.url } });
    return id;
  });
}

export async function webhooksOf(ctx: RequestContext, accountId: string): Promise<WebhookEntity[]> {
  await ctx.requireOn('webhooks.manage', accountId);
  return ctx.services.db.manager.find(WebhookEntity, { where: { accountId }, order: { createdAt: 'ASC', id: 'ASC' } });
}

/** A webhook's deliveries, newest event first. */
export async function deliveriesOf(ctx: RequestContext, webhook: WebhookEntity, first: number): Promise<WebhookDeliveryEntity[]> {
  return ctx.services.db.manager.find(WebhookDeliveryEntity, { where: { webhookId: webhook.id }, order: { sequence: 'DESC' }, take: first });
}
