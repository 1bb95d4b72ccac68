import { AccountEntity, AuditEventEntity, UserEntity } from '../../src/storage/entities';
import { runCommand } from '../support/commands';
import { databaseKinds } from '../support/databases';
import { codes, ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const ACME = 'am@acme.example';
const CONTOSO = 'am@contoso.example';
const CONTACT_ROLES = 'mutation($userId: ID!, $roles: [ContactRole!]!) { setContactRoles(userId: $userId, roles: $roles) { id } }';
const INTEGRITY = 'query($accountId: ID!) { auditIntegrity(accountId: $accountId) { ok checked firstBrokenEventId } }';
const CHAIN = 'query($accountId: ID!) { auditEvents(accountId: $accountId, first: 100) { nodes { id sequence hash previousHash } } }';

describe.each(databaseKinds())('the audit hash chain on %s', (kind) => {
  let t: TestPortico;
  let acme: AccountEntity;
  let initech: AccountEntity;
  const em = () => t.portico.services.db.manager;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'appdirect');
    [acme, initech] = await Promise.all([t.account('Acme Retail'), t.account('Initech')]);
  });
  afterAll(() => t?.stop());

  it('stays one unbroken chain per account under 50 concurrent mutations', async () => {
    const targets = await em().findBy(UserEntity, { accountId: acme.id });
    const initechUser = await t.user('am@initech.example');
    const [acmeToken, contosoToken] = await Promise.all([t.token(ACME), t.token(CONTOSO)]);
    const roles = ['TECHNICAL_CONTACT', 'BILLING_CONTACT', 'COMMERCIAL_CONTACT'];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 5 === 4
          ? t.gql({ token: contosoToken }, CONTACT_ROLES, { userId: initechUser.id, roles: [roles[i % 3]] })
          : t.gql({ token: acmeToken }, CONTACT_ROLES, { userId: targets[i % targets.length].id, roles: [roles[i % 3]] }),
      ),
    );
    expect(results.map(codes).flat()).toEqual([]);
    for (const account of [acme, initech]) {
      const events = await em().find(AuditEventEntity, { where: { subjectAccountId: account.id }, order: { sequence: 'ASC' } });
      expect(events.length).toBe(account === acme ? 40 : 10);
      expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
      expect(events.map((e) => e.previousHash)).toEqual([null, ...events.slice(0, -1).map((e) => e.hash)]);
      const report = ok(await t.gql(account === acme ? ACME : CONTOSO, INTEGRITY, { accountId: account.id })).auditIntegrity;
      expect(report).toEqual({ ok: true, checked: events.length, firstBrokenEventId: null });
    }
  });

  it('shows each event its hash and the one before it: lowercase hex SHA-256, the first with none', async () => {
    const nodes = ok(await t.gql(ACME, CHAIN, { accountId: acme.id })).auditEvents.nodes as Array<{ sequence: number; hash: string; previousHash: string | null }>;
    const bySequence = [...nodes].sort((a, b) => a.sequence - b.sequence);
    expect(bySequence[0].previousHash).toBeNull();
    for (const node of bySequence) expect(node.hash).toMatch(/^[0-9a-f]{64}$/);
    bySequence.slice(1).forEach((node, i) => expect(node.previousHash).toBe(bySequence[i].hash));
  });

  it("reads another tenant's integrity as not found, and a user without the audit right is forbidden", async () => {
    await refused(t, CONTOSO, INTEGRITY, { accountId: acme.id }, 'NOT_FOUND');
    await refused(t, 'billing@acme.example', INTEGRITY, { accountId: acme.id }, 'FORBIDDEN');
  });

  describe('after a row is edited behind Portico\'s back', () => {
    let tampered: AuditEventEntity;
    beforeAll(async () => {
      const events = await em().find(AuditEventEntity, { where: { subjectAccountId: acme.id }, order: { sequence: 'ASC' } });
      tampered = events[17];
      await t.portico.services.db.dataSource.query('UPDATE audit_events SET details = ? WHERE id = ?', [JSON.stringify({ from: [], to: ['BILLING_CONTACT'] }), tampered.id]);
    });

    it('auditIntegrity names the first broken link', async () => {
      expect(ok(await t.gql(ACME, INTEGRITY, { accountId: acme.id })).auditIntegrity).toEqual({ ok: false, checked: 18, firstBrokenEventId: tampered.id });
      // The other account's chain is untouched.
      expect(ok(await t.gql(CONTOSO, INTEGRITY, { accountId: initech.id })).auditIntegrity.ok).toBe(true);
    });

    it('npm run audit:verify names it too, and fails', async () => {
      const env: NodeJS.ProcessEnv = { ...process.env, PORTICO_DATA_DIR: t.dataDir, NODE_ENV: 'test' };
      delete env.DATABASE_URL;
      if (t.portico.services.config.databaseUrl) env.DATABASE_URL = t.portico.services.config.databaseUrl;
      const { status, stdout } = await runCommand('npm', ['run', '--silent', 'audit:verify'], env);
      expect(stdout).toContain(`account ${acme.id}: BROKEN at event ${tampered.id} after 18 events checked`);
      expect(stdout).toMatch(/^tampered: \d+ accounts, \d+ events checked, 1 broken chain$/m);
      expect(status).toBe(1);
    });

    it('a deleted last event is reported too', async () => {
      const events = await em().find(AuditEventEntity, { where: { subjectAccountId: initech.id }, order: { sequence: 'ASC' } });
      await t.portico.services.db.dataSource.query('DELETE FROM audit_events WHERE id = ?', [events[events.length - 1].id]);
      expect(ok(await t.gql(CONTOSO, INTEGRITY, { accountId: initech.id })).auditIntegrity).toEqual({ ok: false, checked: events.length - 1, firstBrokenEventId: events[events.length - 2].id });
    });
  });
});
