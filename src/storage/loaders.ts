import DataLoader from 'dataloader';
import { In, IsNull, type EntityManager } from 'typeorm';
import { AccountEntity, AccountSettingEntity, ContactRoleEntity, CustomRoleEntity, DelegatedAdminRelationshipEntity, ImpersonationGrantEntity, ImpersonationSessionEntity, PartnerGroupEntity, RoleAssignmentEntity, UserEntity } from './entities';

/** A page of rows for one parent, fetched with the pages of every other parent in one statement. */
export interface Page<T> {
  rows: T[];
  hasNextPage: boolean;
}

export interface PageArgs {
  first: number;
  /** Keyset cursor: the sort key values of the last row of the previous page. */
  after?: readonly string[];
}

function groupBy<T, K>(rows: T[], key: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

/**
 * `PORTICO_DATALOADER=off` turns batching off: every relation is then loaded with one statement per row, as a
 * resolver without DataLoader would. A diagnosis and benchmark switch (`npm run bench` compares both), not a setting
 * for production; read when a request's loaders are made.
 */
export function dataLoaderBatching(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PORTICO_DATALOADER !== 'off';
}

/** One loader per extra key (a role, say), created on first use. */
function keyedLoader<K, V>(create: (key: K) => DataLoader<string, V>) {
  const loaders = new Map<K, DataLoader<string, V>>();
  return (key: K) => {
    let loader = loaders.get(key);
    if (!loader) loaders.set(key, (loader = create(key)));
    return loader;
  };
}

/** One loader per page shape (first, after), batching the parents that ask for that shape. */
function pagedLoader<T>(fetch: (parentIds: readonly string[], args: PageArgs) => Promise<Map<string, T[]>>, options: DataLoader.Options<string, Page<T>>) {
  const loaders = new Map<string, DataLoader<string, Page<T>>>();
  return (args: PageArgs) => {
    const key = JSON.stringify([args.first, args.after ?? null]);
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader<string, Page<T>>(async (parentIds) => {
        const grouped = await fetch(parentIds, args);
        return parentIds.map((id) => {
          const rows = grouped.get(id) ?? [];
          return { rows: rows.slice(0, args.first), hasNextPage: rows.length > args.first };
        });
      }, options);
      loaders.set(key, loader);
    }
    return loader;
  };
}

/**
 * The request's DataLoaders: every relation the graph resolves goes through one of these, so a page of N
 * accounts with their users, roles and contact roles costs the same few statements whatever N is.
 * Created per request, so two viewers never share a cache.
 */
export function createLoaders(em: EntityManager) {
  const options = { batch: dataLoaderBatching() };
  const byIds = <T extends { id: string }>(entity: new () => T) =>
    new DataLoader<string, T | null>(async (ids) => {
      const rows = (await em.getRepository(entity).findBy({ id: In([...ids]) } as never)) as T[];
      const found = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => found.get(id) ?? null);
    }, options);
  const byParent = <T>(entity: new () => T, column: keyof T & string) =>
    new DataLoader<string, T[]>(async (ids) => {
      const rows = (await em.getRepository(entity).find({ where: { [column]: In([...ids]) } as never, order: { id: 'ASC' } as never })) as T[];
      const grouped = groupBy(rows, (r) => r[column] as unknown as string);
      return ids.map((id) => grouped.get(id) ?? []);
    }, options);

  // Window functions give each parent its own first N rows in a single statement (MariaDB 10.2+, SQLite 3.25+).
  const windowed = async <T>(entity: new () => T, parentColumn: string, orderColumns: string[], parentIds: readonly string[], args: PageArgs) => {
    const metadata = em.connection.getMetadata(entity);
    const table = metadata.tableName;
    const q = (name: string) => em.connection.driver.escape(name);
    const order = orderColumns.map(q).join(', ');
    const params: unknown[] = [...parentIds];
    let afterClause = '';
    if (args.after !== undefined) {
      // Row-value comparison: strictly after the cursor in the (sort key, …) order.
      afterClause = ` AND (${order}) > (${orderColumns.map(() => '?').join(', ')})`;
      params.push(...args.after);
    }
    params.push(args.first + 1);
    const sql =
      `SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY ${q(parentColumn)} ORDER BY ${order}) AS portico_rank ` +
      `FROM ${q(table)} t WHERE ${q(parentColumn)} IN (${parentIds.map(() => '?').join(', ')})${afterClause}) ranked ` +
      `WHERE portico_rank <= ? ORDER BY ${q(parentColumn)}, portico_rank`;
    const raw = (await em.query(sql, params)) as Array<Record<string, unknown>>;
    const rows = entitiesOf(em, entity, raw);
    return groupBy(rows, (r) => (r as Record<string, unknown>)[metadata.findColumnWithDatabaseName(parentColumn)!.propertyName] as string);
  };

  /** How many rows each parent has, one grouped statement for every parent asked about. */
  const countBy = <T>(entity: new () => T, column: keyof T & string) =>
    new DataLoader<string, number>(async (ids) => {
      const rows = await em
        .createQueryBuilder(entity, 't')
        .select(`t.${column}`, 'parent')
        .addSelect('COUNT(*)', 'count')
        .where(`t.${column} IN (:...ids)`, { ids })
        .groupBy(`t.${column}`)
        .getRawMany<{ parent: string; count: number | string }>();
      const counts = new Map(rows.map((r) => [r.parent, Number(r.count)]));
      return ids.map((id) => counts.get(id) ?? 0);
    }, options);

  let partnerGroups: Promise<PartnerGroupEntity[]> | undefined;

  return {
    account: byIds(AccountEntity),
    /** Every partner group, read once per request: membership is computed against each of them. */
    partnerGroups: () => (partnerGroups ??= allPartnerGroups(em)),
    /** Each account's children, whole: counting the visible ones needs the engine's look at each. */
    childrenOf: byParent(AccountEntity, 'parentId'),
    /** Each account's settings as last changed (when, by whom; a secret's sealed value), for a page of accounts at once. */
    settingsByAccount: new DataLoader<string, AccountSettingEntity[]>(async (ids) => {
      const grouped = groupBy(await em.find(AccountSettingEntity, { where: { accountId: In([...ids]) }, order: { key: 'ASC' } }), (r) => r.accountId);
      return ids.map((id) => grouped.get(id) ?? []);
    }, options),
    grantsCountByCustomer: countBy(ImpersonationGrantEntity, 'customerAccountId'),
    grantsCountByPartner: countBy(ImpersonationGrantEntity, 'partnerAccountId'),
    sessionsCountByGrant: countBy(ImpersonationSessionEntity, 'grantId'),
    relationshipsCountByCustomer: countBy(DelegatedAdminRelationshipEntity, 'customerAccountId'),
    relationshipsCountByPartner: countBy(DelegatedAdminRelationshipEntity, 'partnerAccountId'),
    user: byIds(UserEntity),
    impersonationSession: byIds(ImpersonationSessionEntity),
    customRole: byIds(CustomRoleEntity),
    rolesByUser: byParent(RoleAssignmentEntity, 'userId'),
    contactRolesByUser: byParent(ContactRoleEntity, 'userId'),
    /** How many users each account has, one statement for every account asked about. */
    usersCount: new DataLoader<string, number>(async (accountIds) => {
      const rows = await em
        .createQueryBuilder(UserEntity, 'u')
        .select('u.accountId', 'accountId')
        .addSelect('COUNT(*)', 'count')
        .where('u.accountId IN (:...accountIds)', { accountIds })
        .groupBy('u.accountId')
        .getRawMany<{ accountId: string; count: number | string }>();
      const counts = new Map(rows.map((r) => [r.accountId, Number(r.count)]));
      return accountIds.map((id) => counts.get(id) ?? 0);
    }, options),
    usersPage: pagedLoader((ids, args) => windowed(UserEntity, 'account_id', ['email'], ids, args), options),
    childrenPage: pagedLoader((ids, args) => windowed(AccountEntity, 'parent_id', ['name', 'id'], ids, args), options),
    /** Unrevoked impersonation grants from each customer to one partner account, one statement per partner. */
    grantsToPartner: keyedLoader((partnerAccountId: string) =>
      new DataLoader<string, ImpersonationGrantEntity[]>(async (customerIds) => {
        const rows = await em.findBy(ImpersonationGrantEntity, { partnerAccountId, customerAccountId: In([...customerIds]), revokedAt: IsNull() });
        const grouped = groupBy(rows, (g) => g.customerAccountId);
        return customerIds.map((id) => grouped.get(id) ?? []);
      }, options),
    ),
    /** Users of each account holding a contact role, one statement per role asked for. */
    contactsByAccount: keyedLoader((role: string) =>
      new DataLoader<string, UserEntity[]>(async (accountIds) => {
        const rows = await em
          .createQueryBuilder(UserEntity, 'u')
          .innerJoin(ContactRoleEntity, 'c', 'c.userId = u.id')
          .where('c.accountId IN (:...accountIds) AND c.role = :role', { accountIds, role })
          .orderBy('u.email')
          .getMany();
        const grouped = groupBy(rows, (u) => u.accountId);
        return accountIds.map((id) => grouped.get(id) ?? []);
      }, options),
    ),
  };
}

/**
 * Every partner group, by name: read whenever an instance's copy of them is out of date (see
 * partner-groups.service), as a plain statement rather than through `find`, whose query building costs more than
 * the read itself.
 */
async function allPartnerGroups(em: EntityManager): Promise<PartnerGroupEntity[]> {
  const metadata = em.connection.getMetadata(PartnerGroupEntity);
  const { driver } = em.connection;
  const column = (property: string) => driver.escape(metadata.findColumnWithPropertyName(property)!.databaseName);
  const raw = (await em.query(`SELECT * FROM ${driver.escape(metadata.tableName)} ORDER BY ${column('nameKey')}, ${column('id')}`)) as Array<Record<string, unknown>>;
  return entitiesOf(em, PartnerGroupEntity, raw);
}

/** Entities from rows read by a plain statement, each column converted by the driver as `find` would (dates, booleans, JSON). */
function entitiesOf<T>(em: EntityManager, entity: new () => T, rows: ReadonlyArray<Record<string, unknown>>): T[] {
  const { driver } = em.connection;
  const { columns } = em.connection.getMetadata(entity);
  return rows.map((row) => {
    const made = new entity() as Record<string, unknown>;
    for (const column of columns) made[column.propertyName] = driver.prepareHydratedValue(row[column.databaseName], column);
    return made as T;
  });
}

export type Loaders = ReturnType<typeof createLoaders>;
