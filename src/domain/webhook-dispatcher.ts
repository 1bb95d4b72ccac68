import type { Logger } from 'pino';
import { Webhook as Signer } from 'standardwebhooks';
import { In } from 'typeorm';
import type { PorticoConfig } from '../config';
import type { Database } from '../storage/database';
import { OutboxEventEntity, WebhookDeliveryEntity, WebhookEntity } from '../storage/entities';
import { postWebhook, type Resolver } from './webhook-transport';

/** A claimed attempt runs at most this long before another instance may try the delivery again. */
const LEASE_MS = 60_000;
/** One attempt, connection to status line. */
const TIMEOUT_MS = 10_000;
/** Establishing the connection: a dead endpoint gives its slot back quickly. */
const CONNECT_TIMEOUT_MS = 3_000;
const BATCH = 50;
/** Attempts in flight on this instance at once. */
const MAX_IN_FLIGHT = 32;
/** Attempts in flight for one account at once: a slow or dead endpoint holds up its own account only. */
const MAX_PER_ACCOUNT = 4;

/** Sends one signed body; the default POSTs it through `postWebhook`. */
export type Send = (url: string, request: { headers: Record<string, string>; body: string }) => Promise<{ status: number }>;

export interface Transport {
  send?: Send;
  /** The resolver the default transport checks and connects through (tests name addresses of their own). */
  resolve?: Resolver;
}

/**
 * Delivers the outbox to webhooks, at least once: a delivery is claimed (its attempt counter moves only for the
 * instance that read it), sent signed the Standard Webhooks way, and marked delivered on a 2xx, else retried on the
 * configured schedule and finally marked failed. Only the oldest pending delivery of each webhook is attempted, so
 * a receiver sees its account's events in order.
 *
 * Attempts run from a bounded pool: at most MAX_IN_FLIGHT at once on the instance and MAX_PER_ACCOUNT for one
 * account, and a round starts what is due without waiting for the attempts of earlier rounds. An account whose
 * endpoints hang fills its own slots; other accounts' deliveries go on being claimed and sent.
 */
export class WebhookDispatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;
  /** Attempts in flight, and how many of them each account has. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly perAccount = new Map<string, number>();
  private readonly send: Send;

  constructor(
    private readonly db: Database,
    private readonly config: Pick<PorticoConfig, 'webhookRetrySchedule' | 'webhookPollMs' | 'environment' | 'webhookAllowPrivate'>,
    private readonly logger: Logger,
    transport: Transport = {},
  ) {
    const publicOnly = config.environment === 'production' && !config.webhookAllowPrivate;
    this.send = transport.send ?? ((url, request) => postWebhook(url, { ...request, publicOnly, timeoutMs: TIMEOUT_MS, connectTimeoutMs: CONNECT_TIMEOUT_MS, resolve: transport.resolve }));
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.round()
        .catch((error: unknown) => this.logger.error({ err: error }, 'webhook delivery round failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.config.webhookPollMs);
        });
    };
    this.timer = setTimeout(tick, this.config.webhookPollMs);
  }

  /** Stops claiming, and waits for the attempts in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all([...this.inFlight]);
  }

  /** One round, waiting for the attempts it started. Returns how many were attempted. */
  async runOnce(now = new Date()): Promise<number> {
    const started = await this.round(now);
    await Promise.all(started);
    return started.length;
  }

  /**
   * Claims every webhook's oldest due delivery there is room for, and starts its attempt: accounts at their cap are
   * left for a later round. Answers the attempts started, without waiting for them.
   */
  private async round(now = new Date()): Promise<Array<Promise<void>>> {
    const room = MAX_IN_FLIGHT - this.inFlight.size;
    if (room <= 0) return [];
    const em = this.db.manager;
    const full = [...this.perAccount].filter(([, n]) => n >= MAX_PER_ACCOUNT).map(([accountId]) => accountId);
    const query = em
      .createQueryBuilder(WebhookDeliveryEntity, 'd')
      .where("d.status = 'PENDING' AND d.nextAttemptAt <= :now", { now })
      .andWhere((qb) => {
        const oldest = qb.subQuery().select('MIN(o.sequence)').from(WebhookDeliveryEntity, 'o').where("o.webhookId = d.webhookId AND o.status = 'PENDING'").getQuery();
        return `d.sequence = ${oldest}`;
      });
    if (full.length > 0) query.innerJoin(WebhookEntity, 'w', 'w.id = d.webhookId AND w.accountId NOT IN (:...full)', { full });
    const heads = await query.orderBy('d.nextAttemptAt', 'ASC').take(BATCH).getMany();
    if (heads.length === 0) return [];
    const webhooks = new Map((await em.findBy(WebhookEntity, { id: In([...new Set(heads.map((d) => d.webhookId))]) })).map((w) => [w.id, w]));
    // Slots are taken before the claims run, so that concurrent claims never overfill an account.
    const chosen: Array<{ delivery: WebhookDeliveryEntity; accountId: string }> = [];
    for (const delivery of heads) {
      const accountId = webhooks.get(delivery.webhookId)?.accountId;
      if (!accountId || chosen.length >= room || (this.perAccount.get(accountId) ?? 0) >= MAX_PER_ACCOUNT) continue;
      this.take(accountId);
      chosen.push({ delivery, accountId });
    }
    const started: Array<Promise<void>> = [];
    await Promise.all(
      chosen.map(async ({ delivery, accountId }) => {
        const claimed = await this.claim(delivery, now).catch((error: unknown) => {
          this.release(accountId);
          throw error;
        });
        if (!claimed) return this.release(accountId);
        const attempt = this.attempt(claimed)
          .catch((error: unknown) => this.logger.error({ err: error, deliveryId: claimed.id }, 'webhook attempt failed'))
          .finally(() => {
            this.release(accountId);
            this.inFlight.delete(attempt);
          });
        this.inFlight.add(attempt);
        started.push(attempt);
      }),
    );
    return started;
  }

  private take(accountId: string): void {
    this.perAccount.set(accountId, (this.perAccount.get(accountId) ?? 0) + 1);
  }

  private release(accountId: string): void {
    const left = (this.perAccount.get(accountId) ?? 1) - 1;
    if (left > 0) this.perAccount.set(accountId, left);
    else this.perAccount.delete(accountId);
  }

  /** Takes the delivery for this instance: the attempt counter is the version two instances race on. */
  private async claim(delivery: WebhookDeliveryEntity, now: Date): Promise<WebhookDeliveryEntity | null> {
    const lease = new Date(now.getTime() + LEASE_MS);
    const { affected } = await this.db.transaction((em) =>
      em.update(WebhookDeliveryEntity, { id: delivery.id, status: 'PENDING', attempts: delivery.attempts }, { attempts: delivery.attempts + 1, nextAttemptAt: lease, lastAttemptAt: now }),
    );
    return affected ? Object.assign(delivery, { attempts: delivery.attempts + 1 }) : null;
  }

  private async attempt(delivery: WebhookDeliveryEntity): Promise<void> {
    const em = this.db.manager;
    const [webhook, event] = await Promise.all([em.findOneBy(WebhookEntity, { id: delivery.webhookId }), em.findOneBy(OutboxEventEntity, { id: delivery.eventId })]);
    if (!webhook || !event) return;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const timestamp = new Date();
      const signature = new Signer(webhook.secret).sign(event.id, timestamp, event.body);
      // Redirects are not followed (one could lead anywhere, an internal address included): a 3xx is a failure.
      const response = await this.send(webhook.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Portico-Webhooks/1',
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: event.body,
      });
      status = response.status;
    } catch (failure) {
      error = (failure as Error).message.slice(0, 500);
    }
    const delivered = status !== null && status >= 200 && status < 300;
    const schedule = this.config.webhookRetrySchedule;
    const exhausted = delivery.attempts >= schedule.length;
    const now = new Date();
    await this.db.transaction((tx) =>
      tx.update(
        WebhookDeliveryEntity,
        { id: delivery.id, attempts: delivery.attempts },
        delivered
          ? { status: 'DELIVERED', deliveredAt: now, lastStatusCode: status, lastError: null }
          : {
              status: exhausted ? 'FAILED' : 'PENDING',
              nextAttemptAt: exhausted ? now : new Date(now.getTime() + schedule[delivery.attempts] * 1000),
              lastStatusCode: status,
              lastError: error ?? `answered ${status}`,
            },
      ),
    );
    if (!delivered) this.logger.warn({ webhookId: webhook.id, eventId: event.id, attempt: delivery.attempts, status, error, final: exhausted }, 'webhook delivery failed');
  }
}
