import { existsSync, readdirSync, statSync } from 'fs';
import libsql from 'libsql';
import { join } from 'path';
import { SQLITE_FILE } from './data-source';

/** The embedded database file exists but cannot be used; start-up stops with this one line. */
export class DatabaseFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseFileError';
  }
}

const SIGNING_KEY = /-signing-key\.json$/;

/**
 * Portico never migrates or seeds over data it cannot read: an empty, truncated or unreadable file, or a data
 * directory whose keys outlived its database (the data was lost), stops start-up before anything is written.
 */
export function assertEmbeddedDatabaseUsable(dataDir: string): void {
  const file = join(dataDir, SQLITE_FILE);
  const restore = 'restore it from a backup, or move it away to start a new database';
  if (!existsSync(file)) {
    const keys = existsSync(dataDir) ? readdirSync(dataDir).filter((name) => SIGNING_KEY.test(name)) : [];
    if (keys.length > 0) {
      throw new DatabaseFileError(
        `${dataDir} holds signing keys (${keys.join(', ')}) but no ${SQLITE_FILE}: the database was lost or moved; restore ${file}, or empty ${dataDir} to start a new database`,
      );
    }
    return;
  }
  if (statSync(file).size === 0) throw new DatabaseFileError(`the database file ${file} is empty (0 bytes): Portico will not seed over it; ${restore}`);
  let problem: string | undefined;
  try {
    const connection = new libsql(file, { fileMustExist: true });
    try {
      const result = (connection.prepare('PRAGMA quick_check').get() as { quick_check: string }).quick_check;
      if (result !== 'ok') problem = `integrity check: ${result}`;
    } finally {
      connection.close();
    }
  } catch (error) {
    problem = (error as Error).message;
  }
  if (problem) throw new DatabaseFileError(`the database file ${file} cannot be read (${problem}): Portico will not migrate or seed over it; ${restore}`);
}
