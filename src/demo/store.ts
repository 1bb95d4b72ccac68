import { mkdirSync } from 'fs';
import { join } from 'path';
import libsql from 'libsql';
import { DataSource, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { DemoAccountEntity } from './demo-account.entity';

/**
 * A demo subgraph's own storage: SQLite through libsql (like Portico's), in memory, or in `<dataDir>/demo-<name>.sqlite`
 * (WAL, synced on commit) when a data directory is given. The schema is the entities' (synchronize): this is a throwaway demo database, not
 * Portico's, whose schema migrations manage.
 */
export class DemoStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly dataSource: DataSource) {}

  static async open(name: string, entities: Array<EntityTarget<ObjectLiteral>>, dataDir?: string): Promise<DemoStore> {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      driver: libsql,
      entities: [DemoAccountEntity, ...(entities as Function[])],
      synchronize: true,
      database: dataDir ? join(dataDir, `demo-${name}.sqlite`) : ':memory:',
      prepareDatabase: (connection: { pragma(source: string): unknown }) => {
        if (!dataDir) return;
        connection.pragma('journal_mode = WAL');
        connection.pragma('synchronous = FULL');
      },
    });
    await dataSource.initialize();
    return new DemoStore(dataSource);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** One connection: writes run one after another, each in a transaction. */
  write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.dataSource.transaction(work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.dataSource.destroy();
  }
}
