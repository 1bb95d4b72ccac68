import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Database } from '../../src/storage/database';
import { createMysqlDatabase, databaseKinds } from '../support/databases';

describe.each(databaseKinds())('migrations on %s', (kind) => {
  let db: Database;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-migrations-'));
    const mysql = kind === 'mysql' ? await createMysqlDatabase() : undefined;
    db = await Database.open({ databaseUrl: mysql?.url, dataDir });
    cleanup = async () => {
      await db.close();
      await mysql?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  });
  afterAll(() => cleanup());

  it('leave nothing pending: the entities and the migrations describe the same schema', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    expect(await db.dataSource.showMigrations()).toBe(false);
  });

  it('can be undone and applied again', async () => {
    await db.dataSource.undoLastMigration();
    expect(await db.dataSource.showMigrations()).toBe(true);
    await db.migrate();
    expect(await db.dataSource.showMigrations()).toBe(false);
  });
});
