import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig, type PorticoConfig } from '../../src/config';
import { startDemoSubgraph } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import { CONTEXT_JWKS_PATH, startPortico } from '../../src/gateway/server';
import { createMysqlDatabase, databaseKinds } from '../support/databases';

describe.each(databaseKinds())('start-up progress (%s)', (kind) => {
  let dataDir: string;
  let mysql: { url: string; drop(): Promise<void> } | undefined;
  let config: PorticoConfig;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portico-progress-'));
    mysql = kind === 'mysql' ? await createMysqlDatabase() : undefined;
    config = { ...loadConfig({ NODE_ENV: 'test' }), port: 0, dataDir, databaseUrl: mysql?.url, seedDemo: true };
  });
  afterAll(async () => {
    await mysql?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports each migration and demo tenant as it starts, then a one-line summary of each', async () => {
    const lines: string[] = [];
    const portico = await startPortico(config, (line) => lines.push(line));
    await portico.stop();
    expect(lines).toEqual([
      'migration 1/15: InitialSchema1732280000000…',
      'migration 2/15: ImpersonationAndDelegation1732380000000…',
      'migration 3/15: ExternalIdentities1733000000000…',
      'migration 4/15: CanonicalEmails1733100000000…',
      'migration 5/15: AuditSearchAndChain1733200000000…',
      'migration 6/15: OutboxAndWebhooks1733210000000…',
      'migration 7/15: ImpersonationRequests1733300000000…',
      'migration 8/15: LifecycleScheduler1733400000000…',
      'migration 9/15: AuthorizationDecisions1733410000000…',
      'migration 10/15: PartnerGroups1733500000000…',
      'migration 11/15: Revisions1733600000000…',
      'migration 12/15: Views1733700000000…',
      'migration 13/15: AccountSettings1733720000000…',
      'migration 14/15: Communications1733730000000…',
      'migration 15/15: UserSettings1733740000000…',
      expect.stringMatching(/^migrations: applied 15 in \d+ ms; the schema is at UserSettings1733740000000$/),
      'seeding dstny demo tenant 1/3: Northwind Telecom',
      'seeding dstny demo tenant 2/3: Contoso Networks',
      'seeding dstny demo tenant 3/3: Umbrella Direct',
      expect.stringMatching(/^seeded 6 demo accounts for the dstny preset in \d+ ms$/),
    ]);
  });

  it('says so when it seeds no demo data', async () => {
    const lines: string[] = [];
    const portico = await startPortico({ ...config, seedDemo: false }, (line) => lines.push(line));
    await portico.stop();
    expect(lines).toContain("demo data: not seeded (PORTICO_SEED_DEMO=true seeds the dstny preset's demo tenants into an empty database)");
  });

  it('says in one line that an up-to-date database needed nothing, and seeds nothing twice', async () => {
    const lines: string[] = [];
    const portico = await startPortico(config, (line) => lines.push(line));
    await portico.stop();
    expect(lines).toEqual([`database schema up to date (15 migrations, ${kind === 'sqlite' ? 'SQLite' : 'MySQL/MariaDB'})`]);
  });

  it('reports each subgraph read for composition and a summary', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const tickets = await startDemoSubgraph('tickets', { porticoUrl: `${base}/graphql`, contextJwksUrl: `${base}${CONTEXT_JWKS_PATH}` });
    const lines: string[] = [];
    try {
      const portico = await startPortico({ ...config, port, subgraphs: [{ name: 'tickets', url: tickets.url }] }, (line) => lines.push(line));
      await portico.stop();
    } finally {
      await tickets.stop();
    }
    expect(lines).toEqual([
      expect.stringMatching(/^database schema up to date/),
      `composition: read subgraph tickets (1/1) from ${tickets.url}`,
      expect.stringMatching(/^composed the access-control graph with tickets in \d+ ms \(\d+ lines of supergraph\)$/),
      expect.stringMatching(/^gateway serving access-control, tickets; enforcement filter, \d+ fields checked before planning$/),
    ]);
  });
});
