import { randomUUID } from 'crypto';
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { appendAuditEvent, auditEventHash } from '../../src/storage/audit-chain';
import { AccountEntity, AuditChainHeadEntity, AuditEventEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { ok, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const NORTHWIND = 'am@northwind.example';
const UMBRELLA = 'am@umbrella.example';
const MANY = 200_000;

// A collection before each sample measures what is alive, not how far the collector happens to lag behind.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const liveHeap = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};
const SEARCH = `query($accountId: ID!, $filter: AuditEventFilter, $after: String) {
  auditEvents(accountId: $accountId, filter: $filter, first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } }
}`;

/** Minimal RFC 4180 reader for the checks: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

describe.each(databaseKinds())('exporting the audit trail on %s', (kind) => {
  let t: TestPortico;
  let umbrella: AccountEntity;
  let northwind: AccountEntity;
  let exportUrl: (params: Record<string, string>) => string;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'appdirect');
    [umbrella, northwind] = await Promise.all([t.account('Umbrella Direct'), t.account('Northwind Cloud')]);
    exportUrl = (params) => `${t.portico.url.replace(/\/graphql$/, '')}/audit/export?${new URLSearchParams(params)}`;
    const actor = await t.user(UMBRELLA);
    // 200,000 chained events for one account, written in large batches (as a long-lived tenant would have them).
    const base = Date.parse('2023-01-01T00:00:00.000Z');
    let previousHash: string | null = null;
    for (let start = 0; start < MANY; start += 1_000) {
      const rows: AuditEventEntity[] = [];
      for (let i = start; i < start + 1_000; i++) {
        const event: AuditEventEntity = Object.assign(new AuditEventEntity(), {
          id: randomUUID(),
          occurredAt: new Date(base + i * 1_000),
          actorUserId: actor.id,
          subjectAccountId: umbrella.id,
          subjectUserId: actor.id,
          action: i % 2 ? 'user.setContactRoles' : 'user.assignRole',
          targetType: 'User',
          targetId: actor.id,
          requestId: `bulk-${i}`,
          impersonationSessionId: null,
          delegatedRelationshipId: null,
          details: { i, note: 'said "hello", then left\nfor the day', formula: '=SUM(A1:A9)' },
          sequence: i + 1,
          previousHash,
        });
        event.hash = auditEventHash(event);
        previousHash = event.hash;
        rows.push(event);
      }
      await t.portico.services.db.manager.insert(AuditEventEntity, rows as never);
    }
    await t.portico.services.db.manager.insert(AuditChainHeadEntity, { accountId: umbrella.id, sequence: MANY, hash: previousHash });
    // A smaller, varied trail across Northwind's subtree, to compare the export with auditEvents.
    const accounts = await t.portico.services.db.manager.find(AccountEntity);
    const subtree = accounts.filter((a) => a.path.startsWith(northwind.path));
    const users = await t.portico.services.db.manager.find(UserEntity);
    await t.portico.services.db.transaction(async (em) => {
      for (let i = 0; i < 400; i++) {
        await appendAuditEvent(em, {
          occurredAt: new Date(base + i * 60_000),
          actorUserId: users[i % users.length].id,
          subjectAccountId: subtree[i % subtree.length].id,
          action: ['role.x', 'role.y', 'role.z'][i % 3],
          targetType: 'Account',
          targetId: subtree[i % subtree.length].id,
          requestId: `mixed-${i}`,
          details: i % 5 === 0 ? { reason: '+1, "quoted"' } : null,
        });
      }
    });
  }, 600_000);
  afterAll(() => t?.stop());

  it('streams 200,000 events in constant memory, every line parsing, newest first', async () => {
    const response = await fetch(exportUrl({ accountId: umbrella.id, format: 'ndjson' }), { headers: { authorization: `Bearer ${await t.token(UMBRELLA)}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let rest = '';
    let lines = 0;
    let bytes = 0;
    let previous: { at: string; id: string } | null = null;
    let outOfOrder = 0;
    let trailer: { checkpoint: { chains: Array<{ accountId: string; sequence: number; hash: string }> } } | undefined;
    const heap: number[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      const text = rest + decoder.decode(value, { stream: true });
      const parts = text.split('\n');
      rest = parts.pop()!;
      for (const part of parts) {
        expect(trailer).toBeUndefined();
        if (part.startsWith('{"checkpoint":')) {
          trailer = JSON.parse(part) as typeof trailer;
          continue;
        }
        const event = JSON.parse(part) as { id: string; occurredAt: string; subjectAccountId: string; details: { i: number } };
        if (event.subjectAccountId !== umbrella.id) outOfOrder++;
        if (previous && !(event.occurredAt < previous.at || (event.occurredAt === previous.at && event.id < previous.id))) outOfOrder++;
        previous = { at: event.occurredAt, id: event.id };
        if (++lines % 10_000 === 0) heap.push(liveHeap());
      }
    }
    expect(rest).toBe('');
    expect(lines).toBe(MANY);
    expect(outOfOrder).toBe(0);
    // The last line signs the chain's head as it stood: all 200,000 events, the newest's hash.
    const head = await t.portico.services.db.manager.findOneByOrFail(AuditChainHeadEntity, { accountId: umbrella.id });
    expect(trailer!.checkpoint.chains).toEqual([{ accountId: umbrella.id, sequence: MANY, hash: head.hash }]);
    // Over 100 MB went through; the heap (server and reader share this process) moved by far less.
    expect(bytes).toBeGreaterThan(100_000_000);
    const settled = heap.slice(2);
    expect(Math.max(...settled) - Math.min(...settled)).toBeLessThan(16 * 1024 * 1024);
  }, 600_000);

  it.each([
    { title: 'the partner\'s own account', as: NORTHWIND, filter: {} },
    { title: 'its subtree', as: NORTHWIND, filter: { includeDescendants: true } },
    { title: 'its subtree, one action, a date range', as: NORTHWIND, filter: { includeDescendants: true, action: 'role.y', from: '2023-01-01T01:00:00.000Z', to: '2023-01-01T05:00:00.000Z' } },
  ])('exports exactly what auditEvents shows: $title, as NDJSON and CSV', async ({ as, filter }) => {
    const graph: string[] = [];
    let after: string | undefined;
    do {
      const page = ok(await t.gql(as, SEARCH, { accountId: northwind.id, filter, after })).auditEvents;
      graph.push(...page.nodes.map((n: { id: string }) => n.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined;
    } while (after);
    expect(graph.length).toBeGreaterThan(0);
    const params = Object.fromEntries(Object.entries({ accountId: northwind.id, ...filter }).map(([k, v]) => [k, String(v)]));
    const headers = { authorization: `Bearer ${await t.token(as)}` };
    const ndjson = (await (await fetch(exportUrl({ ...params, format: 'ndjson' }), { headers })).text()).trimEnd().split('\n');
    // Every line an event, as auditEvents lists them, then the signed checkpoint.
    expect(ndjson.slice(0, -1).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(graph);
    expect(Object.keys(JSON.parse(ndjson[ndjson.length - 1]) as object)).toEqual(['checkpoint']);
    const csv = parseCsv(await (await fetch(exportUrl({ ...params, format: 'csv' }), { headers })).text());
    expect(csv[0].slice(0, 3)).toEqual(['id', 'occurredAt', 'sequence']);
    expect(csv.slice(1).map((row) => row[0])).toEqual(graph);
    expect(csv.slice(1).every((row) => row.length === csv[0].length)).toBe(true);
  });

  it('quotes CSV cells with commas, quotes and line breaks so they read back whole', async () => {
    const csv = await (await fetch(exportUrl({ accountId: umbrella.id, format: 'csv', from: '2023-01-03T07:33:19.000Z' }), { headers: { authorization: `Bearer ${await t.token(UMBRELLA)}` } })).text();
    const rows = parseCsv(csv);
    const details = JSON.parse(rows[1][rows[0].indexOf('details')]) as { note: string; formula: string };
    expect(details).toMatchObject({ note: 'said "hello", then left\nfor the day', formula: '=SUM(A1:A9)' });
  });

  it.each([
    { title: 'no token', token: false, params: () => ({ accountId: umbrella.id }), status: 401, code: 'UNAUTHENTICATED' },
    { title: "another tenant's account", as: NORTHWIND, params: () => ({ accountId: umbrella.id }), status: 404, code: 'NOT_FOUND' },
    { title: 'a user without the audit right', as: 'billing@northwind.example', params: () => ({ accountId: northwind.id }), status: 403, code: 'FORBIDDEN' },
    { title: 'an unknown format', as: OPERATOR, params: () => ({ accountId: umbrella.id, format: 'xlsx' }), status: 400, code: 'BAD_USER_INPUT' },
    { title: 'a date that is none', as: OPERATOR, params: () => ({ accountId: umbrella.id, from: 'yesterday' }), status: 400, code: 'BAD_USER_INPUT' },
    { title: 'no account', as: OPERATOR, params: () => ({}), status: 400, code: 'BAD_USER_INPUT' },
  ])('refuses $title with $status $code', async ({ as, token, params, status, code }) => {
    const headers: Record<string, string> = token === false ? {} : { authorization: `Bearer ${await t.token(as!)}` };
    const response = await fetch(exportUrl(params()), { headers });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors.map((e) => e.extensions.code)).toEqual([code]);
  });
});
