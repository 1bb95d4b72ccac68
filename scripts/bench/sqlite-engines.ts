import { execFileSync, spawn, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { fmt, median } from './stats';

/**
 * The embedded engines side by side, as docs/operations.md compares them: libsql (Portico's) and better-sqlite3, each
 * opening a file with Portico's pragmas (WAL, `synchronous`, busy timeout, foreign keys). Run with
 * `npm run bench:sqlite-engines -- [--engines libsql,better-sqlite3] [--install]`; an engine that is not installed is
 * reported as such (better-sqlite3 is not a dependency: `npm install --no-save better-sqlite3` first). `--install`
 * also times `npm install` of each engine alone in three fresh folders (it needs the registry). Prints a Markdown
 * table; writes nothing.
 */

type Engine = 'libsql' | 'better-sqlite3';
const ENGINES: Engine[] = ['better-sqlite3', 'libsql'];

interface SqliteDatabase {
  pragma(source: string): unknown;
  exec(sql: string): unknown;
  prepare(sql: string): { run(...params: unknown[]): unknown; all(): Array<Record<string, unknown>>; pluck(): { all(): number[] } };
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}

function open(engine: Engine, file: string, synchronous: 'FULL' | 'NORMAL'): SqliteDatabase {
  const Database = require(engine) as new (file: string) => SqliteDatabase;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

/** The engine's installed version (read from its package.json, above its entry point); none when not installed. */
function installed(engine: Engine): string | undefined {
  let dir: string;
  try {
    dir = dirname(require.resolve(engine));
  } catch {
    return undefined;
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
    if (pkg.name === engine) return pkg.version;
  }
  return undefined;
}

const SCHEMA = 'CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, name TEXT NOT NULL); CREATE TABLE IF NOT EXISTS event (id INTEGER PRIMARY KEY, item INTEGER NOT NULL REFERENCES item(id))';

/** Transactions per second, each inserting two rows, `count` of them on a fresh file. */
function transactionsPerSecond(engine: Engine, synchronous: 'FULL' | 'NORMAL', count: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'portico-sqlite-engines-'));
  try {
    const db = open(engine, join(dir, 'bench.sqlite'), synchronous);
    db.exec(SCHEMA);
    const item = db.prepare('INSERT INTO item (name) VALUES (?)');
    const event = db.prepare('INSERT INTO event (item) VALUES (last_insert_rowid())');
    const write = db.transaction((i: number) => {
      item.run(`item ${i}`);
      event.run();
    });
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) write(i);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    db.close();
    return count / seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Milliseconds from before `require` of the engine to the pragmas set, in a fresh process. */
function openMs(engine: Engine): number {
  const dir = mkdtempSync(join(tmpdir(), 'portico-sqlite-engines-'));
  try {
    const out = execFileSync(process.execPath, [__filename, '--child-open', engine, join(dir, 'open.sqlite')], { encoding: 'utf8' });
    return Number(out.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One `kill -9` round: a child commits transactions and prints each id once committed; it is killed at a random moment
 * between 100 and 600 ms. Then the file is checked, and every acknowledged id looked for.
 */
async function killRound(engine: Engine): Promise<{ ok: boolean; acknowledged: number; missing: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-sqlite-engines-'));
  const file = join(dir, 'crash.sqlite');
  try {
    const child = spawn(process.execPath, [__filename, '--child-write', engine, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    // The child prints `ready` once its schema is committed: the kill comes while it writes.
    await new Promise<void>((resolve) => child.stdout.on('data', () => out.startsWith('ready') && resolve()));
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 500));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const acknowledged = out.split('\n').slice(1).filter((line) => /^\d+$/.test(line)).map(Number);
    const db = open(engine, file, 'FULL');
    const integrity = db.prepare('PRAGMA integrity_check').all();
    const present = new Set(db.prepare('SELECT id FROM item').pluck().all());
    db.close();
    return { ok: integrity.length === 1 && Object.values(integrity[0])[0] === 'ok', acknowledged: acknowledged.length, missing: acknowledged.filter((id) => !present.has(id)).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds of `npm install` of the engine alone in a fresh folder. */
function installSeconds(engine: Engine, version: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'portico-sqlite-install-'));
  try {
    const started = Date.now();
    const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `${engine}@${version}`], { cwd: dir, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`npm install ${engine}@${version} failed`);
    return (Date.now() - started) / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const summary = (values: number[], digits = 0) => `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child-open') {
    const started = process.hrtime.bigint();
    open(argv[1] as Engine, argv[2], 'FULL').close();
    console.log(Number(process.hrtime.bigint() - started) / 1e6);
    return;
  }
  if (argv[0] === '--child-write') {
    const db = open(argv[1] as Engine, argv[2], 'FULL');
    db.exec(SCHEMA);
    const insert = db.prepare('INSERT INTO item (name) VALUES (?)');
    process.stdout.write('ready\n');
    for (let i = 1; ; i++) {
      db.transaction(() => insert.run(`item ${i}`))();
      // Synchronously, so that a printed id was committed before it was printed.
      writeSync(1, `${i}\n`);
    }
  }
  let engines = ENGINES;
  let install = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--engines') engines = argv[++i].split(',') as Engine[];
    else if (argv[i] === '--install') install = true;
    else throw new Error(`unknown argument ${JSON.stringify(argv[i])}: expected --engines or --install`);
  }
  const columns: Array<{ engine: Engine; version: string }> = [];
  for (const engine of engines) {
    const version = installed(engine);
    if (version) columns.push({ engine, version });
    else console.error(`${engine} is not installed: left out (npm install --no-save ${engine} to compare it)`);
  }
  const rows: Array<[string, ...string[]]> = [];
  if (install) rows.push(['`npm install` of the engine alone (3 fresh folders), s', ...columns.map(({ engine, version }) => summary([0, 1, 2].map(() => installSeconds(engine, version)), 1))]);
  rows.push(['open a file and set the pragmas, in a fresh process (30 runs), ms', ...columns.map(({ engine }) => summary(Array.from({ length: 30 }, () => openMs(engine))))]);
  for (const synchronous of ['FULL', 'NORMAL'] as const) {
    rows.push([`transactions/s, 2 inserts each, \`synchronous=${synchronous}\` (3 × 3,000)`, ...columns.map(({ engine }) => summary([0, 1, 2].map(() => transactionsPerSecond(engine, synchronous, 3000))))]);
  }
  const kills: string[] = [];
  for (const { engine } of columns) {
    const rounds = [];
    for (let round = 0; round < 10; round++) rounds.push(await killRound(engine));
    kills.push(`${rounds.filter((r) => r.ok).length} of 10 / ${rounds.reduce((n, r) => n + r.missing, 0)} of ${rounds.reduce((n, r) => n + r.acknowledged, 0)}`);
  }
  rows.push(['`kill -9` at a random moment, 10 rounds: `integrity_check` ok / acknowledged writes missing', ...kills]);
  console.log(['| | ' + columns.map(({ engine, version }) => `${engine} ${version}`).join(' | ') + ' |', '|---|' + columns.map(() => '---|').join(''), ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'));
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
