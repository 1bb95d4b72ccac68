import { mkdirSync } from 'fs';
import libsql from 'libsql';
import { join } from 'path';
import type { DataSourceOptions, Logger } from 'typeorm';
import type { PorticoConfig } from '../config';
import { ENTITIES } from './entities';
import { SQLITE_FILE } from './file-names';
import { MIGRATIONS } from './migrations';

/**
 * What mysql2 and TypeORM are given for a DATABASE_URL: a mysql: URL without options, and TLS (the server's
 * certificate checked) when it says `?ssl=true`.
 */
export function mysqlConnection(databaseUrl: string): { url: string; ssl?: { rejectUnauthorized: true } } {
  const url = new URL(databaseUrl.replace(/^mariadb:/, 'mysql:'));
  const ssl = url.searchParams.get('ssl') === 'true' ? { rejectUnauthorized: true as const } : undefined;
  url.search = '';
  return { url: url.toString(), ssl };
}

export { SQLITE_FILE };

export type SqliteSettings = Partial<Pick<PorticoConfig, 'sqliteSynchronous' | 'sqliteBusyTimeoutMs'>>;

/** What a connection to the embedded file needs: the durability and concurrency settings of SPEC §9. */
export interface SqliteConnection {
  pragma(source: string): unknown;
}

/**
 * WAL lets readers go on while one process writes, and makes a commit one append to the log; `synchronous=FULL`
 * syncs that append before the commit returns, so an answered write survives `kill -9` and power loss. Another
 * process holding the write lock is waited for (`busy_timeout`) instead of failing at once.
 */
export function prepareSqlite(connection: SqliteConnection, settings: SqliteSettings = {}): void {
  connection.pragma('journal_mode = WAL');
  connection.pragma(`synchronous = ${settings.sqliteSynchronous ?? 'FULL'}`);
  connection.pragma(`busy_timeout = ${settings.sqliteBusyTimeoutMs ?? 5000}`);
  connection.pragma('foreign_keys = ON');
}

/**
 * The DataSource from the configuration: MySQL / MariaDB through mysql2 when `DATABASE_URL` is set, otherwise
 * an SQLite file in the data directory through libsql (better-sqlite3's API, with its binary shipped in a registry
 * package: nothing to compile at install), under TypeORM's better-sqlite3 driver. The schema is always built by
 * migrations, never `synchronize`.
 */
export function dataSourceOptions(
  config: Pick<PorticoConfig, 'databaseUrl' | 'dataDir'> & SqliteSettings,
  logger?: Logger,
  flavor: 'mysql' | 'mariadb' = 'mysql',
): DataSourceOptions {
  const common = { entities: ENTITIES, migrations: MIGRATIONS, synchronize: false, migrationsRun: false, logger, logging: logger ? (['query', 'error'] as const) : false } as const;
  if (config.databaseUrl) {
    const { url, ssl } = mysqlConnection(config.databaseUrl);
    return {
      ...common,
      type: flavor,
      url,
      ...(ssl ? { ssl } : {}),
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      // A connection attempt to a database that is gone gives up soon: requests fail fast, never wait on it. No
      // stack captured per statement (mysql2's trace): a failed statement's error still names its SQL and code.
      extra: { connectionLimit: 20, connectTimeout: 2000, trace: false },
    } as DataSourceOptions;
  }
  mkdirSync(config.dataDir, { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    driver: libsql,
    database: join(config.dataDir, SQLITE_FILE),
    timeout: config.sqliteBusyTimeoutMs ?? 5000,
    prepareDatabase: (connection: SqliteConnection) => prepareSqlite(connection, config),
  } as DataSourceOptions;
}
