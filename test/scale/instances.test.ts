import { randomBytes, randomUUID } from 'crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import { exportJWK, generateKeyPair } from 'jose';
import { createConnection } from 'mysql2/promise';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { Webhook as Verifier } from 'standardwebhooks';
import { In, MoreThan } from 'typeorm';
import { SCHEDULER_ACTOR_ID } from '../../src/domain/audit';
import { EVENT_TYPES } from '../../src/domain/events';
import { DEV_KEY_FILE } from '../../src/identity/dev-keys';
import { chainedAccountIds, verifyAuditChain } from '../../src/storage/audit-chain';
import {
  AuditChainHeadEntity,
  AuditEventEntity,
  DelegatedAdminRelationshipEntity,
  ImpersonationGrantEntity,
  ImpersonationSessionEntity,
  OutboxEventEntity,
  SchedulerLeaseEntity,
  WebhookDeliveryEntity,
  WebhookEntity,
} from '../../src/storage/entities';
import { MIGRATIONS } from '../../src/storage/migrations';
import { createMysqlDatabase, databaseKinds } from '../support/databases';
import { startPorticoProcess, type PorticoProcess } from '../support/processes';
import { startTestPortico, TEST_AUDIT_KEY, type GraphQLResult, type TestPortico } from '../support/portico';

// MariaDB only: several processes on one MySQL-compatible database is the deployment this shows. (Several
// processes on one SQLite file are test/storage/shared-file.test.ts.)

/** How long the mixed load runs, and the most requests it sends: bounded both ways. */
const LOAD_MS = 30_000;
const MAX_REQUESTS = 6_000;
/** Clients sending at once, spread round robin over the three instances. */
const CLIENTS = 6;
const SCHEDULER_INTERVAL_MS = 300;
const DAY = 24 * 60 * 60 * 1000;

const SECRET = `whsec_${Buffer.from('portico-instances-test-secret-32').toString('base64')}`;
const CREATE_WEBHOOK = 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }';
const ASSIGN = 'mutation($userId: ID!, $role: String!) { assignRole(userId: $userId, role: $role) { id } }';
const REVOKE_ROLE = 'mutation($userId: ID!, $role: String!) { revokeRole(userId: $userId, role: $role) { id } }';
const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }';
const REVOKE_GRANT = 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { status } }';
const START = 'mutation($customer: ID!) { startImpersonation(customerAccountId: $customer, reason: "three instances") { token session { id } } }';
const END = 'mutation($id: ID!) { endImpersonation(sessionId: $id) { status } }';
const VIEWER = '{ viewer { user { email } account { name } impersonation { id } } }';
const ACCOUNT = 'query($a: ID!) { account(id: $a) { name } }';
const USERS = 'query { users(first: 20) { totalCount nodes { email } } }';
const INTEGRITY = 'query($a: ID!) { auditIntegrity(accountId: $a) { ok checked firstBrokenEventId } }';

/** The customers whose administrators write during the load, each with a webhook subscribed to every event. */
const CUSTOMERS = [
  { name: 'Acme Logistics', admin: 'admin@acme.example' },
  { name: 'Globex', admin: 'admin@globex.example' },
  { name: 'Initech', admin: 'admin@initech.example' },
  { name: 'Umbrella Direct', admin: 'admin@umbrella.example' },
];
const READERS = ['admin@acme.example', 'fleet@acme.example', 'insight@acme.example', 'ppa@northwind.example', 'ppu@northwind.example', 'ppa@contoso.example'];

interface Received {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback that accepts everything and keeps what it got, in order. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ id: String(req.headers['webhook-id']), headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/portico`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls until `done` holds; bounded, so a lost delivery fails the test instead of hanging it. */
async function until(done: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A private EC P-256 JWK, as an operator gives every instance the same one. */
async function privateJwk(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'ES256', kid });
}

const codesOf = (r: GraphQLResult) => (r.errors ?? []).map((e) => e.extensions?.code);

if (!databaseKinds().includes('mysql')) it.todo('three Portico processes on one database: not run, PORTICO_TEST_DB leaves MariaDB out and this suite needs it');
else describe('three Portico processes starting at once on an empty MariaDB database', () => {
  it('all three start; the schema is migrated, the platform created and the demo seeded once', async () => {
    const database = await createMysqlDatabase();
    const dirs = [0, 1, 2].map((i) => mkdtempSync(join(tmpdir(), `portico-start-${i}-`)));
    const started: PorticoProcess[] = [];
    try {
      const starts = dirs.map((dir) => startPorticoProcess({ DATABASE_URL: database.url, PORTICO_DATA_DIR: dir, PORTICO_POLICY: 'dstny', PORTICO_SEED_DEMO: 'true', PORTICO_AUDIT_KEY: TEST_AUDIT_KEY, PORTICO_SCHEDULER_INTERVAL_MS: 'off' }));
      const results = await Promise.allSettled(starts);
      started.push(...results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
      expect(results.map((r) => (r.status === 'fulfilled' ? 'ready' : String(r.reason).split('\n').slice(0, 3).join(' ')))).toEqual(['ready', 'ready', 'ready']);
      const connection = await createConnection({ uri: database.url });
      try {
        const count = async (sql: string) => Number(((await connection.query(sql))[0] as Array<{ n: number }>)[0].n);
        expect(await count('SELECT COUNT(*) AS n FROM migrations')).toBe(MIGRATIONS.length);
        expect(await count('SELECT COUNT(DISTINCT name) AS n FROM migrations')).toBe(MIGRATIONS.length);
        expect(await count("SELECT COUNT(*) AS n FROM accounts WHERE type = 'PLATFORM'")).toBe(1);
        expect(await count("SELECT COUNT(*) AS n FROM users WHERE email = 'admin@platform.local'")).toBe(1);
        expect(await count("SELECT COUNT(*) AS n FROM accounts WHERE name = 'Acme Logistics'")).toBe(1);
      } finally {
        await connection.end();
      }
    } finally {
      await Promise.all(started.map((p) => p.kill()));
      await database.drop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

if (databaseKinds().includes('mysql')) describe('three Portico processes on one MariaDB database, a mixed load spread over them', () => {
  let t: TestPortico;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const processes: PorticoProcess[] = [];
  const dataDirs: string[] = [];
  const ids: Record<string, string> = {};
  const em = () => t.portico.services.db.manager;

  beforeAll(async () => {
    receiver = await startReceiver();
    const [signingKey, contextSigningKey] = await Promise.all([privateJwk('instances-signing'), privateJwk('instances-context')]);
    // This process migrates and seeds the database and reads it for the checks; it serves none of the load and runs
    // no scheduler or dispatcher.
    t = await startTestPortico('mysql', 'dstny', { auditKey: TEST_AUDIT_KEY, signingKey, contextSigningKey });
    for (const name of ['Acme Logistics', 'Globex', 'Initech', 'Umbrella Direct', 'Northwind Telecom']) ids[name] = (await t.account(name)).id;
    ids.manager = (await t.user('ppm@northwind.example')).id;
    // Each instance has a data directory of its own: what they share is the database and the keys given to each.
    // The development key that signs the test's user tokens stands for the identity provider all three trust.
    const env = (dataDir: string) => ({
      DATABASE_URL: t.portico.services.config.databaseUrl,
      PORTICO_DATA_DIR: dataDir,
      PORTICO_POLICY: 'dstny',
      PORTICO_SEED_DEMO: 'false',
      PORTICO_AUDIT_KEY: TEST_AUDIT_KEY,
      PORTICO_SIGNING_KEY: signingKey,
      PORTICO_CONTEXT_SIGNING_KEY: contextSigningKey,
      PORTICO_SCHEDULER_INTERVAL_MS: String(SCHEDULER_INTERVAL_MS),
      PORTICO_WEBHOOK_POLL_MS: '50',
      // The lifecycle rounds are read from the logs.
      LOG_LEVEL: 'info',
    });
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(join(tmpdir(), `portico-instance-${i}-`));
      copyFileSync(join(t.dataDir, DEV_KEY_FILE), join(dir, DEV_KEY_FILE));
      dataDirs.push(dir);
    }
    processes.push(...(await Promise.all(dataDirs.map((dir) => startPorticoProcess(env(dir))))));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await t?.stop();
    await receiver?.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  let sent = 0;
  let turn = 0;
  const tokens = new Map<string, Promise<string>>();
  const urls = () => processes.map((p) => p.url);
  /** Posts to the next instance in turn (or the one named), with a request id of the test's own. */
  async function post(as: string | { token: string }, query: string, variables: Record<string, unknown> = {}, at?: string): Promise<GraphQLResult & { requestId: string }> {
    const url = at ?? urls()[turn++ % 3];
    sent++;
    if (typeof as === 'string' && !tokens.has(as)) tokens.set(as, t.token(as));
    const token = typeof as === 'string' ? await tokens.get(as)! : as.token;
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    // The id Portico made for the request: the audit event and the webhook payload carry it.
    const requestId = response.headers.get('x-request-id') ?? '';
    return { ...((await response.json()) as Omit<GraphQLResult, 'status'>), status: response.status, requestId };
  }

  it('loses and repeats no webhook delivery, runs the lifecycle once per tick, keeps every audit chain whole, and a revocation at one instance holds at the others on their next request', async () => {
    // Every customer subscribes to every event; what each account's chain held before is not announced to it.
    const chainedBefore = new Map<string, number>();
    for (const [i, c] of CUSTOMERS.entries()) {
      const created = await post(c.admin, CREATE_WEBHOOK, { input: { accountId: ids[c.name], url: receiver.url, events: [...EVENT_TYPES], secret: SECRET } }, urls()[i % 3]);
      expect(created.errors).toBeUndefined();
      chainedBefore.set(ids[c.name], (await em().findOneByOrFail(AuditChainHeadEntity, { accountId: ids[c.name] })).sequence);
    }

    const started = Date.now();
    const deadline = started + LOAD_MS;
    const going = () => Date.now() < deadline && sent < MAX_REQUESTS;
    const failures: string[] = [];
    /** Each write answered that announces an event: its request id and the event's type. */
    const announced: Array<{ requestId: string; type: string }> = [];
    const check = (what: string, result: GraphQLResult, good: boolean) => {
      if (!good) failures.push(`${what}: ${result.status} ${JSON.stringify(result.errors ?? result.data)}`);
      return good;
    };

    // The clients: reads and writes, each write by a customer administrator on users this client invited.
    const client = async (n: number) => {
      const customer = CUSTOMERS[n % CUSTOMERS.length];
      const mine: Array<{ id: string; fleet: boolean }> = [];
      for (let step = 0; going(); step++) {
        const kind = step % 10;
        if (kind < 6) {
          const reader = READERS[(n + step) % READERS.length];
          const r = kind % 3 === 0 ? await post(reader, VIEWER) : kind % 3 === 1 ? await post(customer.admin, ACCOUNT, { a: ids[customer.name] }) : await post(reader, USERS);
          check('read', r, r.status === 200 && !r.errors);
        } else if (kind === 6 || mine.length === 0) {
          const email = `load-${n}-${step}-${randomBytes(3).toString('hex')}@${customer.admin.split('@')[1]}`;
          const r = await post(customer.admin, INVITE, { input: { accountId: ids[customer.name], email, name: `Load ${n} ${step}`, roles: ['INSIGHT_USER'] } });
          if (check('inviteUser', r, !r.errors)) {
            mine.push({ id: r.data!.inviteUser.id, fleet: false });
            announced.push({ requestId: r.requestId, type: 'user.invited' });
          }
        } else {
          const user = mine[step % mine.length];
          const r = await post(customer.admin, user.fleet ? REVOKE_ROLE : ASSIGN, { userId: user.id, role: 'FLEET_ADMINISTRATOR' });
          if (check(user.fleet ? 'revokeRole' : 'assignRole', r, !r.errors)) {
            announced.push({ requestId: r.requestId, type: user.fleet ? 'role.revoked' : 'role.assigned' });
            user.fleet = !user.fleet;
          }
        }
      }
    };

    // Revocations: a session started at one instance and accepted by all three is ended (or its grant revoked) at
    // one of them, in turn; the other two refuse its token on their very next request.
    const revocations: Array<{ at: number; how: string; answers: unknown[][] }> = [];
    const revoker = async () => {
      for (let cycle = 0; going(); cycle++) {
        const grant = await post('admin@acme.example', GRANT, { input: { customerAccountId: ids['Acme Logistics'], partnerAccountId: ids['Northwind Telecom'], rights: ['tickets:create'] } });
        if (!check('grantImpersonation', grant, !grant.errors)) return;
        const start = await post('ppm@northwind.example', START, { customer: ids['Acme Logistics'] });
        if (!check('startImpersonation', start, !start.errors)) return;
        announced.push({ requestId: start.requestId, type: 'impersonation.session.started' });
        const { token, session } = start.data!.startImpersonation;
        for (const url of urls()) {
          const r = await post({ token }, VIEWER, {}, url);
          check('a started session at every instance', r, !r.errors && r.data?.viewer.impersonation?.id === session.id);
        }
        const at = cycle % 3;
        const ending = cycle % 2 === 0;
        const answered = ending
          ? await post('admin@acme.example', END, { id: session.id }, urls()[at])
          : await post('admin@acme.example', REVOKE_GRANT, { id: grant.data!.grantImpersonation.id }, urls()[at]);
        if (!check(ending ? 'endImpersonation' : 'revokeImpersonationGrant', answered, !answered.errors)) return;
        announced.push({ requestId: answered.requestId, type: ending ? 'impersonation.session.ended' : 'impersonation.grant.revoked' });
        const others = urls().filter((_, i) => i !== at);
        revocations.push({ at, how: ending ? 'ended' : 'revoked', answers: await Promise.all(others.map(async (url) => codesOf(await post({ token }, VIEWER, {}, url)))) });
        if (ending) {
          const revoked = await post('admin@acme.example', REVOKE_GRANT, { id: grant.data!.grantImpersonation.id });
          if (!check('revokeImpersonationGrant', revoked, !revoked.errors)) return;
          announced.push({ requestId: revoked.requestId, type: 'impersonation.grant.revoked' });
        }
      }
    };

    // Lifecycle work falling due while the load runs, written straight to the database: sessions and grants whose
    // end passed, and delegation requests left unanswered.
    const due = { sessions: [] as string[], grants: [] as string[], requests: [] as string[] };
    const scheduled = async () => {
      while (going()) {
        const now = Date.now();
        const grants = Array.from({ length: 2 }, () => ({
          id: randomUUID(),
          customerAccountId: ids['Acme Logistics'],
          partnerAccountId: ids['Northwind Telecom'],
          rights: ['tickets:create'],
          grants: [],
          expiresAt: new Date(now - 60_000),
          grantedByUserId: ids.manager,
          createdAt: new Date(now - 2 * DAY),
          revokedAt: null,
          revokedByUserId: null,
          requestedByUserId: null,
          requestReason: null,
          approvedAt: null,
          expiredAt: null,
        }));
        const sessions = grants.map((grant) => ({
          id: randomUUID(),
          grantId: grant.id,
          actorUserId: ids.manager,
          partnerAccountId: ids['Northwind Telecom'],
          customerAccountId: ids['Acme Logistics'],
          reason: 'ticket',
          startedAt: new Date(now - 2 * 60 * 60_000),
          expiresAt: new Date(now - 60 * 60_000),
          endedAt: null,
          endedByUserId: null,
          expiredAt: null,
        }));
        const request = {
          id: randomUUID(),
          partnerAccountId: ids['Northwind Telecom'],
          delegateUserId: ids.manager,
          customerAccountId: ids.Globex,
          roles: ['PORTAL_ADMINISTRATOR'],
          durationDays: 30,
          status: 'PENDING' as const,
          requestedByUserId: ids.manager,
          requestedAt: new Date(now - 91 * DAY),
          approvedByUserId: null,
          approvedAt: null,
          expiresAt: null,
          terminatedByUserId: null,
          terminatedAt: null,
          autoExtend: false,
        };
        await em().insert(ImpersonationGrantEntity, grants);
        await em().insert(ImpersonationSessionEntity, sessions);
        await em().insert(DelegatedAdminRelationshipEntity, request);
        due.grants.push(...grants.map((g) => g.id));
        due.sessions.push(...sessions.map((s) => s.id));
        due.requests.push(request.id);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    };

    await Promise.all([...Array.from({ length: CLIENTS }, (_, n) => client(n)), revoker(), scheduled()]);
    const loadMs = Date.now() - started;
    expect({ failed: failures.length, first: failures.slice(0, 5) }).toEqual({ failed: 0, first: [] });
    expect(sent).toBeGreaterThan(200);

    // Revocation: every cycle's token was refused by both other instances at once.
    expect(revocations.length).toBeGreaterThanOrEqual(3);
    expect(new Set(revocations.map((r) => r.at)).size).toBe(3);
    for (const r of revocations) expect(r.answers).toEqual([['UNAUTHENTICATED'], ['UNAUTHENTICATED']]);

    // The lifecycle work written during the load is all done (the warnings' counterparts here: sessions first, the
    // unanswered requests after them in a round), each item once.
    const handled = async (action: string, targets: string[]) => em().countBy(AuditEventEntity, { action, targetId: In(targets) });
    await until(async () => (await handled('impersonation.expire', due.sessions)) === due.sessions.length && (await handled('delegation.expire', due.requests)) === due.requests.length, 'the lifecycle work');
    const scheduledEvents = await em().findBy(AuditEventEntity, { actorUserId: SCHEDULER_ACTOR_ID });
    const times = (targets: string[]) => targets.map((id) => scheduledEvents.filter((e) => e.targetId === id).length);
    expect(times(due.sessions)).toEqual(due.sessions.map(() => 1));
    expect(times(due.grants)).toEqual(due.grants.map(() => 1));
    expect(times(due.requests)).toEqual(due.requests.map(() => 1));

    // One round per tick across the three: each round (one request id, one instant) was logged by one instance, all
    // by the lease's holder, and no two rounds started within one interval of each other.
    const rounds = new Map<string, number>();
    for (const p of processes) {
      for (const line of p.output().split('\n')) {
        if (!line.includes('"lifecycle round"')) continue;
        const entry = JSON.parse(line) as { requestId: string; pid: number };
        expect(rounds.has(entry.requestId)).toBe(false);
        rounds.set(entry.requestId, entry.pid);
      }
    }
    const roundStarts = new Map<string, number>();
    for (const e of scheduledEvents) roundStarts.set(e.requestId, e.occurredAt.getTime());
    expect([...roundStarts.keys()].sort()).toEqual([...rounds.keys()].sort());
    const lease = await em().findOneByOrFail(SchedulerLeaseEntity, { name: 'lifecycle' });
    expect([...new Set(rounds.values())].map((pid) => `${pid}-`)).toEqual([lease.holder.slice(0, lease.holder.indexOf('-') + 1)]);
    const starts = [...roundStarts.values()].sort((a, b) => a - b);
    expect(starts.length).toBeGreaterThan(3);
    const gaps = starts.slice(1).map((s, i) => s - starts[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(SCHEDULER_INTERVAL_MS);

    // Webhooks: every event of the customers' accounts since their webhook was created reaches the receiver once.
    const webhooks = await em().findBy(WebhookEntity, { accountId: In(CUSTOMERS.map((c) => ids[c.name])) });
    expect(webhooks).toHaveLength(CUSTOMERS.length);
    const expected = new Set<string>();
    for (const [accountId, sequence] of chainedBefore) {
      for (const event of await em().findBy(OutboxEventEntity, { accountId, sequence: MoreThan(sequence) })) expected.add(event.id);
    }
    const settled = async () =>
      (await em().countBy(WebhookDeliveryEntity, { webhookId: In(webhooks.map((w) => w.id)), status: 'PENDING' })) === 0 && [...expected].every((id) => receiver.received.some((r) => r.id === id));
    await until(settled, 'every delivery to be made');
    const deliveries = await em().findBy(WebhookDeliveryEntity, { webhookId: In(webhooks.map((w) => w.id)) });
    expect(new Set(deliveries.map((d) => d.eventId))).toEqual(expected);
    expect(deliveries.filter((d) => d.status !== 'DELIVERED' || d.attempts !== 1)).toEqual([]);
    const receivedIds = receiver.received.map((r) => r.id);
    expect(receivedIds.length).toBe(expected.size);
    expect(new Set(receivedIds)).toEqual(expected);
    // Each is Portico's, signed, and every write answered that announces an event is among them.
    const verifier = new Verifier(SECRET);
    const bodies = receiver.received.map((r) => verifier.verify(r.body, r.headers as Record<string, string>) as { type: string; data: { requestId: string } });
    const arrived = new Set(bodies.map((b) => `${b.data.requestId} ${b.type}`));
    expect(announced.filter((a) => !arrived.has(`${a.requestId} ${a.type}`))).toEqual([]);
    expect(bodies.filter((b) => b.data.requestId.startsWith('scheduler-')).length).toBe(due.sessions.length + due.grants.length + due.requests.length);

    // The audit trail: every account's chain verifies under the one key, read here and by each instance.
    const accounts = await chainedAccountIds(em());
    expect(accounts.length).toBeGreaterThanOrEqual(CUSTOMERS.length);
    for (const accountId of accounts) {
      const report = await verifyAuditChain(em(), accountId);
      expect({ accountId, ...report }).toMatchObject({ accountId, ok: true, checked: await em().countBy(AuditEventEntity, { subjectAccountId: accountId }) });
    }
    for (const [i, c] of CUSTOMERS.entries()) {
      const r = await post(c.admin, INTEGRITY, { a: ids[c.name] }, urls()[i % 3]);
      expect(r.data?.auditIntegrity).toMatchObject({ ok: true, firstBrokenEventId: null });
    }
    // For the report: how much the load did.
    console.log(`three instances: ${sent} requests in ${loadMs} ms, ${announced.length} announced writes, ${expected.size} webhook deliveries, ${rounds.size} lifecycle rounds, ${revocations.length} revocations`);
  });
});
