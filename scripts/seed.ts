import 'reflect-metadata';
import { randomUUID } from 'crypto';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { loadConfig, loadPolicy } from '../src/config';
import { skeletonDigest } from '../src/identifiers';
import { PolicyEngine, type AccountType, type CompiledRole } from '../src/policy';
import { bootstrapPlatform } from '../src/storage/bootstrap';
import { Database } from '../src/storage/database';
import { AccountEntity, RoleAssignmentEntity, UserEntity } from '../src/storage/entities';

/**
 * Builds a large account hierarchy for benchmarks: under the platform, one partner per thousand accounts, nine
 * sub-partners under each (where the policy has them) and customers spread evenly below, ten users on every
 * account, each holding one of its type's roles (the administrator first). Every partner's subtree has the same
 * shape whatever the scale, so a page or a decision deep in one costs the same unless the database scans.
 */

export interface SeedOptions {
  /** Accounts in all, the platform included; ten times as many users. */
  scale: number;
  /** Called after each batch with the rows written so far and the rows planned. */
  progress?: (done: number, total: number) => void;
}

export interface SeedSummary {
  accounts: number;
  users: number;
  roleAssignments: number;
  partners: number;
  subPartners: number;
  customers: number;
  depth: number;
  seconds: number;
}

export const USERS_PER_ACCOUNT = 10;
const ACCOUNTS_PER_PARTNER = 1000;
const SUB_PARTNERS_PER_PARTNER = 9;
/** Rows per INSERT statement: well under MariaDB's 65,535 placeholders and its default packet size. */
const ROWS_PER_STATEMENT = 1000;
/** Accounts written per transaction, with their users and roles. */
const ACCOUNTS_PER_TRANSACTION = 1000;

/** The command line: `--scale N` (at least 10). */
export function parseSeedArgs(argv: readonly string[]): { scale: number } {
  let scale: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = arg.startsWith('--scale=') ? arg.slice('--scale='.length) : arg === '--scale' ? argv[++i] : undefined;
    if (value === undefined) throw new Error(`unknown argument ${JSON.stringify(arg)}: expected --scale N`);
    const n = Number(value.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 10 || n > 10_000_000) throw new Error(`--scale ${JSON.stringify(value)} is not valid: expected an integer from 10 to 10000000`);
    scale = n;
  }
  if (scale === undefined) throw new Error('--scale N is required: the number of accounts to create, e.g. --scale 100000');
  return { scale };
}

interface PlannedAccount {
  entity: AccountEntity;
  roles: CompiledRole[];
}

/** The roles users of an account type get in turn: the administrator first, then the others that may sign in. */
function rolesFor(engine: PolicyEngine, type: AccountType): CompiledRole[] {
  const roles = engine.rolesOf(type).filter((r) => r.canLogin && !r.custom);
  return [...roles.filter((r) => r.administrator), ...roles.filter((r) => !r.administrator)];
}

/** Seeds an empty database (migrations applied, nothing but the platform in it). */
export async function seedHierarchy(db: Database, engine: PolicyEngine, operatorEmail: string, options: SeedOptions): Promise<SeedSummary> {
  const started = Date.now();
  const platform = await bootstrapPlatform(db, engine, operatorEmail);
  const existing = await db.manager.count(AccountEntity);
  if (existing > 1) throw new Error(`the database already holds ${existing} accounts: seed an empty database`);
  const hasSubPartners = rolesFor(engine, 'SUB_PARTNER').length > 0;
  const below = options.scale - 1;
  const partners = Math.max(1, Math.round(below / ACCOUNTS_PER_PARTNER));
  const subsEach = hasSubPartners ? Math.max(0, Math.min(SUB_PARTNERS_PER_PARTNER, Math.floor((below - partners) / partners / 2))) : 0;
  const customers = below - partners - partners * subsEach;
  if (customers < 0) throw new Error(`--scale ${options.scale} is too small for a partner tree`);

  const roleRows = (type: AccountType) => {
    const roles = rolesFor(engine, type);
    if (roles.length === 0) throw new Error(`the ${engine.policy.name} policy has no role for ${type} accounts`);
    return roles;
  };
  const [partnerRoles, subRoles, customerRoles] = [roleRows('PARTNER'), hasSubPartners ? roleRows('SUB_PARTNER') : [], roleRows('CUSTOMER')];
  const account = (parent: AccountEntity, type: AccountType, name: string): AccountEntity => {
    const id = randomUUID();
    return Object.assign(new AccountEntity(), { id, type, name, parentId: parent.id, status: 'ACTIVE', settings: {}, path: `${parent.path}${id}/`, depth: parent.depth + 1, createdAt: new Date() });
  };

  // The upper levels first (a few thousand accounts at most), then customers under them in turn.
  const upper: PlannedAccount[] = [];
  const leaves: AccountEntity[] = [];
  for (let p = 0; p < partners; p++) {
    const partner = account(platform, 'PARTNER', `Partner ${pad(p + 1, partners)}`);
    upper.push({ entity: partner, roles: partnerRoles });
    if (subsEach === 0) leaves.push(partner);
    for (let s = 0; s < subsEach; s++) {
      const sub = account(partner, 'SUB_PARTNER', `Sub-partner ${pad(p + 1, partners)}-${s + 1}`);
      upper.push({ entity: sub, roles: subRoles });
      leaves.push(sub);
    }
  }
  const totalRows = (options.scale - 1) * (1 + 2 * USERS_PER_ACCOUNT) + 2 * (USERS_PER_ACCOUNT - 1);
  let done = 0;
  let sequence = 0;
  const report = (rows: number) => {
    done += rows;
    options.progress?.(done, totalRows);
  };
  const write = async (planned: PlannedAccount[]) => {
    await db.transaction(async (em) => {
      const users: UserEntity[] = [];
      const assignments: RoleAssignmentEntity[] = [];
      for (const { entity, roles } of planned) {
        const n = ++sequence;
        for (let u = 0; u < USERS_PER_ACCOUNT; u++) {
          const email = `u${u}.a${n}@seed.example`;
          const user = Object.assign(new UserEntity(), { id: randomUUID(), accountId: entity.id, email, emailSkeleton: skeletonDigest(email), name: `User ${u} of ${entity.name}`, status: 'ACTIVE', createdAt: entity.createdAt });
          users.push(user);
          assignments.push(Object.assign(new RoleAssignmentEntity(), { id: randomUUID(), userId: user.id, accountId: entity.id, role: roles[u % roles.length].name, customRoleId: null, createdAt: entity.createdAt }));
        }
      }
      await insertRows(em, AccountEntity, planned.map((p) => p.entity));
      await insertRows(em, UserEntity, users);
      await insertRows(em, RoleAssignmentEntity, assignments);
    });
    report(planned.length * (1 + 2 * USERS_PER_ACCOUNT));
  };

  // The platform's other operators, so that there are ten users for every account.
  const operator = engine.policy.operatorRole.name;
  await db.transaction(async (em) => {
    const now = new Date();
    const extra = Array.from({ length: USERS_PER_ACCOUNT - 1 }, (_, u) =>
      Object.assign(new UserEntity(), { id: randomUUID(), accountId: platform.id, email: `u${u + 1}.a0@seed.example`, emailSkeleton: skeletonDigest(`u${u + 1}.a0@seed.example`), name: `Operator ${u + 1}`, status: 'ACTIVE', createdAt: now }),
    );
    await insertRows(em, UserEntity, extra);
    await insertRows(em, RoleAssignmentEntity, extra.map((user) => Object.assign(new RoleAssignmentEntity(), { id: randomUUID(), userId: user.id, accountId: platform.id, role: operator, customRoleId: null, createdAt: now })));
  });
  report(2 * (USERS_PER_ACCOUNT - 1));
  for (let i = 0; i < upper.length; i += ACCOUNTS_PER_TRANSACTION) await write(upper.slice(i, i + ACCOUNTS_PER_TRANSACTION));
  const perLeaf = Math.ceil(customers / leaves.length);
  let batch: PlannedAccount[] = [];
  for (let c = 0; c < customers; c++) {
    const leafIndex = Math.floor(c / perLeaf);
    const parent = leaves[leafIndex];
    batch.push({ entity: account(parent, 'CUSTOMER', `Customer ${pad(leafIndex + 1, leaves.length)}-${pad((c % perLeaf) + 1, perLeaf)}`), roles: customerRoles });
    if (batch.length === ACCOUNTS_PER_TRANSACTION) {
      await write(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await write(batch);
  return {
    accounts: options.scale,
    users: options.scale * USERS_PER_ACCOUNT,
    roleAssignments: options.scale * USERS_PER_ACCOUNT,
    partners,
    subPartners: partners * subsEach,
    customers,
    depth: customers > 0 ? (subsEach > 0 ? 3 : 2) : subsEach > 0 ? 2 : 1,
    seconds: (Date.now() - started) / 1000,
  };
}

const pad = (n: number, of: number) => String(n).padStart(String(of).length, '0');

/** Multi-row INSERTs through the entity's metadata, so column names and value encodings are TypeORM's own. */
async function insertRows<T extends ObjectLiteral>(em: EntityManager, target: EntityTarget<T>, rows: T[]): Promise<void> {
  const metadata = em.connection.getMetadata(target);
  const driver = em.connection.driver;
  const columns = metadata.columns;
  const head = `INSERT INTO ${driver.escape(metadata.tableName)} (${columns.map((c) => driver.escape(c.databaseName)).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    for (const row of chunk) for (const column of columns) params.push(driver.preparePersistentValue(column.getEntityValue(row), column));
    await em.query(head + chunk.map(() => tuple).join(', '), params);
  }
}

/** A progress bar on stderr: redrawn in place on a terminal, a line every tenth otherwise. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  const started = Date.now();
  let lastTenth = -1;
  return (done, total) => {
    const fraction = total === 0 ? 1 : Math.min(1, done / total);
    const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
    const width = 30;
    const filled = Math.round(fraction * width);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows, ${rate.toLocaleString('en-US')} rows/s`;
    if (stream.isTTY) {
      stream.write(`\r${line}`);
      if (fraction === 1) stream.write('\n');
    } else if (Math.floor(fraction * 10) > lastTenth) {
      lastTenth = Math.floor(fraction * 10);
      stream.write(`${line}\n`);
    }
  };
}

async function main(): Promise<void> {
  const { scale } = parseSeedArgs(process.argv.slice(2));
  const config = loadConfig();
  const engine = new PolicyEngine(loadPolicy(config.policy));
  const db = await Database.open(config);
  try {
    const summary = await seedHierarchy(db, engine, config.bootstrapEmail, { scale, progress: progressBar('seeding') });
    const where = config.databaseUrl ? new URL(config.databaseUrl).pathname.slice(1) || 'MySQL' : `SQLite in ${config.dataDir}`;
    console.log(
      `seeded ${summary.accounts.toLocaleString('en-US')} accounts (${summary.partners} partners, ${summary.subPartners} sub-partners, ${summary.customers.toLocaleString('en-US')} customers; depth ${summary.depth}) ` +
        `and ${summary.users.toLocaleString('en-US')} users for the ${engine.policy.name} policy into ${where} in ${summary.seconds.toFixed(1)} s`,
    );
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
