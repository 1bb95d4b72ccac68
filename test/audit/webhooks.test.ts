import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import { Webhook as Verifier } from 'standardwebhooks';
import { checkWebhookUrl } from '../../src/domain/webhooks.service';
import { AccountEntity, UserEntity, WebhookDeliveryEntity, WebhookEntity } from '../../src/storage/entities';
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
  });

  it('marks a delivery failed after the last retry, and a deleted webhook receives nothing more', async () => {
    const { id } = ok(await t.gql(ACME, CREATE, { input: { accountId: acme.id, url: 'http://127.0.0.1:9/closed', events: ['role.assigned'] } })).createWebhook;
    const before = receiver.received.length;
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
    expect(ok(await t.gql(ACME, DELETE, { id })).deleteWebhook).toBe(id);
    expect(await em.countBy(WebhookDeliveryEntity, { webhookId: id })).toBe(0);
    expect(await em.countBy(WebhookEntity, { id })).toBe(0);
    await eventually(async () => receiver.received.length === before + 3);
  });

  it.each([
    { title: 'an ftp URL', as: ACME, input: { url: 'ftp://example.com/hook', events: ['role.assigned'] }, code: 'BAD_USER_INPUT' },
    { title: 'not a URL', as: ACME, input: { url: 'hooks here', events: ['role.assigned'] }, code: 'BAD_USER_INPUT' },
    { title: 'credentials in the URL', as: ACME, input: { url: 'https://user:pw@example.com/hook', events: ['role.assigned'] }, code: 'BAD_USER_INPUT' },
    { title: 'an unknown event', as: ACME, input: { url: 'https://example.com/hook', events: ['account.created'] }, code: 'BAD_USER_INPUT' },
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

describe('webhook URLs', () => {
  const production = { production: true, allowPrivate: false };
  it.each(['http://127.0.0.1/hook', 'http://localhost/hook', 'http://10.1.2.3/hook', 'http://172.20.0.1/hook', 'http://192.168.1.1/hook', 'http://169.254.169.254/latest', 'http://[::1]/hook', 'http://[fe80::1]/hook', 'http://[::ffff:127.0.0.1]/hook', 'http://100.64.0.1/'])(
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
