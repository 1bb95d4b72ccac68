import type { QueryRunner } from 'typeorm';

/** True when a migration runs on the embedded SQLite file rather than MySQL / MariaDB: some column types differ. */
export const isSqlite = (runner: QueryRunner): boolean => runner.connection.driver.options.type === 'better-sqlite3';
