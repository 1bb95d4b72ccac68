import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { skeletonDigest } from '../../src/identifiers';
import { Database } from '../../src/storage/database';
import { canonicalEmailsOf } from '../../src/storage/migrations/1733100000000-canonical-emails';
import { createMysqlDatabase, databaseKinds } from '../support/databases';

describe('the canonical-emails migration plan', () => {
  it.each([
    {
      title: 'two spellings of one address',
      rows: [{ id: 'u1', email: 'Billing@Acme.Example' }, { id: 'u2', email: 'billing@acme.example' }],
      problems: ['Billing@Acme.Example (user u1) and billing@acme.example (user u2) are the same address'],
    },
    {
      title: 'a fullwidth spelling',
      rows: [{ id: 'u1', email: 'admin@acme.example' }, { id: 'u2', email: '\uff41dmin@acme.example' }],
      problems: ['admin@acme.example (user u1) and \uff41dmin@acme.example (user u2) are the same address'],
    },
    {
      title: 'a Cyrillic look-alike',
      rows: [{ id: 'u1', email: 'admin@acme.example' }, { id: 'u2', email: '\u0430dmin@acme.example' }],
      problems: ['admin@acme.example (user u1) and \u0430dmin@acme.example (user u2) look alike'],
    },
    {
      title: 'an email with a NUL in it, shown escaped',
      rows: [{ id: 'u1', email: 'adm\u0000in@acme.example' }],
      problems: ['adm<U+0000>in@acme.example (user u1) is not an email address: it contains U+0000, an invisible or control character'],
    },
    {
      title: 'three users on one skeleton, each paired with the first',
      rows: [{ id: 'u1', email: 'admin@acme.example' }, { id: 'u2', email: 'adrnin@acme.example' }, { id: 'u3', email: 'adm\u0131n@acme.example' }],
      problems: ['admin@acme.example (user u1) and adrnin@acme.example (user u2) look alike', 'admin@acme.example (user u1) and adm\u0131n@acme.example (user u3) look alike'],
    },
    { title: 'distinct addresses', rows: [{ id: 'u1', email: 'admin@acme.example' }, { id: 'u2', email: 'zo\u00eb@acme.example' }, { id: 'u3', email: 'zoe@acme.example' }], problems: [] },
  ])('reports $title', ({ rows, problems }) => {
    expect(canonicalEmailsOf(rows).problems).toEqual(problems);
  });

  it('rewrites every email it can read into its canonical form, with the skeleton digest', () => {
    const { rewrites } = canonicalEmailsOf([{ id: 'u1', email: 'Info@XN--MLLER-KVA.example' }, { id: 'u2', email: '\u212aatja@Acme.Example' }]);
    expect(rewrites).toEqual([
      { id: 'u1', email: 'info@m\u00fcller.example', skeleton: skeletonDigest('info@m\u00fcller.example') },
      { id: 'u2', email: 'katja@acme.example', skeleton: skeletonDigest('katja@acme.example') },
    ]);
  });
});

describe.each(databaseKinds())('the canonical-emails migration on %s', (kind) => {
  let db: Database;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-canonical-emails-'));
    const mysql = kind === 'mysql' ? await createMysqlDatabase() : undefined;
    db = await Database.open({ databaseUrl: mysql?.url, dataDir });
    // Back to the schema before it (the later migrations undone first), holding users written before emails were canonical.
    const last = async () => ((await db.dataSource.query('SELECT name FROM migrations ORDER BY timestamp DESC LIMIT 1')) as Array<{ name: string }>)[0].name;
    while ((await last()) !== 'ExternalIdentities1733000000000') await db.dataSource.undoLastMigration();
    cleanup = async () => {
      await db.close();
      await mysql?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  });
  afterAll(() => cleanup());

  const insert = (id: string, email: string) =>
    db.dataSource.query("INSERT INTO users (id, account_id, email, name, status) VALUES (?, 'a', ?, 'Someone', 'ACTIVE')", [id, email]);
  const emails = async () => ((await db.dataSource.query('SELECT id, email FROM users ORDER BY id')) as Array<{ id: string; email: string }>).map((r) => `${r.id}:${r.email}`);
  const hasSkeletonColumn = async () => (await db.dataSource.createQueryRunner().getTable('users'))!.columns.some((c) => c.name === 'email_skeleton');

  it('stops on look-alikes with a one-line report of the pairs, and changes nothing', async () => {
    await insert('u1', 'admin@acme.example');
    await insert('u2', '\u0430dmin@acme.example');
    await insert('u3', 'billing@acme.example');
    await insert('u4', 'bi1ling@acme.example');
    await insert('u5', 'Upper@Acme.Example');
    const before = await emails();
    const error = await db.migrate().then(() => null, (e: Error) => e);
    expect(error?.message).toBe(
      'migration 1733100000000-canonical-emails stopped, nothing changed: admin@acme.example (user u1) and \u0430dmin@acme.example (user u2) look alike; ' +
        'billing@acme.example (user u3) and bi1ling@acme.example (user u4) look alike. Change or remove one user of each, then start again.',
    );
    expect(error!.message).not.toContain('\n');
    expect(await emails()).toEqual(before);
    expect(await hasSkeletonColumn()).toBe(false);
    expect(await db.dataSource.showMigrations()).toBe(true);
  });

  it('once the look-alikes are gone, stores every email canonical with its skeleton digest', async () => {
    await db.dataSource.query("DELETE FROM users WHERE id IN ('u2', 'u4')");
    await insert('u6', 'Info@XN--MLLER-KVA.example');
    await db.migrate();
    expect(await db.dataSource.showMigrations()).toBe(false);
    const rows = (await db.dataSource.query('SELECT id, email, email_skeleton FROM users ORDER BY id')) as Array<{ id: string; email: string; email_skeleton: string }>;
    expect(rows).toEqual(
      [
        ['u1', 'admin@acme.example'],
        ['u3', 'billing@acme.example'],
        ['u5', 'upper@acme.example'],
        ['u6', 'info@m\u00fcller.example'],
      ].map(([id, email]) => ({ id, email, email_skeleton: skeletonDigest(email) })),
    );
  });

  it('leaves the email compared byte for byte, and the skeleton unique', async () => {
    // A case- and accent-insensitive collation would take zoë for zoe: the canonical form alone decides.
    await db.dataSource.query("INSERT INTO users (id, account_id, email, email_skeleton, name, status) VALUES ('u7', 'a', 'zo\u00eb@acme.example', ?, 'Zoë', 'ACTIVE')", [skeletonDigest('zo\u00eb@acme.example')]);
    await db.dataSource.query("INSERT INTO users (id, account_id, email, email_skeleton, name, status) VALUES ('u8', 'a', 'zoe@acme.example', ?, 'Zoe', 'ACTIVE')", [skeletonDigest('zoe@acme.example')]);
    expect(await db.dataSource.query("SELECT id FROM users WHERE email = 'zoe@acme.example'")).toEqual([{ id: 'u8' }]);
    await expect(
      db.dataSource.query("INSERT INTO users (id, account_id, email, email_skeleton, name, status) VALUES ('u9', 'a', 'adrnin@acme.example', ?, 'Twin', 'ACTIVE')", [skeletonDigest('admin@acme.example')]),
    ).rejects.toThrow(/uq_users_email_skeleton|UNIQUE constraint failed: users\.email_skeleton/);
  });
});
