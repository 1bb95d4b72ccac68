import { randomUUID } from 'crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { get } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig } from '../../src/config';
import { AuditCheckpointer } from '../../src/domain/audit-checkpointer';
import { startPortico } from '../../src/gateway/server';
import { auditEventHash } from '../../src/storage/audit-chain';
import { checkedCheckpoint } from '../../src/storage/audit-checkpoints';
import { AuditKey } from '../../src/storage/audit-key';
import { AccountEntity, AuditChainHeadEntity, AuditEventEntity, UserEntity } from '../../src/storage/entities';
import { REPOSITORY_ROOT, runCommand } from '../support/commands';
import { databaseKinds } from '../support/databases';
import { buildPortico } from '../support/processes';
import { ok, startTestPortico, type TestPortico } from '../support/portico';

const ACME = 'am@acme.example';
const CONTOSO = 'am@contoso.example';
const NORTHWIND = 'am@northwind.example';
const CONTACT_ROLES = 'mutation($userId: ID!, $roles: [ContactRole!]!) { setContactRoles(userId: $userId, roles: $roles) { id } }';
const INTEGRITY = 'query($accountId: ID!) { auditIntegrity(accountId: $accountId) { ok checked firstBrokenEventId } }';

describe('a production start without PORTICO_AUDIT_KEY', () => {
  it('is refused before anything is opened, naming the variable and how to make a key', async () => {
    const config = { ...loadConfig({ NODE_ENV: 'test' }), environment: 'production' as const, port: 0, dataDir: '/nonexistent/portico', jwksUrl: 'https://idp.test/jwks.json', jwtIssuer: 'https://idp.test/', jwtAudience: 'portico' };
    await expect(startPortico(config)).rejects.toMatchObject({
      name: 'ConfigError',
      message: 'PORTICO_AUDIT_KEY=(unset) is not valid: expected a secret of at least 32 characters, kept outside the database (openssl rand -base64 32 makes one) when NODE_ENV=production',
    });
  });
});

describe.each(databaseKinds())('audit checkpoints on %s', (kind) => {
  let t: TestPortico;
  let checkpoints: string;
  let acme: AccountEntity;
  let initech: AccountEntity;
  let signer: AuditCheckpointer;
  const em = () => t.portico.services.db.manager;
  const chainOf = (account: AccountEntity) => em().find(AuditEventEntity, { where: { subjectAccountId: account.id }, order: { sequence: 'ASC' } });

  /** `npm run audit:verify` as an operator runs it, on this suite's database, with the paths given. */
  const verify = (args: string[] = [], env: Record<string, string> = {}) => {
    const config = t.portico.services.config;
    const vars: NodeJS.ProcessEnv = { ...process.env, PORTICO_DATA_DIR: t.dataDir, PORTICO_AUDIT_CHECKPOINTS: checkpoints, NODE_ENV: 'test', ...env };
    delete vars.DATABASE_URL;
    if (config.databaseUrl) vars.DATABASE_URL = config.databaseUrl;
    return runCommand(process.execPath, [join(REPOSITORY_ROOT, 'dist', 'scripts', 'audit-verify.js'), ...args], vars);
  };

  /** Six changes on the account's users (or the one named), each an event on its chain. */
  const changeContacts = async (as: string, account: AccountEntity, only?: string) => {
    const users = only ? [await t.user(only)] : await em().findBy(UserEntity, { accountId: account.id });
    const token = await t.token(as);
    for (let i = 0; i < 6; i++) ok(await t.gql({ token }, CONTACT_ROLES, { userId: users[i % users.length].id, roles: [i % 2 ? 'BILLING_CONTACT' : 'TECHNICAL_CONTACT'] }));
  };

  /**
   * What a database writer without the key does: removes one event, renumbers the ones after it and hashes the chain
   * again from there, as the chain's published rule says, then moves the head to the new last event.
   */
  const rewriteWithout = async (account: AccountEntity, index: number, hashOf: (event: AuditEventEntity) => string) => {
    const events = await chainOf(account);
    const removed = events[index];
    await em().delete(AuditEventEntity, { id: removed.id });
    let previous = events[index - 1];
    for (const event of events.slice(index + 1)) {
      Object.assign(event, { sequence: event.sequence - 1, previousHash: previous.hash });
      event.hash = hashOf(event);
      await em().update(AuditEventEntity, { id: event.id }, { sequence: event.sequence, previousHash: event.previousHash, hash: event.hash });
      previous = event;
    }
    await em().update(AuditChainHeadEntity, { accountId: account.id }, { sequence: previous.sequence, hash: previous.hash });
    return { removed, firstRehashed: events[index + 1] };
  };

  beforeAll(async () => {
    buildPortico();
    checkpoints = mkdtempSync(join(tmpdir(), 'portico-checkpoints-'));
    t = await startTestPortico(kind, 'appdirect', { auditCheckpoints: checkpoints });
    [acme, initech] = await Promise.all([t.account('Acme Retail'), t.account('Initech')]);
    signer = new AuditCheckpointer(t.portico.services.db, t.portico.services.config, t.portico.logger);
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(checkpoints, { recursive: true, force: true });
  });

  it('chains each event with HMAC-SHA-256 under the audit key, not a hash anyone can compute', async () => {
    await changeContacts(ACME, acme);
    const events = await chainOf(acme);
    for (const event of events) {
      expect(event.hash).toBe(auditEventHash(event, t.portico.services.db.auditKey));
      expect(event.hash).not.toBe(auditEventHash(event));
    }
  });

  it('the rewrite from the issue (delete, renumber, rehash, move the head) no longer verifies', async () => {
    await signer.runOnce();
    const { firstRehashed } = await rewriteWithout(acme, 2, (event) => auditEventHash(event));
    // The chain is consistent by the old rule, which is all the old verification checked: it said ok.
    const rewritten = await chainOf(acme);
    expect(rewritten.map((e) => e.sequence)).toEqual(rewritten.map((_, i) => i + 1));
    rewritten.slice(2).forEach((event, i) => {
      expect(event.previousHash).toBe(rewritten[i + 1].hash);
      expect(event.hash).toBe(auditEventHash(event));
    });
    expect(ok(await t.gql(ACME, INTEGRITY, { accountId: acme.id })).auditIntegrity).toEqual({ ok: false, checked: 3, firstBrokenEventId: firstRehashed.id });
    const { status, stdout } = await verify();
    expect(stdout).toContain(`account ${acme.id}: BROKEN at event ${firstRehashed.id} after 3 events checked: event 3 is hashed without the audit key, after events hashed with it`);
    expect(stdout).toMatch(/^tampered: \d+ accounts, \d+ events checked, 1 broken chain$/m);
    expect(status).toBe(1);
  });

  it('a rewrite hashed under a key of the writer\'s own does not verify either', async () => {
    await changeContacts(CONTOSO, initech, 'am@initech.example');
    const guessed = new AuditKey('a key the database writer made up, 32+ chars');
    const { firstRehashed } = await rewriteWithout(initech, 1, (event) => auditEventHash(event, guessed));
    expect(ok(await t.gql(CONTOSO, INTEGRITY, { accountId: initech.id })).auditIntegrity).toEqual({ ok: false, checked: 2, firstBrokenEventId: firstRehashed.id });
  });

  describe("an account's events deleted together with its head", () => {
    let northwind: AccountEntity;
    let exported: string;
    beforeAll(async () => {
      northwind = await t.account('Northwind Cloud');
      await changeContacts(NORTHWIND, northwind);
      // An export kept by the partner: its trailer signs the chain as it stood.
      const response = await fetch(`${t.portico.url.replace(/\/graphql$/, '')}/audit/export?accountId=${northwind.id}`, { headers: { authorization: `Bearer ${await t.token(NORTHWIND)}` } });
      exported = join(checkpoints, '..', `${randomUUID()}.ndjson`);
      writeFileSync(exported, await response.text());
      await signer.runOnce();
    });
    afterAll(() => rmSync(exported, { force: true }));

    it('the export trailer signs the head of the chain it was read from', async () => {
      const lines = readFileSync(exported, 'utf8').trimEnd().split('\n');
      const head = await em().findOneByOrFail(AuditChainHeadEntity, { accountId: northwind.id });
      const trailer = JSON.parse(lines[lines.length - 1]) as { checkpoint: { chains: unknown[] } };
      expect(trailer.checkpoint.chains).toEqual([{ accountId: northwind.id, sequence: head.sequence, hash: head.hash }]);
      expect(lines).toHaveLength(head.sequence + 1);
    });

    it('a CSV export carries the same signed checkpoint as its HTTP trailer', async () => {
      const url = new URL(`${t.portico.url.replace(/\/graphql$/, '')}/audit/export?accountId=${northwind.id}&format=csv`);
      const token = await t.token(NORTHWIND);
      const trailers = await new Promise<NodeJS.Dict<string>>((resolve, reject) => {
        get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.trailers)).on('error', reject);
        }).on('error', reject);
      });
      const checkpoint = JSON.parse(Buffer.from(trailers['x-portico-audit-checkpoint']!, 'base64url').toString('utf8')) as unknown;
      const head = await em().findOneByOrFail(AuditChainHeadEntity, { accountId: northwind.id });
      expect(checkedCheckpoint(t.portico.services.db.auditKey, checkpoint)).toMatchObject({ chains: [{ accountId: northwind.id, sequence: head.sequence, hash: head.hash }] });
    });

    it('shows as a break against the last checkpoint, in auditIntegrity and in npm run audit:verify', async () => {
      const signed = (await em().findOneByOrFail(AuditChainHeadEntity, { accountId: northwind.id })).sequence;
      await t.portico.services.db.dataSource.query('DELETE FROM audit_events WHERE subject_account_id = ?', [northwind.id]);
      await t.portico.services.db.dataSource.query('DELETE FROM audit_chain_heads WHERE account_id = ?', [northwind.id]);
      expect(ok(await t.gql(NORTHWIND, INTEGRITY, { accountId: northwind.id })).auditIntegrity).toEqual({ ok: false, checked: 0, firstBrokenEventId: null });
      const { status, stdout } = await verify();
      expect(stdout).toMatch(new RegExp(`^account ${northwind.id}: BROKEN at event \\(none left\\) after 0 events checked: the chain ends at event 0, but the checkpoint of \\S+ signed ${signed} events \\(checkpoint-\\S+\\.json\\)$`, 'm'));
      expect(stdout).toMatch(/^tampered: \d+ accounts, \d+ events checked, 3 broken chains$/m);
      expect(status).toBe(1);
    });

    it("an export's trailer is a checkpoint of its own: given as an argument, it shows the same break", async () => {
      const empty = mkdtempSync(join(tmpdir(), 'portico-no-checkpoints-'));
      try {
        const without = await verify([northwind.id], { PORTICO_AUDIT_CHECKPOINTS: empty });
        expect(without.stdout).toMatch(/^ok: 1 accounts, 0 events checked, 0 broken chains$/m);
        const { status, stdout } = await verify([exported, northwind.id], { PORTICO_AUDIT_CHECKPOINTS: empty });
        expect(stdout).toMatch(new RegExp(`^account ${northwind.id}: BROKEN at event \\(none left\\) after 0 events checked: .+ signed \\d+ events \\(${exported.split('/').pop()!.replace('.', '\\.')}\\)$`, 'm'));
        expect(status).toBe(1);
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    });

    it('a checkpoint changed to hide it is refused: its signature no longer matches', async () => {
      const file = readdirSync(checkpoints).sort().pop()!;
      const checkpoint = JSON.parse(readFileSync(join(checkpoints, file), 'utf8')) as { chains: Array<{ accountId: string }> };
      checkpoint.chains = checkpoint.chains.filter((c) => c.accountId !== northwind.id);
      const forged = join(checkpoints, '..', `forged-${randomUUID()}.json`);
      writeFileSync(forged, JSON.stringify(checkpoint));
      try {
        const { status, stdout } = await verify([forged, northwind.id], { PORTICO_AUDIT_CHECKPOINTS: join(checkpoints, 'none') });
        expect(stdout).toContain(`checkpoint ${forged.split('/').pop()}: REFUSED, its signature does not match: it was changed, or forged`);
        expect(status).toBe(1);
      } finally {
        rmSync(forged, { force: true });
      }
    });
  });

  describe('a chain written before there was a key', () => {
    let umbrella: AccountEntity;
    let legacy: AuditEventEntity[];
    beforeAll(async () => {
      umbrella = await t.account('Umbrella Direct');
      const actor = await t.user('am@umbrella.example');
      // As the code before the key wrote them: plain SHA-256 links.
      legacy = [];
      let previousHash: string | null = (await em().findOneBy(AuditChainHeadEntity, { accountId: umbrella.id }))?.hash ?? null;
      const start = (await em().findOneBy(AuditChainHeadEntity, { accountId: umbrella.id }))?.sequence ?? 0;
      expect(start).toBe(0);
      for (let i = 1; i <= 5; i++) {
        const event = Object.assign(new AuditEventEntity(), {
          id: randomUUID(), occurredAt: new Date(Date.UTC(2024, 0, i)), actorUserId: actor.id, subjectAccountId: umbrella.id, subjectUserId: null, action: 'user.setContactRoles',
          targetType: 'User', targetId: actor.id, requestId: `before-the-key-${i}`, impersonationSessionId: null, delegatedRelationshipId: null, details: { i }, sequence: i, previousHash,
        });
        event.hash = auditEventHash(event);
        previousHash = event.hash;
        legacy.push(event);
      }
      await em().insert(AuditEventEntity, legacy as never);
      await em().insert(AuditChainHeadEntity, { accountId: umbrella.id, sequence: legacy.length, hash: previousHash });
    });

    it('is accepted once a start with the key has signed its head, then continues under the key', async () => {
      // Until a checkpoint anchors it, an unkeyed chain is what anyone could have written.
      expect(ok(await t.gql('am@umbrella.example', INTEGRITY, { accountId: umbrella.id })).auditIntegrity).toEqual({ ok: false, checked: 1, firstBrokenEventId: legacy[0].id });
      // Another instance starts on the database, with the key and checkpoints on: its first round signs every chain.
      const before = new Set(readdirSync(checkpoints));
      const instance = await startPortico({ ...t.portico.services.config, port: 0, seedDemo: false, auditCheckpointIntervalMs: 3_600_000 });
      // Stopping waits for the round the start began.
      await instance.stop();
      const written = readdirSync(checkpoints).filter((name) => !before.has(name));
      expect(written).toHaveLength(1);
      const checkpoint = JSON.parse(readFileSync(join(checkpoints, written[0]), 'utf8')) as { type: string; keyId: string; chains: unknown[]; signature: string };
      const heads = await em().find(AuditChainHeadEntity, { order: { accountId: 'ASC' } });
      expect(checkpoint).toMatchObject({ type: 'portico.audit.checkpoint', keyId: t.portico.services.db.auditKey.id, signature: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(checkpoint.chains).toEqual(heads.map((h) => ({ accountId: h.accountId, sequence: h.sequence, hash: h.hash })));
      expect(checkpoint.chains).toContainEqual({ accountId: umbrella.id, sequence: 5, hash: legacy[4].hash });

      expect(ok(await t.gql('am@umbrella.example', INTEGRITY, { accountId: umbrella.id })).auditIntegrity).toEqual({ ok: true, checked: 5, firstBrokenEventId: null });
      await changeContacts('am@umbrella.example', umbrella);
      expect(ok(await t.gql('am@umbrella.example', INTEGRITY, { accountId: umbrella.id })).auditIntegrity).toEqual({ ok: true, checked: 11, firstBrokenEventId: null });
      const { status, stdout } = await verify([umbrella.id]);
      expect(stdout).toContain('5 events from before the audit key');
      expect(stdout).toMatch(/^ok: 1 accounts, 11 events checked, 0 broken chains$/m);
      expect(status).toBe(0);
    });

    it('an unkeyed rewrite of the events before the checkpoint breaks at the signed head', async () => {
      const { firstRehashed } = await rewriteWithout(umbrella, 1, (event) => auditEventHash(event));
      // Events 2 to 4 now hash as unkeyed events may; event 5 is no longer the one the checkpoint signed.
      expect(firstRehashed.id).toBe(legacy[2].id);
      expect(ok(await t.gql('am@umbrella.example', INTEGRITY, { accountId: umbrella.id })).auditIntegrity).toEqual({ ok: false, checked: 5, firstBrokenEventId: expect.any(String) });
    });
  });
});
