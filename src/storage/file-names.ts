/** The embedded database's file in the data directory; named here alone, so a script can find it without the ORM. */
export const SQLITE_FILE = 'portico.sqlite';
