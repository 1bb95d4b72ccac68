import { mkdirSync } from 'fs';
import { join } from 'path';
import type { DataSourceOptions, Logger } from 'typeorm';
import type { PorticoConfig } from '../config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/**
 * The DataSource from the configuration: MySQL / MariaDB through mysql2 when `DATABASE_URL` is set, otherwise
 * an SQLite file in the data directory. The schema is always built by migrations, never `synchronize`.
 */
export function dataSourceOptions(
  config: Pick<PorticoConfig, 'databaseUrl' | 'dataDir'>,
  logger?: Logger,
  flavor: 'mysql' | 'mariadb' = 'mysql',
): DataSourceOptions {
  const common = { entities: ENTITIES, migrations: MIGRATIONS, synchronize: false, migrationsRun: false, logger, logging: logger ? (['query', 'error'] as const) : false } as const;
  if (config.databaseUrl) {
    return {
      ...common,
      type: flavor,
      url: config.databaseUrl.replace(/^mariadb:/, 'mysql:'),
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      // A connection attempt to a database that is gone gives up soon: requests fail fast, never wait on it.
      extra: { connectionLimit: 20, connectTimeout: 2000 },
    } as DataSourceOptions;
  }
  mkdirSync(config.dataDir, { recursive: true });
  return { ...common, type: 'sqljs', location: join(config.dataDir, 'portico.sqlite'), autoSave: true } as DataSourceOptions;
}
