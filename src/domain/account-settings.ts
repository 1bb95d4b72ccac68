import type { EntityManager } from 'typeorm';
import { badInput } from '../errors';
import { isSettingValue, type AccountSettings, type CompiledPolicy, type CompiledSetting, type SettingType } from '../policy';
import { AccountSettingEntity, type AccountEntity } from '../storage/entities';
import type { SecretBox } from '../storage/secret-box';
import type { RequestContext } from './context';

/** Longest secret accepted: an API key or a client secret, not a document. */
const MAX_SECRET_LENGTH = 4096;

const TYPE_TEXT: Record<SettingType, string> = {
  boolean: 'true or false',
  string: 'a string',
  integer: 'an integer',
  list: 'a list of strings',
  map: 'an object of strings',
};

/** What a change of settings does: the account's readable settings after it, and the secrets it sets or removes. */
export interface SettingsChange {
  /** The settings every reader of the site configuration sees: never a secret. */
  settings: AccountSettings;
  /** Secret keys given: a value to seal, or null to remove. */
  secrets: Map<string, string | null>;
  /** Readable keys whose value changed. */
  changed: string[];
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The readable part of stored settings: a key the policy declares secret never shows, even one stored before it was. */
export function readableSettings(policy: CompiledPolicy, stored: AccountSettings | null | undefined): AccountSettings {
  return Object.fromEntries(Object.entries(stored ?? {}).filter(([key]) => !policy.settings.get(key)?.secret));
}

/**
 * Checks a change of settings against the policy's schema, before anything is written: a key the policy does not
 * declare is refused (removing one stored before the schema existed is allowed), and each value must have its
 * setting's type. `patch` merges into `before`: a key given replaces its value, a key given as null is removed.
 */
export function planSettingsChange(policy: CompiledPolicy, before: AccountSettings, patch: Record<string, unknown>): SettingsChange {
  const readable = readableSettings(policy, before);
  const settings: AccountSettings = { ...readable };
  const secrets = new Map<string, string | null>();
  for (const [key, value] of Object.entries(patch)) {
    const setting = policy.settings.get(key);
    if (!setting) {
      if (value === null && key in readable) {
        delete settings[key];
        continue;
      }
      const known = [...policy.settings.keys()];
      throw badInput(`unknown setting ${key} (the ${policy.name} policy has ${known.length > 0 ? known.join(', ') : 'no settings'})`, { field: `settings.${key}` });
    }
    if (value === null || value === undefined) {
      if (setting.secret) secrets.set(key, null);
      else delete settings[key];
      continue;
    }
    if (!isSettingValue(setting.type, value)) {
      const expected = key === 'modules' && setting.governed ? 'a list of module names' : TYPE_TEXT[setting.type];
      throw badInput(`settings.${key} must be ${expected}`, { field: `settings.${key}` });
    }
    if (setting.secret) {
      const secret = value as string;
      if (secret.length === 0 || secret.length > MAX_SECRET_LENGTH) throw badInput(`settings.${key} is a secret of 1 to ${MAX_SECRET_LENGTH} characters`, { field: `settings.${key}` });
      secrets.set(key, secret);
    } else {
      settings[key] = value;
    }
  }
  const changed = [...new Set([...Object.keys(readable), ...Object.keys(settings)])].filter((key) => !sameJson(readable[key], settings[key])).sort();
  return { settings, secrets, changed };
}

/** A sealed secret opens only for the account and the setting it was written for. */
const secretContext = (accountId: string, key: string) => `account-setting:${accountId}:${key}`;

/**
 * Records each changed setting's last change (who, when) and writes the secrets, sealed, in the change's
 * transaction. Returns the secret keys that changed (a secret given again counts: it may be a rotation).
 */
export async function writeSettingsChange(em: EntityManager, secrets: SecretBox, accountId: string, change: SettingsChange, actorUserId: string, at: Date): Promise<string[]> {
  const secretsChanged: string[] = [];
  const existing = new Map((await em.findBy(AccountSettingEntity, { accountId })).map((row) => [row.key, row]));
  for (const key of change.changed) {
    if (change.settings[key] === undefined) await em.delete(AccountSettingEntity, { accountId, key });
    else await em.save(AccountSettingEntity, { accountId, key, sealedValue: null, updatedAt: at, updatedByUserId: actorUserId });
  }
  for (const [key, value] of [...change.secrets].sort(([a], [b]) => a.localeCompare(b))) {
    if (value === null) {
      if (!existing.has(key)) continue;
      await em.delete(AccountSettingEntity, { accountId, key });
    } else {
      await em.save(AccountSettingEntity, { accountId, key, sealedValue: secrets.seal(value, secretContext(accountId, key)), updatedAt: at, updatedByUserId: actorUserId });
    }
    secretsChanged.push(key);
  }
  return secretsChanged;
}

/** One setting as a settings screen shows it. */
export interface SettingEntry {
  setting: CompiledSetting;
  /** The value in effect (the default when unset); always null for a secret. */
  value: unknown;
  isSet: boolean;
  updatedAt: Date | null;
  updatedByUserId: string | null;
}

/** Every setting the policy declares for the account, with its value (never a secret's), whether it is set, and its last change. */
export async function settingEntries(ctx: RequestContext, account: AccountEntity): Promise<SettingEntry[]> {
  const rows = new Map((await ctx.loaders.settingsByAccount.load(account.id)).map((row) => [row.key, row]));
  const stored = account.settings ?? {};
  return [...ctx.engine.policy.settings.values()].map((setting) => {
    const row = rows.get(setting.key);
    if (setting.secret) {
      const isSet = row?.sealedValue != null;
      return { setting, value: null, isSet, updatedAt: isSet ? row!.updatedAt : null, updatedByUserId: isSet ? row!.updatedByUserId : null };
    }
    const isSet = stored[setting.key] !== undefined;
    return { setting, value: isSet ? stored[setting.key] : (setting.default ?? null), isSet, updatedAt: row?.updatedAt ?? null, updatedByUserId: row?.updatedByUserId ?? null };
  });
}
