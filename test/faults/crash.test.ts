import libsql from 'libsql';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadOrCreateDevKeys, signDevToken } from '../../src/identity';
import { postGraphQL, startPorticoProcess, type PorticoProcess } from '../support/processes';

const CREATE = 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id name } }';
const ROUNDS = 10;
const CLIENTS = 4;

interface Answered {
  id: string;
  name: string;
}

/** Opens the file as the next start would, after the crash: integrity, and which answered writes are there. */
function inspect(file: string, answered: Answered[]): { integrity: unknown; missingAccounts: string[]; missingAudit: string[]; accounts: number } {
  const db = new libsql(file, { fileMustExist: true });
  try {
    const integrity = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    const account = db.prepare('SELECT name FROM accounts WHERE id = ?');
    const audit = db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE target_id = ? AND action = 'account.create'");
    const missingAccounts = answered.filter((a) => (account.get(a.id) as { name: string } | undefined)?.name !== a.name).map((a) => a.name);
    const missingAudit = answered.filter((a) => (audit.get(a.id) as { n: number }).n !== 1).map((a) => a.name);
    const accounts = (db.prepare('SELECT COUNT(*) AS n FROM accounts').get() as { n: number }).n;
    return { integrity, missingAccounts, missingAudit, accounts };
  } finally {
    db.close();
  }
}

describe('kill -9 of a Portico process on the embedded SQLite file', () => {
  let dataDir: string;
  let file: string;
  let token: string;
  let platformId: string;

  const start = () => startPorticoProcess({ PORTICO_DATA_DIR: dataDir, DATABASE_URL: undefined });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portico-crash-'));
    file = join(dataDir, 'portico.sqlite');
    const first = await start();
    await first.kill();
    const db = new libsql(file, { readonly: true });
    const operator = db.prepare("SELECT u.id, u.email, a.id AS platformId FROM users u JOIN accounts a ON a.id = u.account_id WHERE a.type = 'PLATFORM'").get() as { id: string; email: string; platformId: string };
    db.close();
    platformId = operator.platformId;
    token = await signDevToken(await loadOrCreateDevKeys(dataDir), operator);
  }, 120_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const create = (portico: PorticoProcess, name: string) => postGraphQL(portico.url, token, CREATE, { input: { type: 'PARTNER', name, parentId: platformId } });

  it(`${ROUNDS} times: killed while ${CLIENTS} clients loop mutations, the file is intact and every answered mutation is there with its audit event`, async () => {
    const answered: Answered[] = [];
    const afterEachRound: Array<{ round: number; answered: number; accounts: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const portico = await start();
      let running = true;
      const client = async (c: number) => {
        for (let i = 0; running; i++) {
          const name = `Crash ${round}.${c}.${i}`;
          try {
            const result = await create(portico, name);
            if (result.data?.createAccount) answered.push(result.data.createAccount as Answered);
          } catch {
            return; // the connection died with the process: this one was never answered
          }
        }
      };
      const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
      // Long enough for writes to be under way, at a different moment each round.
      await new Promise((resolve) => setTimeout(resolve, 250 + Math.floor(Math.random() * 500)));
      await portico.kill('SIGKILL');
      running = false;
      await Promise.all(clients);
      const found = inspect(file, answered);
      expect({ round, integrity: found.integrity, missingAccounts: found.missingAccounts, missingAudit: found.missingAudit }).toEqual({ round, integrity: 'ok', missingAccounts: [], missingAudit: [] });
      afterEachRound.push({ round, answered: answered.length, accounts: found.accounts });
    }
    // Writes were really under way in every round, and nothing was ever re-seeded over.
    for (let i = 1; i < afterEachRound.length; i++) expect(afterEachRound[i].answered).toBeGreaterThan(afterEachRound[i - 1].answered);
    for (let i = 1; i < afterEachRound.length; i++) expect(afterEachRound[i].accounts).toBeGreaterThanOrEqual(afterEachRound[i - 1].accounts);

    // And Portico itself starts on the file and serves what was answered.
    const portico = await start();
    try {
      const last = answered.at(-1)!;
      const read = await postGraphQL(portico.url, token, 'query($id: ID!) { account(id: $id) { name } }', { id: last.id });
      expect(read.data).toEqual({ account: { name: last.name } });
    } finally {
      await portico.kill();
    }
  }, 300_000);

  it('a single mutation, answered and killed at once, is there after a restart', async () => {
    const portico = await start();
    const result = await create(portico, 'Answered Then Killed');
    await portico.kill('SIGKILL');
    const created = result.data!.createAccount as Answered;
    const restarted = await start();
    try {
      const read = await postGraphQL(restarted.url, token, 'query($id: ID!) { account(id: $id) { name } }', { id: created.id });
      expect(read.data).toEqual({ account: { name: 'Answered Then Killed' } });
    } finally {
      await restarted.kill();
    }
    expect(inspect(file, [created])).toMatchObject({ integrity: 'ok', missingAccounts: [], missingAudit: [] });
  }, 120_000);
});
