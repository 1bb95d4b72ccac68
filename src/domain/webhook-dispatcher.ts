import type { Logger } from 'pino';
import { Webhook as Signer } from 'standardwebhooks';
import type { PorticoConfig } from '../config';
import type { Database } from '../storage/database';
import { OutboxEventEntity, WebhookDeliveryEntity, WebhookEntity } from '../storage/entities';
import { checkWebhookUrl } from './webhooks.service';

/** A claimed attempt runs at most this long before another instance may try the delivery again. */
const LEASE_MS = 60_000;
const TIMEOUT_MS = 10_000;
const BATCH = 50;

type Send = (url: string, init: RequestInit) => Promise<{ status: number }>;

/**
 * Delivers the outbox to webhooks, at least once: a delivery is claimed (its attempt counter moves only for the
 * instance that read it), sent signed the Standard Webhooks way, and marked delivered on a 2xx, else retried on the
 * configured schedule and finally marked failed. Only the oldest pending delivery of each webhook is attempted, so
 * a receiver sees its account's events in order.
 */
export class WebhookDispatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly config: Pick<PorticoConfig, 'webhookRetrySchedule' | 'webhookPollMs' | 'environment' | 'webhookAllowPrivate'>,
    private readonly logger: Logger,
    private readonly send: Send = (url, init) => fetch(url, init),
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch((error: unknown) => this.logger.error({ err: error }, 'webhook delivery round failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.config.webhookPollMs);
        });
    };
    this.timer = setTimeout(tick, this.config.webhookPollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round: every webhook's oldest due delivery, attempted in parallel. Returns how many were attempted. */
  async runOnce(now = new Date()): Promise<number> {
    const em = this.db.manager;
    const heads = await em
      .createQueryBuilder(WebhookDeliveryEntity, 'd')
      .where("d.status = 'PENDING' AND d.nextAttemptAt <= :now", { now })
      .andWhere((qb) => {
        const oldest = qb.subQuery().select('MIN(o.sequence)').from(WebhookDeliveryEntity, 'o').where("o.webhookId = d.webhookId AND o.status = 'PENDING'").getQuery();
        return `d.sequence = ${oldest}`;
      })
      .orderBy('d.nextAttemptAt', 'ASC')
      .take(BATCH)
      .getMany();
    const claimed = (await Promise.all(heads.map((d) => this.claim(d, now)))).filter((d): d is WebhookDeliveryEntity => d !== null);
    await Promise.all(claimed.map((d) => this.attempt(d)));
    return claimed.length;
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
      await checkWebhookUrl(webhook.url, { production: this.config.environment === 'production', allowPrivate: this.config.webhookAllowPrivate });
      const timestamp = new Date();
      const signature = new Signer(webhook.secret).sign(event.id, timestamp, event.body);
      const response = await this.send(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Portico-Webhooks/1',
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: event.body,
        // A redirect could lead anywhere, an internal address included: it counts as a failure.
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
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
