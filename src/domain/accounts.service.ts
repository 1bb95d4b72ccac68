import { randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import { badInput, InvariantError, notFound } from '../errors';
import { displayName } from '../identifiers';
import { ACCOUNT_TYPES, ALLOWED_PARENTS, type AccountSettings, type AccountStatus, type AccountType } from '../policy';
import { AccountEntity } from '../storage/entities';
import { planSettingsChange, writeSettingsChange } from './account-settings';
import { audit } from './audit';
import type { RequestContext } from './context';

const MAX_DEPTH = 8;
/** Well inside the settings column on every database (MySQL TEXT holds 65,535 bytes). */
const MAX_SETTINGS_BYTES = 16 * 1024;

export interface CreateAccountInput {
  type: AccountType;
  name: string;
  parentId: string;
  settings?: AccountSettings;
}

export const checkName = (name: string): string => displayName(name, { what: 'an account name', field: 'name', max: 200 });

/** Settings the engine reads must have the shape it reads: `modules` a list of the policy's modules, switches booleans. */
/** Settings are a flat site configuration: deeper nesting is a mistake or an attempt to exhaust the stack. */
const MAX_SETTINGS_DEPTH = 16;

/** How deep a JSON value nests, measured without recursion (a recursive walk is what a deep value overflows). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_SETTINGS_DEPTH) return deepest;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** Settings as given, before anything reads them key by key: not too deep, not too large. */
export function checkSettingsSize(settings: Record<string, unknown>): void {
  if (depthOf(settings) > MAX_SETTINGS_DEPTH) throw badInput(`settings nest at most ${MAX_SETTINGS_DEPTH} levels deep`, { field: 'settings' });
  if (Buffer.byteLength(JSON.stringify(settings), 'utf8') > MAX_SETTINGS_BYTES) throw badInput(`settings are at most ${MAX_SETTINGS_BYTES} bytes of JSON`, { field: 'settings' });
}

export function checkSettings(ctx: RequestContext, settings: AccountSettings | null | undefined): AccountSettings {
  if (settings === undefined || settings === null) return {};
  checkSettingsSize(settings);
  const policy = ctx.engine.policy;
  const { modules } = settings;
  if (modules !== undefined) {
    if (!Array.isArray(modules) || !modules.every((m) => typeof m === 'string')) throw badInput('settings.modules must be a list of module names', { field: 'settings.modules' });
    const unknown = modules.filter((m) => !policy.modules.has(m));
    if (unknown.length > 0) {
      const known = [...policy.modules.keys()];
      throw badInput(`unknown module ${unknown.join(', ')} (the ${policy.name} policy has ${known.length > 0 ? known.join(', ') : 'no modules'})`, { field: 'settings.modules' });
    }
  }
  for (const role of policy.roles.values()) {
    for (const { whenSetting } of role.grants.values()) {
      if (whenSetting !== undefined && settings[whenSetting] !== undefined && typeof settings[whenSetting] !== 'boolean') {
        throw badInput(`settings.${whenSetting} must be true or false`, { field: `settings.${whenSetting}` });
      }
    }
  }
  for (const role of policy.roles.values()) {
    for (const { scopeSetting, permission } of role.grants.values()) {
      const value = scopeSetting === undefined ? undefined : settings[scopeSetting];
      if (value === undefined) continue;
      // A per-role scope override: { ROLE: scope }, each scope one the permission has.
      const order = policy.scopes.get(permission) ?? [];
      const valid = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((scope) => typeof scope === 'string' && order.includes(scope));
      if (!valid) throw badInput(`settings.${scopeSetting} maps role names to a scope of ${permission} (${order.join(', ')})`, { field: `settings.${scopeSetting}` });
    }
  }
  return settings;
}

function checkPlacement(ctx: RequestContext, type: AccountType, parent: AccountEntity): void {
  if (!ctx.engine.policy.accountTypes.has(type)) {
    throw badInput(`the ${ctx.engine.policy.name} policy has no ${type} accounts`, { field: 'type' });
  }
  if (!ALLOWED_PARENTS[type].includes(parent.type)) {
    const allowed = ALLOWED_PARENTS[type];
    throw badInput(`a ${type} account cannot sit under a ${parent.type} account${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`, { field: 'parentId' });
  }
}

export async function createAccount(ctx: RequestContext, input: CreateAccountInput): Promise<AccountEntity> {
  const name = checkName(input.name);
  checkSettingsSize(input.settings ?? {});
  const change = planSettingsChange(ctx.engine.policy, {}, input.settings ?? {});
  const settings = checkSettings(ctx, change.settings);
  if (!ACCOUNT_TYPES.includes(input.type)) throw badInput(`unknown account type ${input.type}`, { field: 'type' });
  const parent = await ctx.requireOn('accounts.create', input.parentId);
  checkPlacement(ctx, input.type, parent);
  return ctx.transaction(async (em) => {
    const locked = (await ctx.services.db.lockAccounts(em, [parent.id])).get(parent.id);
    if (!locked) throw notFound('account', parent.id);
    if (locked.depth + 1 > MAX_DEPTH) throw badInput(`accounts nest at most ${MAX_DEPTH} levels deep`, { field: 'parentId' });
    const id = randomUUID();
    const account = em.create(AccountEntity, {
      id,
      type: input.type,
      name,
      parentId: locked.id,
      status: 'ACTIVE',
      settings,
      path: `${locked.path}${id}/`,
      depth: locked.depth + 1,
    });
    await em.save(account);
    const secretsSet = await writeSettingsChange(em, ctx.services.secrets, id, change, ctx.requirePrincipal().user.id, new Date());
    const details = { type: input.type, name, parentId: locked.id, ...(secretsSet.length > 0 ? { secretSettingsChanged: secretsSet } : {}) };
    await audit(em, ctx, { action: 'account.create', subjectAccountId: id, targetType: 'Account', targetId: id, details });
    return em.findOneByOrFail(AccountEntity, { id });
  });
}

/** Re-parents the account and its whole subtree in one statement, inside one transaction. */
export async function moveAccount(ctx: RequestContext, id: string, parentId: string): Promise<AccountEntity> {
  const account = await ctx.requireOn('accounts.move', id);
  const parent = await ctx.requireOn('accounts.move', parentId);
  if (account.parentId === null) throw badInput('the platform account is the root and cannot move', { field: 'id' });
  checkPlacement(ctx, account.type, parent);
  const db = ctx.services.db;
  return ctx.transaction(async (em) => {
    const locked = await db.lockAccounts(em, [account.id, parent.id]);
    const current = locked.get(account.id);
    const newParent = locked.get(parent.id);
    if (!current || !newParent) throw notFound('account', !current ? account.id : parent.id);
    if (newParent.path.startsWith(current.path)) {
      throw badInput(`moving account ${current.id} under ${newParent.id} would create a cycle`, { field: 'parentId' });
    }
    if (current.parentId === newParent.id) return current;
    const oldPrefix = current.path;
    const newPrefix = `${newParent.path}${current.id}/`;
    const depthShift = newParent.depth + 1 - current.depth;
    const deepest = await em
      .createQueryBuilder(AccountEntity, 'a')
      .select('MAX(a.depth)', 'depth')
      .where('a.path LIKE :prefix', { prefix: `${oldPrefix}%` })
      .getRawOne<{ depth: number }>();
    if (Number(deepest?.depth ?? current.depth) + depthShift > MAX_DEPTH) throw badInput(`accounts nest at most ${MAX_DEPTH} levels deep`, { field: 'parentId' });
    const concat = db.kind === 'mysql' ? 'CONCAT(:newPrefix, SUBSTRING(path, :cut))' : ':newPrefix || SUBSTR(path, :cut)';
    await em
      .createQueryBuilder()
      .update(AccountEntity)
      .set({ path: () => concat, depth: () => `depth + ${depthShift}` })
      .where('path LIKE :prefix', { prefix: `${oldPrefix}%` })
      .setParameters({ newPrefix, cut: oldPrefix.length + 1 })
      .execute();
    await em.update(AccountEntity, { id: current.id }, { parentId: newParent.id });
    await audit(em, ctx, { action: 'account.move', subjectAccountId: current.id, targetType: 'Account', targetId: current.id, details: { from: current.parentId, to: newParent.id } });
    return em.findOneByOrFail(AccountEntity, { id: current.id });
  });
}

export async function setAccountStatus(ctx: RequestContext, id: string, status: AccountStatus): Promise<AccountEntity> {
  const account = await ctx.requireOn('accounts.suspend', id);
  if (account.parentId === null && status === 'SUSPENDED') throw new InvariantError('the platform account cannot be suspended: nobody could lift it');
  if (account.id === ctx.requirePrincipal().account.id && status === 'SUSPENDED') {
    throw new InvariantError('you cannot suspend your own account');
  }
  return ctx.transaction(async (em: EntityManager) => {
    const current = (await ctx.services.db.lockAccounts(em, [id])).get(id);
    if (!current) throw notFound('account', id);
    if (current.status === status) return current;
    await em.update(AccountEntity, { id }, { status });
    await audit(em, ctx, { action: 'account.setStatus', subjectAccountId: id, targetType: 'Account', targetId: id, details: { from: current.status, to: status } });
    return em.findOneByOrFail(AccountEntity, { id });
  });
}
