import libsql from 'libsql';
import { createHash, randomUUID } from 'crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { packageRoot } from '../../src/config';
import { Database } from '../../src/storage/database';
import { AccountEntity, UserEntity } from '../../src/storage/entities';
import { runCommand } from '../support/commands';
import { buildPortico } from '../support/processes';

const freshDir = () => mkdtempSync(join(tmpdir(), 'portico-file-'));
const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const FIXTURE = join(__dirname, '..', 'fixtures', 'sqljs-era-dstny.sqlite');

/** `npm start`'s own entry point on this data directory, as a newcomer would run it. */
function startOn(dataDir: string) {
  buildPortico();
  return runCommand(process.execPath, [join(packageRoot(), 'dist', 'src', 'main.js')], { ...process.env, NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'silent', PORTICO_DATA_DIR: dataDir, DATABASE_URL: '' });
}

describe('the embedded SQLite file', () => {
  const dirs: string[] = [];
  const dir = () => {
    const made = freshDir();
    dirs.push(made);
    return made;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('is opened with a WAL journal, synchronous=FULL, a busy timeout and foreign keys, on both of its connections', async () => {
    const db = await Database.open({ dataDir: dir() });
    try {
      for (const source of [db.dataSource, (db as unknown as { writer: Database['dataSource'] }).writer]) {
        const pragma = async (name: string) => Object.values((await source.query(`PRAGMA ${name}`))[0])[0];
        expect({ journal: await pragma('journal_mode'), synchronous: await pragma('synchronous'), busy: await pragma('busy_timeout'), foreignKeys: await pragma('foreign_keys') }).toEqual({
          journal: 'wal',
          synchronous: 2,
          busy: 5000,
          foreignKeys: 1,
        });
      }
    } finally {
      await db.close();
    }
  });

  it('syncs less when PORTICO_SQLITE_SYNCHRONOUS=NORMAL says so', async () => {
    const db = await Database.open({ dataDir: dir(), sqliteSynchronous: 'NORMAL', sqliteBusyTimeoutMs: 250 });
    try {
      expect(await db.dataSource.query('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]);
      expect(await db.dataSource.query('PRAGMA busy_timeout')).toEqual([{ timeout: 250 }]);
    } finally {
      await db.close();
    }
  });

  it("isolates readers: a request never sees another request's uncommitted rows", async () => {
    const db = await Database.open({ dataDir: dir() });
    try {
      const id = randomUUID();
      const seen: Array<AccountEntity | null> = [];
      await db.transaction(async (em) => {
        await em.insert(AccountEntity, { id, type: 'PLATFORM', name: 'Uncommitted', parentId: null, status: 'ACTIVE', settings: {}, path: `/${id}/`, depth: 0 });
        seen.push(await em.findOneBy(AccountEntity, { id }));
        seen.push(await db.manager.findOneBy(AccountEntity, { id }));
      });
      seen.push(await db.manager.findOneBy(AccountEntity, { id }));
      expect(seen.map((a) => a?.name ?? null)).toEqual(['Uncommitted', null, 'Uncommitted']);
    } finally {
      await db.close();
    }
  });

  it('a rolled-back transaction leaves nothing behind', async () => {
    const db = await Database.open({ dataDir: dir() });
    try {
      const id = randomUUID();
      await expect(
        db.transaction(async (em) => {
          await em.insert(AccountEntity, { id, type: 'PLATFORM', name: 'Rolled back', parentId: null, status: 'ACTIVE', settings: {}, path: `/${id}/`, depth: 0 });
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(await db.manager.findOneBy(AccountEntity, { id })).toBeNull();
    } finally {
      await db.close();
    }
  });

  it('a data directory from the sql.js era opens as it is: its data is kept and the journal becomes WAL', async () => {
    const dataDir = dir();
    copyFileSync(FIXTURE, join(dataDir, 'portico.sqlite'));
    const before = new libsql(FIXTURE, { readonly: true });
    const users = (before.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
    before.close();
    const db = await Database.open({ dataDir });
    try {
      expect(users).toBeGreaterThan(5);
      expect(await db.manager.count(UserEntity)).toBe(users);
      expect((await db.manager.findOneByOrFail(UserEntity, { email: 'admin@acme.example' })).status).toBe('ACTIVE');
      expect(await db.dataSource.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    } finally {
      await db.close();
    }
  });

  describe('a file Portico cannot read stops start-up with one line, and is left exactly as it was', () => {
    const valid = () => {
      const dataDir = dir();
      copyFileSync(FIXTURE, join(dataDir, 'portico.sqlite'));
      return dataDir;
    };
    const cases: Array<{ title: string; prepare: () => string; message: RegExp }> = [
      {
        title: 'an empty file (0 bytes)',
        prepare: () => {
          const dataDir = dir();
          writeFileSync(join(dataDir, 'portico.sqlite'), '');
          return dataDir;
        },
        message: /^the database file \S+portico\.sqlite is empty \(0 bytes\): Portico will not seed over it; restore it from a backup, or move it away to start a new database$/,
      },
      {
        title: 'a file cut short inside its header',
        prepare: () => {
          const dataDir = valid();
          truncateSync(join(dataDir, 'portico.sqlite'), 60);
          return dataDir;
        },
        message: /^the database file \S+portico\.sqlite cannot be read \(.+\): Portico will not migrate or seed over it; restore it/,
      },
      {
        title: 'a file cut in half',
        prepare: () => {
          const dataDir = valid();
          truncateSync(join(dataDir, 'portico.sqlite'), 80 * 1024);
          return dataDir;
        },
        message: /^the database file \S+portico\.sqlite cannot be read \(.+\): Portico will not migrate or seed over it; restore it/,
      },
      {
        title: 'a file that is not a database',
        prepare: () => {
          const dataDir = dir();
          writeFileSync(join(dataDir, 'portico.sqlite'), Buffer.alloc(8192, 'not a database '));
          return dataDir;
        },
        message: /^the database file \S+portico\.sqlite cannot be read \(file is not a database\): Portico will not migrate or seed over it/,
      },
    ];

    it.each(cases)('$title', async ({ prepare, message }) => {
      const dataDir = prepare();
      const file = join(dataDir, 'portico.sqlite');
      const before = digest(file);
      const result = await startOn(dataDir);
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr.trim()).toMatch(message);
      expect(result.stdout).not.toMatch(/seed|migration/);
      expect(digest(file)).toBe(before);
      expect(readdirSync(dataDir).sort()).toEqual(['portico.sqlite']);
    });

    it('a data directory that holds signing keys but no database: the data was lost, and Portico says so', async () => {
      const dataDir = dir();
      const first = await Database.open({ dataDir });
      await first.close();
      writeFileSync(join(dataDir, 'dev-signing-key.json'), '{}');
      rmSync(join(dataDir, 'portico.sqlite'));
      const result = await startOn(dataDir);
      expect(result.status).toBe(1);
      expect(result.stderr.trim()).toMatch(/^\S+ holds signing keys \(dev-signing-key\.json\) but no portico\.sqlite: the database was lost or moved; restore \S+portico\.sqlite, or empty \S+ to start a new database$/);
      expect(existsSync(join(dataDir, 'portico.sqlite'))).toBe(false);
    });
  });
});
