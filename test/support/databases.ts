import { randomBytes } from 'crypto';
import { createConnection } from 'mysql2/promise';

export type DatabaseKind = 'sqlite' | 'mysql';

/** MariaDB / MySQL server the suites run against; each suite gets a database of its own on it. */
export const MYSQL_URL = process.env.PORTICO_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

/**
 * The databases every suite runs on: SQLite always, MariaDB too unless PORTICO_TEST_DB=sqlite is set
 * outside CI. In CI the MariaDB suites always run, and an unreachable server fails them loudly.
 */
export function databaseKinds(): DatabaseKind[] {
  const only = process.env.PORTICO_TEST_DB;
  if (process.env.CI === 'true' || !only) return ['sqlite', 'mysql'];
  return only.split(',').map((k) => k.trim()) as DatabaseKind[];
}

/** Creates an empty database for one suite; returns its URL and a function that drops it. */
export async function createMysqlDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `portico_test_${randomBytes(5).toString('hex')}`;
  let connection;
  try {
    connection = await createConnection({ uri: MYSQL_URL, connectTimeout: 5000 });
  } catch (error) {
    throw new Error(`MariaDB/MySQL is not reachable at ${MYSQL_URL} (${(error as Error).message}). Start it, or run the SQLite suites alone with PORTICO_TEST_DB=sqlite.`);
  }
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await connection.end();
  return {
    url: `${MYSQL_URL.replace(/\/$/, '')}/${name}`,
    drop: async () => {
      const c = await createConnection({ uri: MYSQL_URL });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
