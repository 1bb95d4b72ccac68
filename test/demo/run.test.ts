import { mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PRESETS } from '../../src/config';
import { describeDemo, startDemo } from '../../scripts/demo-run';

// What `npm run demo` starts (the embedded SQLite database: the demo's own, one per preset).
describe('npm run demo', () => {
  const dataRoot = mkdtempSync(join(tmpdir(), 'portico-demo-'));
  afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

  const ask = async (url: string, token: string, query: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
    return (await response.json()) as { data?: Record<string, any>; errors?: Array<{ path: Array<string | number>; extensions: { code: string } }> };
  };

  it('starts a gateway per preset composing its subgraph, and the printed example answers through it', async () => {
    const demo = await startDemo({ presets: [...PRESETS], gatewayPort: 0, subgraphPort: 0, dataRoot });
    try {
      expect(demo.gateways.map((g) => [g.preset, g.subgraphs.map((s) => s.name)])).toEqual([
        ['dstny', ['tickets']],
        ['appdirect', ['offers']],
        ['unifyr', ['leads']],
      ]);
      const [dstny, appdirect, unifyr] = await Promise.all(demo.gateways.map(async (g) => ({ g, example: (await g.example())! })));

      const tickets = await ask(dstny.g.portico.url, dstny.example.token, dstny.example.query);
      expect(tickets.errors).toBeUndefined();
      expect(tickets.data!.account.name).toBe('Acme Logistics');
      expect(tickets.data!.account.tickets.map((t: { number: string }) => t.number)).toEqual(['T-1003', 'T-1002', 'T-1001']);
      expect(tickets.data!.account.deliveries).toHaveLength(3);

      // a Technical Manager: retail prices, never cost prices
      const offers = await ask(appdirect.g.portico.url, appdirect.example.token, appdirect.example.query);
      expect(offers.data!.offers.map((o: Record<string, unknown>) => [o.retailPrice !== null, o.suggestedRetailPrice, o.cost])).toEqual(Array(4).fill([true, null, null]));
      expect(new Set(offers.errors!.map((e) => e.extensions.code))).toEqual(new Set(['UNAUTHORIZED_FIELD_OR_TYPE']));

      // What it prints: each preset's playground (which answers with its page) before its ready curl.
      const printed = await describeDemo(demo.gateways);
      for (const g of demo.gateways) {
        const playground = new URL('/playground', g.portico.url).toString();
        const at = printed.indexOf(`[${g.preset}] playground: ${playground}`);
        expect(at).toBeGreaterThan(-1);
        expect(printed[at + 1]).toMatch(new RegExp(`^\\[${g.preset}\\] try it as `));
        const page = await fetch(playground, { headers: { accept: 'text/html' } });
        expect([page.status, page.headers.get('content-type')]).toEqual([200, expect.stringMatching(/^text\/html/)]);
      }

      const leads = await ask(unifyr.g.portico.url, unifyr.example.token, unifyr.example.query);
      expect(leads).toEqual({ data: { account: { name: 'Northwind Solutions', leads: [
        { company: 'Fabrikam Inc.', source: 'MARKETING', stage: 'NEW' },
        { company: 'Tailspin Toys', source: 'DISTRIBUTED', stage: 'CONTACTED' },
      ] } } });
    } finally {
      await demo.stop();
    }
    // A database's -wal and -shm files belong to it (SQLite may keep them until the process exits).
    const files = readdirSync(join(dataRoot, 'dstny')).filter((name) => !/-(wal|shm)$/.test(name));
    expect(files.sort()).toEqual(['audit-key', 'context-signing-key.json', 'demo-tickets.sqlite', 'dev-secrets-key', 'dev-signing-key.json', 'portico.sqlite']);
  });

  it('a restart keeps what was there: the same accounts, the same rows', async () => {
    const demo = await startDemo({ presets: ['dstny'], gatewayPort: 0, subgraphPort: 0, dataRoot });
    try {
      const example = (await demo.gateways[0].example())!;
      const result = await ask(demo.gateways[0].portico.url, example.token, example.query);
      expect(result.errors).toBeUndefined();
      expect(result.data!.account.tickets.map((t: { number: string }) => t.number)).toEqual(['T-1003', 'T-1002', 'T-1001']);
    } finally {
      await demo.stop();
    }
  });
});
