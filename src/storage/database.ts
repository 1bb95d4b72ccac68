import { createConnection } from 'mysql2/promise';
import { DataSource, type EntityManager, type Logger, type QueryRunner } from 'typeorm';
import { dataSourceOptions, mysqlConnection, type SqliteSettings } from './data-source';
import type { PorticoConfig } from '../config';
import { DatabaseAvailability } from './availability';
import { assertEmbeddedDatabaseUsable } from './embedded-file';
import { AccountEntity } from './entities';
import { loadAuditKey, useAuditKey, type AuditKey } from './audit-key';

/** Counts SQL statements, so tests can prove batching; logs nothing itself. */
export class StatementCounter implements Logger {
  count = 0;
  statements: string[] = [];
  record = false;
  /** Told of every failed statement (the availability monitor watches for lost connections). */
  onQueryError?: (error: unknown) => void;

  logQuery(query: string): void {
    this.count++;
    if (this.record) this.statements.push(query);
  }
  logQueryError(error: unknown): void {
    this.onQueryError?.(error);
  }
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}

  reset(): void {
    this.count = 0;
    this.statements = [];
  }
}

/** The MySQL / MariaDB server cannot be used; start-up stops with this one line, which says what to do. */
export class DatabaseConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseConnectionError';
  }
}

/** The first connection's failure, as a newcomer can act on it. */
function connectionProblem(databaseUrl: string, error: unknown): DatabaseConnectionError {
  const url = new URL(databaseUrl);
  const where = `${url.hostname}:${url.port || 3306}`;
  const database = decodeURIComponent(url.pathname.slice(1));
  const user = decodeURIComponent(url.username) || '(no user)';
  const { code, message } = error as { code?: string; message?: string };
  switch (code) {
    case 'ER_BAD_DB_ERROR':
      return new DatabaseConnectionError(`database ${database} does not exist on ${where}: CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4, or name another in DATABASE_URL`);
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return new DatabaseConnectionError(`MySQL/MariaDB at ${where} refused user ${user} (${message ?? code}): check the user and password in DATABASE_URL`);
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return new DatabaseConnectionError(`cannot reach MySQL/MariaDB at ${where} (${code}): start it, or fix the host and port in DATABASE_URL`);
    default:
      return new DatabaseConnectionError(`cannot use MySQL/MariaDB at ${where} (${message ?? code ?? String(error)}): check DATABASE_URL`);
  }
}

/** MariaDB reports column defaults differently from MySQL; TypeORM must know which one it talks to. */
async function serverFlavor(databaseUrl: string): Promise<'mysql' | 'mariadb'> {
  const { url, ssl } = mysqlConnection(databaseUrl);
  let connection;
  try {
    connection = await createConnection({ uri: url, ssl, connectTimeout: 5000 });
  } catch (error) {
    throw connectionProblem(url, error);
  }
  try {
    const [rows] = await connection.query('SELECT VERSION() AS version');
    return /mariadb/i.test((rows as Array<{ version: string }>)[0].version) ? 'mariadb' : 'mysql';
  } finally {
    await connection.end();
  }
}

interface PooledConnection {
  promise(): { query(sql: string): Promise<unknown> };
  release(): void;
  destroy(): void;
}

/**
 * Puts the availability monitor in front of the MySQL pool: while the database is marked unavailable, asking for a
 * connection fails at once with DatabaseUnavailableError; a connection that cannot be had, or a statement that
 * loses its connection, marks it unavailable. The probe asks the pool directly, past the guard.
 */
function guardConnections(dataSource: DataSource, statements: StatementCounter): DatabaseAvailability {
  const driver = dataSource.driver as unknown as { obtainMasterConnection(): Promise<PooledConnection> };
  const obtain = driver.obtainMasterConnection.bind(driver);
  const availability = new DatabaseAvailability(async () => {
    const connection = await obtain();
    try {
      await connection.promise().query('SELECT 1');
      connection.release();
    } catch (error) {
      connection.destroy();
      throw error;
    }
  });
  driver.obtainMasterConnection = async () => {
    availability.assertAvailable();
    try {
      return await obtain();
    } catch (error) {
      availability.observe(error);
      throw error;
    }
  };
  statements.onQueryError = (error) => availability.observe(error);
  return availability;
}

/**
 * TypeORM opens SQLite transactions with a deferred BEGIN: one that reads and then writes fails with SQLITE_BUSY
 * when another process wrote in between. BEGIN IMMEDIATE takes the file's write lock first (waiting up to
 * busy_timeout), so a transaction's reads and the invariants checked on them hold until it commits.
 */
function beginImmediately(dataSource: DataSource): void {
  const runner = dataSource.createQueryRunner();
  const query = runner.query.bind(runner) as (sql: string, ...rest: unknown[]) => Promise<unknown>;
  runner.query = ((sql: string, ...rest: unknown[]) => query(sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql, ...rest)) as QueryRunner['query'];
}

/** How long an instance waits for another one's migrations, platform creation and seeding at start-up. */
const START_LOCK_WAIT_SECONDS = 300;

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY']);
const MAX_ATTEMPTS = 4;

/** The data source and the two things every write needs: a transaction and a lock, on either database. */
export class Database {
  readonly kind: 'mysql' | 'sqlite';
  /** Whether the database can be reached; the embedded SQLite file always can. */
  readonly availability: DatabaseAvailability;
  private sqliteQueue: Promise<unknown> = Promise.resolve();
  /** The key the audit trail is chained and checkpointed with (see ./audit-key). */
  auditKey!: AuditKey;
  /** The data directory's audit key file, when PORTICO_AUDIT_KEY is unset: start-up warns about it. */
  auditKeyFile?: string;

  /**
   * @param dataSource reads, and every write on MySQL
   * @param writer the embedded file's second connection, which runs its write transactions: SQLite isolates
   *   connections, not transactions, so a request reading on the first never sees another's uncommitted rows
   */
  private constructor(
    readonly dataSource: DataSource,
    readonly statements: StatementCounter,
    private readonly writer: DataSource = dataSource,
  ) {
    this.kind = dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
    this.availability = this.kind === 'mysql' ? guardConnections(dataSource, statements) : new DatabaseAvailability(async () => {});
  }

  static async open(
    config: Pick<PorticoConfig, 'databaseUrl' | 'dataDir'> & Partial<Pick<PorticoConfig, 'auditKey' | 'environment'>> & SqliteSettings,
    progress: (line: string) => void = () => {},
  ): Promise<Database> {
    if (!config.databaseUrl) assertEmbeddedDatabaseUsable(config.dataDir);
    // Before any connection is opened: in production a missing key stops the start here.
    const { key, file } = loadAuditKey(config);
    const statements = new StatementCounter();
    let db: Database;
    if (config.databaseUrl) {
      const dataSource = new DataSource(dataSourceOptions(config, statements, await serverFlavor(config.databaseUrl)));
      await dataSource.initialize();
      db = new Database(dataSource, statements);
      useAuditKey([dataSource], key);
    } else {
      const reader = new DataSource(dataSourceOptions(config, statements));
      const writer = new DataSource(dataSourceOptions(config, statements));
      await reader.initialize();
      await writer.initialize();
      beginImmediately(reader);
      beginImmediately(writer);
      db = new Database(reader, statements, writer);
      useAuditKey([reader, writer], key);
    }
    db.auditKey = key;
    db.auditKeyFile = file;
    await db.exclusively(() => db.migrate(progress));
    return db;
  }

  /**
   * Runs `work` while no other Portico process on this database runs work under this method: on MySQL / MariaDB a
   * named lock (GET_LOCK) held on a connection of its own, one name per database; on the embedded file, as it is.
   * Several instances starting at once on an empty database thus migrate it, create the platform and seed it once,
   * one after another, each seeing what the one before did.
   */
  async exclusively<T>(work: () => Promise<T>): Promise<T> {
    if (this.kind !== 'mysql') return work();
    const runner = this.dataSource.createQueryRunner();
    try {
      const [row] = (await runner.query("SELECT GET_LOCK(CONCAT('portico-start-', LEFT(SHA1(DATABASE()), 20)), ?) AS taken", [START_LOCK_WAIT_SECONDS])) as Array<{ taken: number | string | null }>;
      if (Number(row.taken) !== 1) throw new DatabaseConnectionError(`another Portico instance held the start-up lock of this database for ${START_LOCK_WAIT_SECONDS} s: is one stuck migrating it?`);
      try {
        return await work();
      } finally {
        await runner.query("SELECT RELEASE_LOCK(CONCAT('portico-start-', LEFT(SHA1(DATABASE()), 20)))");
      }
    } finally {
      await runner.release();
    }
  }

  /** Applies the pending migrations, reporting each as it starts and a one-line summary. */
  async migrate(progress: (line: string) => void = () => {}): Promise<void> {
    const all = this.dataSource.migrations;
    if (!(await this.dataSource.showMigrations())) {
      progress(`database schema up to date (${all.length} migrations, ${this.kind === 'sqlite' ? 'SQLite' : 'MySQL/MariaDB'})`);
      return;
    }
    const started = Date.now();
    const executed = new Set((await this.dataSource.query(`SELECT name FROM migrations`).catch(() => [])).map((row: { name: string }) => row.name));
    const pending = all.filter((m) => !executed.has(m.name ?? m.constructor.name));
    // TypeORM runs them all in one call: each migration's own `up` announces it.
    pending.forEach((migration, i) => {
      const up = migration.up.bind(migration);
      migration.up = (runner) => {
        progress(`migration ${i + 1}/${pending.length}: ${migration.name ?? migration.constructor.name}…`);
        return up(runner);
      };
    });
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    progress(`migrations: applied ${applied.length} in ${Date.now() - started} ms; the schema is at ${applied.at(-1)?.name ?? 'the latest'}`);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * Runs `work` in one transaction. SQLite writes one transaction at a time, so a process's own run one after
   * another on its writer connection (and other processes' wait for the file's lock); on MySQL a deadlock or lock
   * timeout, and on SQLite a lock still held after busy_timeout, is retried a bounded number of times.
   */
  async transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.kind === 'mysql') return await this.dataSource.transaction('READ COMMITTED', work);
        const run = this.sqliteQueue.then(() => this.writer.transaction(work));
        this.sqliteQueue = run.catch(() => undefined);
        return await run;
      } catch (error) {
        const code = (error as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (error as { code?: string }).code;
        if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10));
      }
    }
  }

  /**
   * Locks accounts (in id order, so two writers never wait on each other in a cycle) for the rest of the
   * transaction and returns them. Every invariant about an account's users and rights is checked under it.
   */
  async lockAccounts(em: EntityManager, ids: string[]): Promise<Map<string, AccountEntity>> {
    const sorted = [...new Set(ids)].sort();
    const query = em.createQueryBuilder(AccountEntity, 'a').where('a.id IN (:...ids)', { ids: sorted }).orderBy('a.id');
    if (this.kind === 'mysql') query.setLock('pessimistic_write');
    const rows = sorted.length === 0 ? [] : await query.getMany();
    return new Map(rows.map((a) => [a.id, a]));
  }

  async ping(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.availability.stop();
    await this.sqliteQueue;
    for (const source of new Set([this.dataSource, this.writer])) if (source.isInitialized) await source.destroy();
  }
}
