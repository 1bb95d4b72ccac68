import { randomUUID } from 'crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse, type Server } from 'http';
import type { AddressInfo } from 'net';
import { Webhook as Verifier } from 'standardwebhooks';
import { LifecycleScheduler } from '../../src/domain/lifecycle-scheduler';
import { WebhookDispatcher } from '../../src/domain/webhook-dispatcher';
import type { Resolver } from '../../src/domain/webhook-transport';
import { checkWebhookUrl } from '../../src/domain/webhooks.service';
import { AccountEntity, OutboxEventEntity, UserEntity, WebhookDeliveryEntity, WebhookEntity } from '../../src/storage/entities';
import { In } from 'typeorm';
import { databaseKinds } from '../support/databases';
import { codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const ACME = 'am@acme.example';
const SECRET = `whsec_${Buffer.from('portico-webhook-test-secret-32b!').toString('base64')}`;
const CREATE = 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id url events revealedSecret } }';
const DELETE = 'mutation($id: ID!) { deleteWebhook(id: $id) }';
const LIST = 'query($accountId: ID!) { webhooks(accountId: $accountId) { id revealedSecret deliveries(first: 100) { eventId sequence status attempts lastStatusCode deliveredAt } } }';
const ASSIGN = 'mutation($userId: ID!, $role: String!) { assignRole(userId: $userId, role: $role) { id } }';
const REVOKE = 'mutation($userId: ID!, $role: String!) { revokeRole(userId: $userId, role: $role) { id } }';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }';
const CONTACT_ROLES = 'mutation($userId: ID!, $roles: [ContactRole!]!) { setContactRoles(userId: $userId, roles: $roles) { id } }';

interface Received {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A receiver on loopback that refuses the first two attempts of every message, then accepts it. */
async function flakyReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const attempt = (seen.get(id) ?? 0) + 1;
      seen.set(id, attempt);
      const status = attempt <= 2 ? 503 : 204;
      received.push({ id, headers: req.headers, body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/portico`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * A receiver on loopback answering each request as `answer` says; 'hang' holds the request open until `release`.
 * `open()` counts the requests held open.
 */
async function receiverOf(answer: (r: Received) => number | 'hang') {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const entry = { id: String(req.headers['webhook-id']), headers: req.headers, body, status: 0 };
      received.push(entry);
      const status = answer(entry);
      if (status === 'hang') held.push(res);
      else res.writeHead((entry.status = status)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/portico`,
    port,
    received,
    open: () => held.filter((res) => !res.writableEnded && !res.destroyed).length,
    release: () => held.splice(0).forEach((res) => res.writableEnded || res.destroyed || res.writeHead(204).end()),
    close: () => {
      held.splice(0).forEach((res) => res.destroy());
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const bodyOf = (r: Received) => JSON.parse(r.body) as { type: string; data: Record<string, any> };

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(databaseKinds())('webhooks on %s', (kind) => {
  let t: TestPortico;
  let acme: AccountEntity;
  let billing: UserEntity;
  let receiver: Awaited<ReturnType<typeof flakyReceiver>>;
  const webhookCount = () => t.portico.services.db.manager.count(WebhookEntity);

  beforeAll(async () => {
    receiver = await flakyReceiver();
    t = await startTestPortico(kind, 'appdirect', { webhookDelivery: true, webhookRetrySchedule: [0, 0.05, 0.1, 30], webhookPollMs: 25 });
    acme = await t.account('Acme Retail');
    billing = await t.user('billing@acme.example');
  });
  afterAll(async () => {
    await t.stop();
    await receiver.close();
  });

  it('delivers each subscribed event exactly once accepted, signed, in the account\'s order, after two refusals', async () => {
    const created = ok(await t.gql(ACME, CREATE, { input: { accountId: acme.id, url: receiver.url, events: ['role.assigned', 'role.revoked', 'user.invited'], secret: SECRET } })).createWebhook;
    expect(created).toMatchObject({ url: receiver.url, events: ['role.assigned', 'role.revoked', 'user.invited'], revealedSecret: SECRET });
    const steps: Array<[string, Record<string, unknown>]> = [
      [ASSIGN, { userId: billing.id, role: 'TECHNICAL_MANAGER' }],
      [CONTACT_ROLES, { userId: billing.id, roles: ['TECHNICAL_CONTACT'] }],
      [REVOKE, { userId: billing.id, role: 'TECHNICAL_MANAGER' }],
      [INVITE, { input: { accountId: acme.id, email: `hooked-${kind}@acme.example`, name: 'Hooked', roles: ['SUBSCRIPTION_MANAGER'] } }],
      [ASSIGN, { userId: billing.id, role: 'SUBSCRIPTION_MANAGER' }],
      [REVOKE, { userId: billing.id, role: 'SUBSCRIPTION_MANAGER' }],
    ];
    for (const [query, variables] of steps) ok(await t.gql(ACME, query, variables));
    const expectedTypes = ['role.assigned', 'role.revoked', 'user.invited', 'role.assigned', 'role.revoked'];

    await eventually(async () => receiver.received.filter((r) => r.status === 204).length === expectedTypes.length);
    const accepted = receiver.received.filter((r) => r.status === 204);
    const verifier = new Verifier(SECRET);
    const bodies = accepted.map((r) => verifier.verify(r.body, r.headers as Record<string, string>) as { type: string; timestamp: string; data: Record<string, unknown> });
    expect(bodies.map((b) => b.type)).toEqual(expectedTypes);
    expect(new Set(accepted.map((r) => r.id)).size).toBe(expectedTypes.length);
    for (const id of accepted.map((r) => r.id)) expect(receiver.received.filter((r) => r.id === id).map((r) => r.status)).toEqual([503, 503, 204]);
    // Order per account: every attempt of an event comes before the first attempt of the next one.
    const firstSeen = receiver.received.map((r) => r.id).filter((id, i, all) => all.indexOf(id) === i);
    expect(firstSeen).toEqual(accepted.map((r) => r.id));
    expect(bodies[0].data).toMatchObject({ accountId: acme.id, subjectUserId: billing.id, role: 'TECHNICAL_MANAGER', actor: { email: ACME } });
    // A forged body fails verification.
    expect(() => verifier.verify(accepted[0].body.replace('TECHNICAL_MANAGER', 'ACCOUNT_MANAGER'), accepted[0].headers as Record<string, string>)).toThrow();

    const listed = ok(await t.gql(ACME, LIST, { accountId: acme.id })).webhooks;
    expect(listed).toHaveLength(1);
    expect(listed[0].revealedSecret).toBeNull();
    expect(listed[0].deliveries.map((d: { eventId: string }) => d.eventId).reverse()).toEqual(accepted.map((r) => r.id));
    for (const d of listed[0].deliveries) expect(d).toMatchObject({ status: 'DELIVERED', attempts: 3, lastStatusCode: 204 });
    ok(await t.gql(ACME, DELETE, { id: created.id }));
  });

  it('marks a delivery failed after the last retry', async () => {
    const { id } = ok(await t.gql(ACME, CREATE, { input: { accountId: acme.id, url: 'http://127.0.0.1:9/closed', events: ['role.assigned'] } })).createWebhook;
    ok(await t.gql(ACME, ASSIGN, { userId: billing.id, role: 'TECHNICAL_MANAGER' }));
    const em = t.portico.services.db.manager;
    // The schedule's last wait is 30 s: three refused attempts leave it pending, the fourth would fail it.
    await eventually(async () => (await em.findOneByOrFail(WebhookDeliveryEntity, { webhookId: id })).attempts === 3);
    // The third attempt is seen once claimed, and its end then sets the 30 s wait: so the wait is cut short (on the
    // row as the third attempt left it) until the fourth attempt has run.
    await eventually(async () => {
      const delivery = await em.findOneByOrFail(WebhookDeliveryEntity, { webhookId: id });
      if (delivery.status === 'PENDING' && delivery.attempts === 3) await em.update(WebhookDeliveryEntity, { id: delivery.id, status: 'PENDING', attempts: 3 }, { nextAttemptAt: new Date() });
      return delivery.status === 'FAILED';
    });
    expect((await em.findOneByOrFail(WebhookDeliveryEntity, { webhookId: id })).attempts).toBe(4);
    ok(await t.gql(ACME, DELETE, { id }));
  });

  it('a deleted webhook receives nothing more, its pending deliveries included, while another webhook of the account receives every event', async () => {
    // The doomed receiver holds its first request open: the account's next event waits behind it, pending.
    const doomed = await receiverOf(() => 'hang');
    const live = await receiverOf(() => 204);
    const em = t.portico.services.db.manager;
    try {
      const events = ['role.assigned', 'role.revoked'];
      const doomedId = ok(await t.gql(ACME, CREATE, { input: { accountId: acme.id, url: doomed.url, events } })).createWebhook.id;
      const liveId = ok(await t.gql(ACME, CREATE, { input: { accountId: acme.id, url: live.url, events } })).createWebhook.id;
      ok(await t.gql(ACME, ASSIGN, { userId: billing.id, role: 'SUBSCRIPTION_MANAGER' }));
      await eventually(async () => doomed.open() === 1);
      ok(await t.gql(ACME, REVOKE, { userId: billing.id, role: 'SUBSCRIPTION_MANAGER' }));
      await eventually(async () => live.received.length === 2);
      expect(await em.countBy(WebhookDeliveryEntity, { webhookId: doomedId, status: 'PENDING' })).toBe(2);

      expect(ok(await t.gql(ACME, DELETE, { id: doomedId })).deleteWebhook).toBe(doomedId);
      expect(await em.countBy(WebhookDeliveryEntity, { webhookId: doomedId })).toBe(0);
      expect(await em.countBy(WebhookEntity, { id: doomedId })).toBe(0);
      // The attempt in flight at the delete ends; what it leaves behind is nothing.
      doomed.release();
      for (let i = 0; i < 2; i++) {
        ok(await t.gql(ACME, ASSIGN, { userId: billing.id, role: 'SUBSCRIPTION_MANAGER' }));
        ok(await t.gql(ACME, REVOKE, { userId: billing.id, role: 'SUBSCRIPTION_MANAGER' }));
      }
      // Each of the live webhook's events is its own round (one delivery of a webhook at a time): four more rounds.
      await eventually(async () => live.received.length === 6);
      expect(live.received.map((r) => bodyOf(r).type)).toEqual(['role.assigned', 'role.revoked', 'role.assigned', 'role.revoked', 'role.assigned', 'role.revoked']);
      expect(doomed.received).toHaveLength(1);
      expect(bodyOf(doomed.received[0]).type).toBe('role.assigned');
      expect(await em.countBy(WebhookDeliveryEntity, { webhookId: doomedId })).toBe(0);
      ok(await t.gql(ACME, DELETE, { id: liveId }));
    } finally {
      await Promise.all([doomed.close(), live.close()]);
    }
  });

  it("a hanging endpoint holds up its own account only: another account's event is delivered while it hangs", async () => {
    const initech = await t.account('Initech');
    const hanging = await receiverOf(() => 'hang');
    const openWhenOtherArrived: number[] = [];
    const quick = await receiverOf(() => {
      openWhenOtherArrived.push(hanging.open());
      return 204;
    });
    try {
      const hangingId = ok(await t.gql(ACME, CREATE, { input: { accountId: acme.id, url: hanging.url, events: ['user.invited'] } })).createWebhook.id;
      const quickId = ok(await t.gql('am@initech.example', CREATE, { input: { accountId: initech.id, url: quick.url, events: ['user.invited'] } })).createWebhook.id;
      ok(await t.gql(ACME, INVITE, { input: { accountId: acme.id, email: `slow-${kind}@acme.example`, name: 'Slow', roles: ['SUBSCRIPTION_MANAGER'] } }));
      await eventually(async () => hanging.open() === 1);
      ok(await t.gql('am@initech.example', INVITE, { input: { accountId: initech.id, email: `quick-${kind}@initech.example`, name: 'Quick', roles: ['ACCOUNT_MANAGER'] } }));
      await eventually(async () => quick.received.length === 1);
      // When the other account's event arrived, the hanging request was still open.
      expect(openWhenOtherArrived).toEqual([1]);
      expect(hanging.received).toHaveLength(1);
      hanging.release();
      ok(await t.gql(ACME, DELETE, { id: hangingId }));
      ok(await t.gql('am@initech.example', DELETE, { id: quickId }));
    } finally {
      await Promise.all([hanging.close(), quick.close()]);
    }
  });

  it("names the actor in a payload only where the account's own trail does: a partner's user acting from above is an id", async () => {
    const r = await receiverOf(() => 204);
    const partner = await t.user('am@northwind.example');
    try {
      const { id } = ok(await t.gql(ACME, CREATE, { input: { accountId: acme.id, url: r.url, events: ['role.assigned', 'role.revoked'] } })).createWebhook;
      ok(await t.gql('am@northwind.example', ASSIGN, { userId: billing.id, role: 'SUBSCRIPTION_MANAGER' }));
      ok(await t.gql(ACME, REVOKE, { userId: billing.id, role: 'SUBSCRIPTION_MANAGER' }));
      await eventually(async () => r.received.length === 2);
      const [assigned, revoked] = r.received.map(bodyOf);
      expect(assigned).toMatchObject({ type: 'role.assigned', data: { actor: { id: partner.id } } });
      expect(assigned.data.actor).toEqual({ id: partner.id });
      expect(r.received[0].body).not.toContain('am@northwind.example');
      expect(revoked.data.actor).toMatchObject({ email: ACME, name: 'Alice Acme' });
      // The same as the account's own trail shows its administrator.
      const trail = ok(
        await t.gql(ACME, 'query($a: ID!) { auditEvents(accountId: $a, first: 1, filter: { action: "user.assignRole" }) { nodes { actorUserId actor { email } } } }', { a: acme.id }),
      ).auditEvents.nodes;
      expect(trail).toEqual([{ actorUserId: partner.id, actor: null }]);
      ok(await t.gql(ACME, DELETE, { id }));
    } finally {
      await r.close();
    }
  });

  it('connects in production only to an address its own lookup checked: internal literals and a name resolving to loopback are refused at delivery', async () => {
    const r = await receiverOf(() => 204);
    const em = t.portico.services.db.manager;
    // Rows as if made when the name still resolved publicly, due later than the suite's own dispatcher looks.
    const due = new Date(Date.now() + 3_600_000);
    // One account each: an account has at most four attempts in flight at once.
    const accountIds: string[] = [];
    const urls = ['http://[64:ff9b::a9fe:a9fe]/', 'http://[::ffff:0:7f00:1]/', 'http://[::127.0.0.1]/', 'http://[2002:7f00:1::1]/', 'http://198.18.0.1/', `http://rebound.example:${r.port}/hook`];
    const resolve: Resolver = (_host, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);
    const seed = async (url: string, sequence: number) => {
      const webhookId = randomUUID();
      const accountId = `filtered-${randomUUID().slice(0, 8)}`;
      accountIds.push(accountId);
      const eventId = `msg_${randomUUID().replace(/-/g, '')}`;
      await em.insert(WebhookEntity, { id: webhookId, accountId, url, events: ['user.invited'], secret: SECRET, createdByUserId: billing.id, createdAt: new Date() });
      await em.insert(OutboxEventEntity, { id: eventId, accountId, sequence, type: 'user.invited', body: '{"type":"user.invited"}', occurredAt: new Date() });
      await em.insert(WebhookDeliveryEntity, { id: randomUUID(), webhookId, eventId, sequence, status: 'PENDING', attempts: 0, nextAttemptAt: due, lastAttemptAt: null, lastStatusCode: null, lastError: null, deliveredAt: null });
      return webhookId;
    };
    try {
      const ids = [];
      for (const [i, url] of urls.entries()) ids.push(await seed(url, i + 1));
      const config = { environment: 'production' as const, webhookAllowPrivate: false, webhookRetrySchedule: [0, 3600], webhookPollMs: 25 };
      const production = new WebhookDispatcher(t.portico.services.db, config, t.portico.logger, { resolve });
      expect(await production.runOnce(new Date(due.getTime() + 1000))).toBe(urls.length);
      for (const webhookId of ids) {
        const delivery = await em.findOneByOrFail(WebhookDeliveryEntity, { webhookId });
        expect({ webhookId, status: delivery.status, lastStatusCode: delivery.lastStatusCode, lastError: delivery.lastError }).toEqual({
          webhookId,
          status: 'PENDING',
          lastStatusCode: null,
          lastError: expect.stringMatching(/not a public address/),
        });
      }
      expect(r.received).toHaveLength(0);
      // The control: with private addresses allowed, the same name and lookup reach the receiver.
      const control = await seed(`http://rebound.example:${r.port}/control`, urls.length + 1);
      const allowed = new WebhookDispatcher(t.portico.services.db, { ...config, webhookAllowPrivate: true }, t.portico.logger, { resolve });
      await em.update(WebhookDeliveryEntity, { webhookId: In(ids) }, { status: 'FAILED' });
      expect(await allowed.runOnce(new Date(due.getTime() + 1000))).toBe(1);
      expect(r.received.map((x) => x.headers.host)).toEqual([`rebound.example:${r.port}`]);
      expect((await em.findOneByOrFail(WebhookDeliveryEntity, { webhookId: control })).status).toBe('DELIVERED');
      await em.delete(WebhookDeliveryEntity, { webhookId: In([...ids, control]) });
      await em.delete(WebhookEntity, { accountId: In(accountIds) });
      await em.delete(OutboxEventEntity, { accountId: In(accountIds) });
    } finally {
      await r.close();
    }
  });

  it("deleting an account deletes its webhooks, their deliveries and its outbox events", async () => {
    const r = await receiverOf(() => 204);
    const em = t.portico.services.db.manager;
    const northwind = await t.account('Northwind Cloud');
    try {
      const created = ok(await t.gql('am@northwind.example', 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id } }', { input: { type: 'CUSTOMER', name: `Doomed ${kind}`, parentId: northwind.id } })).createAccount;
      const { id } = ok(await t.gql('am@northwind.example', CREATE, { input: { accountId: created.id, url: r.url, events: ['user.invited'] } })).createWebhook;
      ok(await t.gql('am@northwind.example', INVITE, { input: { accountId: created.id, email: `doomed-${kind}@doomed.example`, name: 'Doomed', roles: ['ACCOUNT_MANAGER'] } }));
      // account.created and user.invited; the webhook is owed the one it subscribed to.
      expect(await em.countBy(OutboxEventEntity, { accountId: created.id })).toBe(2);
      expect(await em.countBy(WebhookDeliveryEntity, { webhookId: id })).toBe(1);
      ok(await t.gql('am@northwind.example', 'mutation($id: ID!) { deleteAccount(id: $id) }', { id: created.id }));
      expect(await em.countBy(WebhookEntity, { accountId: created.id })).toBe(0);
      expect(await em.countBy(WebhookDeliveryEntity, { webhookId: id })).toBe(0);
      expect(await em.countBy(OutboxEventEntity, { accountId: created.id })).toBe(0);
    } finally {
      await r.close();
    }
  });

  it('prunes outbox events older than PORTICO_OUTBOX_RETENTION_DAYS none of whose deliveries is pending, with their deliveries', async () => {
    const em = t.portico.services.db.manager;
    const accountId = `pruned-${randomUUID().slice(0, 8)}`;
    const webhookId = randomUUID();
    const now = Date.now();
    const DAY = 24 * 60 * 60 * 1000;
    const event = async (sequence: number, ageDays: number, delivery: 'DELIVERED' | 'FAILED' | 'PENDING' | null) => {
      const id = `msg_${randomUUID().replace(/-/g, '')}`;
      const occurredAt = new Date(now - ageDays * DAY);
      await em.insert(OutboxEventEntity, { id, accountId, sequence, type: 'user.invited', body: '{}', occurredAt });
      if (delivery) {
        await em.insert(WebhookDeliveryEntity, {
          id: randomUUID(), webhookId, eventId: id, sequence, status: delivery, attempts: 1,
          // A pending one is due long after the suite's dispatcher would look.
          nextAttemptAt: new Date(now + 365 * DAY), lastAttemptAt: occurredAt, lastStatusCode: 204, lastError: null, deliveredAt: delivery === 'DELIVERED' ? occurredAt : null,
        });
      }
      return id;
    };
    const oldDelivered = await event(1, 40, 'DELIVERED');
    const oldFailed = await event(2, 31, 'FAILED');
    const oldUnsubscribed = await event(3, 45, null);
    const oldPending = await event(4, 40, 'PENDING');
    const recent = await event(5, 29, 'DELIVERED');
    const scheduler = new LifecycleScheduler(t.portico.services.db, { schedulerIntervalMs: 0, requestTtlDays: 90, outboxRetentionDays: 30 }, t.portico.logger, () => new Date(now));
    const round = await scheduler.runOnce();
    await scheduler.stop();
    expect(round?.outboxPruned).toBe(3);
    const left = (await em.findBy(OutboxEventEntity, { accountId })).map((e) => e.id).sort();
    expect(left).toEqual([oldPending, recent].sort());
    expect((await em.findBy(WebhookDeliveryEntity, { webhookId })).map((d) => d.eventId).sort()).toEqual([oldPending, recent].sort());
    expect(await em.countBy(WebhookDeliveryEntity, { eventId: In([oldDelivered, oldFailed, oldUnsubscribed]) })).toBe(0);
    await em.delete(WebhookDeliveryEntity, { webhookId });
    await em.delete(OutboxEventEntity, { accountId });
  });

  it.each([
    { title: 'an ftp URL', as: ACME, input: { url: 'ftp://example.com/hook', events: ['role.assigned'] }, code: 'BAD_USER_INPUT' },
    { title: 'not a URL', as: ACME, input: { url: 'hooks here', events: ['role.assigned'] }, code: 'BAD_USER_INPUT' },
    { title: 'credentials in the URL', as: ACME, input: { url: 'https://user:pw@example.com/hook', events: ['role.assigned'] }, code: 'BAD_USER_INPUT' },
    { title: 'an unknown event', as: ACME, input: { url: 'https://example.com/hook', events: ['account.exploded'] }, code: 'BAD_USER_INPUT' },
    { title: 'no event', as: ACME, input: { url: 'https://example.com/hook', events: [] }, code: 'BAD_USER_INPUT' },
    { title: 'a secret that is no whsec_ key', as: ACME, input: { url: 'https://example.com/hook', events: ['role.assigned'], secret: 'hunter2' }, code: 'BAD_USER_INPUT' },
    { title: 'a user without the right', as: 'billing@acme.example', input: { url: 'https://example.com/hook', events: ['role.assigned'] }, code: 'FORBIDDEN' },
    { title: "another tenant's account", as: 'am@contoso.example', input: { url: 'https://example.com/hook', events: ['role.assigned'] }, code: 'NOT_FOUND' },
  ])('refuses $title with $code, creating nothing', async ({ as, input, code }) => {
    const count = await webhookCount();
    await refused(t, as, CREATE, { input: { accountId: acme.id, ...input } }, code);
    expect(await webhookCount()).toBe(count);
  });

  it("reads another tenant's webhook as not found, deleting nothing", async () => {
    const { id } = ok(await t.gql(ACME, CREATE, { input: { accountId: acme.id, url: 'https://example.com/hook', events: ['user.invited'] } })).createWebhook;
    const count = await webhookCount();
    await refused(t, 'am@contoso.example', DELETE, { id }, 'NOT_FOUND');
    await refused(t, 'billing@acme.example', DELETE, { id }, 'NOT_FOUND');
    expect(codes(await t.gql('am@contoso.example', LIST, { accountId: acme.id }))).toEqual(['NOT_FOUND']);
    expect(await webhookCount()).toBe(count);
    ok(await t.gql(ACME, DELETE, { id }));
  });
});

describe.each(databaseKinds())('webhooks and impersonation sessions on %s', (kind) => {
  const CUSTOMER_ADMIN = 'admin@acme.example';
  const MANAGER = 'ppm@northwind.example';
  let t: TestPortico;
  let acme: AccountEntity;
  let token: string;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
    acme = await t.account('Acme Logistics');
    const northwind = await t.account('Northwind Telecom');
    // The widest grant there is: the customer's administrator role (webhooks:manage included), and rights:assign,
    // which webhooks.manage once mapped to.
    const rights = ['PORTAL_ADMINISTRATOR', 'rights:assign'];
    ok(await t.gql(CUSTOMER_ADMIN, 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }', { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights } }));
    token = ok(await t.gql(MANAGER, 'mutation($c: ID!) { startImpersonation(customerAccountId: $c, reason: "ticket 5150") { token } }', { c: acme.id })).startImpersonation.token;
  });
  afterAll(() => t?.stop());

  it("a partner in the customer's session cannot create a webhook on the customer's account: FORBIDDEN, nothing stored", async () => {
    const before = await t.portico.services.db.manager.count(WebhookEntity);
    const result = await t.gql({ token }, CREATE, { input: { accountId: acme.id, url: 'https://partner.example/collect', events: ['user.invited'] } });
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.errors![0].message).toMatch(/an impersonation session never manages webhooks/);
    expect(await t.portico.services.db.manager.count(WebhookEntity)).toBe(before);
  });

  it("a partner in the customer's session can neither list nor delete the customer's webhooks: FORBIDDEN, nothing deleted", async () => {
    const { id } = ok(await t.gql(CUSTOMER_ADMIN, CREATE, { input: { accountId: acme.id, url: 'https://acme.example/hooks', events: ['user.invited'] } })).createWebhook;
    const deleted = await t.gql({ token }, DELETE, { id });
    expect(codes(deleted)).toEqual(['FORBIDDEN']);
    expect(deleted.errors![0].message).toMatch(/an impersonation session never manages webhooks/);
    expect(codes(await t.gql({ token }, LIST, { accountId: acme.id }))).toEqual(['FORBIDDEN']);
    expect(await t.portico.services.db.manager.countBy(WebhookEntity, { id })).toBe(1);
    // The customer's administrator, outside any session, still manages them.
    ok(await t.gql(CUSTOMER_ADMIN, DELETE, { id }));
  });
});

describe.each(databaseKinds())('webhook addresses at creation in production on %s', (kind) => {
  let t: TestPortico;
  let acme: AccountEntity;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'appdirect', { environment: 'production' });
    acme = await t.account('Acme Retail');
  });
  afterAll(() => t?.stop());

  // Each accepted by the hand list this replaced: NAT64 of 169.254.169.254, SIIT and IPv4-compatible forms of
  // loopback, 6to4 of loopback, a benchmarking address.
  it.each(['http://[64:ff9b::a9fe:a9fe]/', 'http://[::ffff:0:7f00:1]/', 'http://[::127.0.0.1]/', 'http://[2002:7f00:1::1]/', 'http://198.18.0.1/'])(
    'createWebhook refuses %s with BAD_USER_INPUT, storing nothing',
    async (url) => {
      const before = await t.portico.services.db.manager.count(WebhookEntity);
      const result = await refused(t, ACME, CREATE, { input: { accountId: acme.id, url, events: ['user.invited'] } }, 'BAD_USER_INPUT');
      expect(result.errors![0].message).toMatch(/public unicast address/);
      expect(await t.portico.services.db.manager.count(WebhookEntity)).toBe(before);
    },
  );

  it('createWebhook accepts a public address', async () => {
    const { id } = ok(await t.gql(ACME, CREATE, { input: { accountId: acme.id, url: 'https://93.184.216.34/hook', events: ['user.invited'] } })).createWebhook;
    ok(await t.gql(ACME, DELETE, { id }));
  });
});

describe('webhook URLs', () => {
  const production = { production: true, allowPrivate: false };
  it.each(['http://127.0.0.1/hook', 'http://localhost/hook', 'http://10.1.2.3/hook', 'http://172.20.0.1/hook', 'http://192.168.1.1/hook', 'http://169.254.169.254/latest', 'http://[::1]/hook', 'http://[fe80::1]/hook', 'http://[::ffff:127.0.0.1]/hook', 'http://100.64.0.1/',
    // NAT64 of 169.254.169.254, SIIT, IPv4-compatible and 6to4 forms of loopback, a benchmarking address, a broadcast.
    'http://[64:ff9b::a9fe:a9fe]/', 'http://[::ffff:0:7f00:1]/', 'http://[::127.0.0.1]/', 'http://[2002:7f00:1::1]/', 'http://198.18.0.1/', 'http://255.255.255.255/'])(
    'refuses %s in production',
    async (url) => {
      await expect(checkWebhookUrl(url, production)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    },
  );

  it('accepts a public address in production, and internal ones outside production or when allowed', async () => {
    await expect(checkWebhookUrl('https://93.184.216.34/hook', production)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl('http://127.0.0.1:8080/hook', { production: false, allowPrivate: false })).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl('http://10.0.0.5/hook', { production: true, allowPrivate: true })).resolves.toBeInstanceOf(URL);
  });
});
