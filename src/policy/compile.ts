import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { ZodError } from 'zod';
import { policyFileSchema, type PermissionEntry, type PolicyFile, type PorticoAction, type RoleDefinitionInput, type SettingType } from './policy-file';
import type { AccountType, PermissionGrant } from './types';

/** A policy file that cannot be used; the message names the file, the line, the role and the problem. */
export class PolicyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyFileError';
  }
}

export interface CompiledRole {
  name: string;
  title: string;
  description?: string;
  accountType: AccountType;
  /** Own grants and those of included roles, merged: descendants if any says so, widest scope. */
  grants: ReadonlyMap<string, PermissionGrant>;
  includes: readonly string[];
  assignableBy: readonly string[];
  /** A permission that lets its holders on the account give this role without `rights.assign`. */
  assignableWith?: string;
  administrator: boolean;
  requires?: string;
  autoAssignToFirstUser: boolean;
  canLogin: boolean;
  operator: boolean;
  custom: boolean;
}

/** An account setting the policy declares. */
export interface CompiledSetting {
  key: string;
  type: SettingType;
  description?: string;
  /** What an account that never set it reads; undefined for none (and always for a secret). */
  default?: unknown;
  /** Any of these permissions on the account lets its holder change the setting. */
  changedBy: readonly string[];
  secret: boolean;
  /** The policy reads it to decide (a module list, a switch, a scope override): changed only from above the account. */
  governed: boolean;
}

/** Whether a value is of a setting's type; null and undefined are not values (a null removes a setting). */
export function isSettingValue(type: SettingType, value: unknown): boolean {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isSafeInteger(value);
    case 'list':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'map':
      return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string');
  }
}

export interface CompiledPolicy {
  name: string;
  title: string;
  description?: string;
  accountTypes: ReadonlyMap<AccountType, { title: string; permissions: readonly string[] }>;
  /** Whether a user must hold a role of their own to sign in. */
  signInRequiresRole: boolean;
  /** Every permission of every account type. */
  permissions: ReadonlySet<string>;
  scopes: ReadonlyMap<string, readonly string[]>;
  modules: ReadonlyMap<string, readonly string[]>;
  /** Permission → the module it belongs to. */
  moduleOf: ReadonlyMap<string, string>;
  defaultModules: readonly string[];
  actions: ReadonlyMap<PorticoAction, readonly string[]>;
  /** Keyed `${accountType}/${name}`. */
  roles: ReadonlyMap<string, CompiledRole>;
  operatorRole: CompiledRole;
  contactRoles: readonly string[];
  /** Each topic's contact roles (an empty list: nobody by contact role). */
  topics: ReadonlyMap<string, readonly string[]>;
  /** Each topic's recipients: holders of these contact roles, and of these rights, on the account. */
  topicRecipients: ReadonlyMap<string, { contactRoles: readonly string[]; roles: readonly string[] }>;
  /** The account settings, by key: those declared, and those the policy reads that the file left undeclared. */
  settings: ReadonlyMap<string, CompiledSetting>;
  customRoles?: {
    accountTypes: readonly AccountType[];
    baseGrants: readonly PermissionGrant[];
    assignableBy: readonly string[];
    /** Per account type, the permissions a custom role may carry besides the base ones (the policy's cap). */
    mayCarry: ReadonlyMap<AccountType, ReadonlySet<string>>;
  };
  source: PolicyFile;
}

export const roleKey = (accountType: AccountType, name: string): string => `${accountType}/${name}`;

/** Parses and validates a policy file's YAML text. Pure: the caller reads the file. */
export function parsePolicy(text: string, sourceName: string): CompiledPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new PolicyFileError(`${sourceName}: ${doc.errors[0].message}`);
  }
  const lineOf = (path: readonly PropertyKey[]): string => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as unknown[], true) as YamlNode | undefined;
      if (node && typeof node === 'object' && 'range' in node && node.range) {
        return `line ${lineCounter.linePos(node.range[0]).line}`;
      }
    }
    return 'line ?';
  };
  const parsed = policyFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new PolicyFileError(`${sourceName}: ${describeZodError(parsed.error, doc.toJS(), lineOf)}`);
  }
  const roleLine = (index: number) => lineOf(['roles', index]);
  return compilePolicy(parsed.data, (problem, at) => {
    let where = '';
    if (typeof at === 'number') where = `${roleLine(at)}: role ${parsed.data.roles[at].name}: `;
    else if (at !== undefined) where = `${lineOf(at)}: `;
    return new PolicyFileError(`${sourceName}: ${where}${problem}`);
  });
}

function describeZodError(error: ZodError, raw: unknown, lineOf: (path: readonly PropertyKey[]) => string): string {
  const issue = error.issues[0];
  const path = issue.path;
  let subject = path.length > 0 ? path.join('.') : 'the file';
  if (path[0] === 'roles' && typeof path[1] === 'number') {
    const role = (raw as { roles?: Array<{ name?: unknown }> }).roles?.[path[1]];
    const name = typeof role?.name === 'string' ? role.name : `#${path[1] + 1}`;
    subject = `role ${name}${path.length > 2 ? ` (${path.slice(2).join('.')})` : ''}`;
  }
  return `${lineOf(path)}: ${subject}: ${issue.message}`;
}

/** Builds the error for a problem found at a role (its index under `roles`) or at a path of the file. */
type ErrorFactory = (problem: string, at?: number | readonly PropertyKey[]) => PolicyFileError;

/** Validates cross-references and merges inclusion; exported for tests that build policies in code. */
export function compilePolicy(file: PolicyFile, fail: ErrorFactory): CompiledPolicy {
  const accountTypes = new Map(Object.entries(file.accountTypes) as Array<[AccountType, { title: string; permissions: string[] }]>);
  const permissions = new Set<string>();
  for (const def of accountTypes.values()) def.permissions.forEach((p) => permissions.add(p));

  const scopes = new Map(Object.entries(file.scopes));
  for (const permission of scopes.keys()) {
    if (!permissions.has(permission)) throw fail(`scopes: ${permission} is not a permission of any account type`, ['scopes', permission]);
  }
  const modules = new Map(Object.entries(file.modules));
  const moduleOf = new Map<string, string>();
  for (const [module, modulePermissions] of modules) {
    for (const permission of modulePermissions) {
      if (!permissions.has(permission)) throw fail(`modules.${module}: ${permission} is not a permission of any account type`, ['modules', module]);
      moduleOf.set(permission, module);
    }
  }
  for (const module of file.defaultModules) {
    if (!modules.has(module)) throw fail(`defaultModules: unknown module ${module}`, ['defaultModules']);
  }
  const actions = new Map((Object.entries(file.actions) as Array<[PorticoAction, string[] | undefined]>).filter((e): e is [PorticoAction, string[]] => e[1] !== undefined));
  for (const [action, actionPermissions] of actions) {
    for (const permission of actionPermissions) {
      if (!permissions.has(permission)) throw fail(`actions.${action}: ${permission} is not a permission of any account type`, ['actions', action]);
    }
  }

  const byKey = new Map<string, { def: RoleDefinitionInput; index: number; accountType: AccountType }>();
  file.roles.forEach((def, index) => {
    for (const accountType of def.accountTypes) {
      if (!accountTypes.has(accountType)) throw fail(`account type ${accountType} is not declared under accountTypes`, index);
      const key = roleKey(accountType, def.name);
      if (byKey.has(key)) throw fail(`is defined twice for account type ${accountType}`, index);
      byKey.set(key, { def, index, accountType });
    }
  });
  const knownNames = new Set(file.roles.map((r) => r.name));

  const expand = (entry: PermissionEntry, accountType: AccountType, roleDefaults: RoleDefinitionInput, index: number): PermissionGrant[] => {
    const spec = typeof entry === 'string' ? { permission: entry } : entry;
    const pattern = spec.permission;
    let names: string[];
    if (pattern === '**') names = [...permissions];
    else if (pattern === '*') names = [...accountTypes.get(accountType)!.permissions];
    else if (pattern.endsWith(':*')) {
      const resource = pattern.slice(0, -1);
      names = accountTypes.get(accountType)!.permissions.filter((p) => p.startsWith(resource));
      if (names.length === 0) throw fail(`${pattern} matches no permission of account type ${accountType}`, index);
    } else {
      if (!permissions.has(pattern)) throw fail(`unknown permission ${pattern}`, index);
      names = [pattern];
    }
    if (pattern.includes('*') && roleDefaults.except.length > 0) {
      names = names.filter((name) => !roleDefaults.except.some((ex) => matches(ex, name)));
    }
    return names.map((permission) => {
      const order = scopes.get(permission);
      if (spec.scope !== undefined) {
        if (!order) throw fail(`${permission} has no scopes, but scope ${spec.scope} is given`, index);
        if (!order.includes(spec.scope)) throw fail(`scope ${spec.scope} of ${permission} is not one of ${order.join(', ')}`, index);
      }
      if (spec.module !== undefined && !modules.has(spec.module)) throw fail(`unknown module ${spec.module}`, index);
      const descendants = spec.descendants ?? roleDefaults.descendants;
      const ownAccount = spec.ownAccount ?? roleDefaults.ownAccount;
      // A grant on neither the role's account nor below it would apply nowhere: a mistake, not a rule.
      if (!ownAccount && !descendants) throw fail(`${permission} has ownAccount: false without descendants: true, so it applies on no account`, index);
      return {
        permission,
        descendants,
        ...(ownAccount ? {} : { ownAccount: false as const }),
        ...(spec.atInvitation ? { atInvitation: true as const } : {}),
        // An unscoped grant of a scoped permission carries the widest scope.
        scope: order ? (spec.scope ?? order[order.length - 1]) : undefined,
        module: spec.module ?? moduleOf.get(permission),
        whenSetting: spec.whenSetting,
        scopeSetting: spec.scopeSetting,
      };
    });
  };

  const compiled = new Map<string, CompiledRole>();
  const compiling = new Set<string>();
  const compileRole = (key: string): CompiledRole => {
    const done = compiled.get(key);
    if (done) return done;
    const entry = byKey.get(key)!;
    const { def, index, accountType } = entry;
    if (compiling.has(key)) throw fail(`includes itself through ${[...compiling].join(' → ')}`, index);
    compiling.add(key);
    const grants = new Map<string, PermissionGrant>();
    for (const included of def.includes) {
      const includedKey = roleKey(accountType, included);
      if (!byKey.has(includedKey)) throw fail(`includes ${included}, which is not a role of account type ${accountType}`, index);
      for (const grant of compileRole(includedKey).grants.values()) mergeGrant(grants, grant, scopes);
    }
    for (const entryPermission of def.permissions) {
      for (const grant of expand(entryPermission, accountType, def, index)) mergeGrant(grants, grant, scopes);
    }
    for (const assigner of def.assignableBy) {
      if (!knownNames.has(assigner)) throw fail(`assignableBy names unknown role ${assigner}`, index);
    }
    if (def.assignableWith !== undefined && !permissions.has(def.assignableWith)) throw fail(`assignableWith names unknown permission ${def.assignableWith}`, index);
    if (def.requires !== undefined && !byKey.has(roleKey(accountType, def.requires))) {
      throw fail(`requires ${def.requires}, which is not a role of account type ${accountType}`, index);
    }
    compiling.delete(key);
    const role: CompiledRole = {
      name: def.name,
      title: def.title,
      description: def.description,
      accountType,
      grants,
      includes: def.includes,
      assignableBy: def.assignableBy,
      ...(def.assignableWith !== undefined ? { assignableWith: def.assignableWith } : {}),
      administrator: def.administrator,
      requires: def.requires,
      autoAssignToFirstUser: def.autoAssignToFirstUser,
      canLogin: def.canLogin,
      operator: def.operator,
      custom: false,
    };
    compiled.set(key, role);
    return role;
  };
  for (const key of byKey.keys()) compileRole(key);

  const indexOf = (role: CompiledRole) => byKey.get(roleKey(role.accountType, role.name))!.index;
  const operators = [...compiled.values()].filter((r) => r.operator);
  const misplaced = operators.find((r) => r.accountType !== 'PLATFORM');
  if (misplaced) throw fail('is marked operator: true, but the platform operator must be a role of the PLATFORM account type', indexOf(misplaced));
  if (operators.length > 1) throw fail(`is a second platform operator role after ${operators[0].name}; exactly one role may be operator: true`, indexOf(operators[1]));
  if (operators.length === 0) throw fail('no role is the platform operator: mark exactly one PLATFORM role operator: true', ['roles']);
  const administrators = new Map<AccountType, string>();
  for (const role of compiled.values()) {
    if (!role.administrator) continue;
    const other = administrators.get(role.accountType);
    if (other) throw fail(`account type ${role.accountType} has two administrator roles: ${other} and ${role.name}`, indexOf(role));
    administrators.set(role.accountType, role.name);
  }

  const contactRoles = new Set(file.contactRoles);
  const topicRecipients = new Map<string, { contactRoles: string[]; roles: string[] }>();
  for (const [topic, spec] of Object.entries(file.topics)) {
    const recipients = Array.isArray(spec) ? { contactRoles: spec, roles: [] } : spec;
    for (const recipient of recipients.contactRoles) {
      if (!contactRoles.has(recipient)) throw fail(`topics.${topic}: ${recipient} is not a contact role`, ['topics', topic]);
    }
    for (const role of recipients.roles) {
      if (!knownNames.has(role)) throw fail(`topics.${topic}: ${role} is not a role`, ['topics', topic]);
    }
    topicRecipients.set(topic, recipients);
  }

  let customRoles: CompiledPolicy['customRoles'];
  if (file.customRoles) {
    const baseGrants = new Map<string, PermissionGrant>();
    const defaults = { except: [], descendants: false, ownAccount: true } as unknown as RoleDefinitionInput;
    for (const accountType of file.customRoles.accountTypes) {
      if (!accountTypes.has(accountType)) throw fail(`customRoles: account type ${accountType} is not declared`, ['customRoles']);
    }
    for (const entryPermission of file.customRoles.basePermissions) {
      for (const grant of expand(entryPermission, file.customRoles.accountTypes[0], defaults, -1)) mergeGrant(baseGrants, grant, scopes);
    }
    for (const assigner of file.customRoles.assignableBy) {
      if (!knownNames.has(assigner)) throw fail(`customRoles.assignableBy names unknown role ${assigner}`, ['customRoles', 'assignableBy']);
    }
    const mayCarry = new Map<AccountType, ReadonlySet<string>>();
    const declared = file.customRoles.mayCarry ?? {};
    for (const accountType of Object.keys(declared) as AccountType[]) {
      if (!file.customRoles.accountTypes.includes(accountType)) {
        throw fail(`customRoles.mayCarry: ${accountType} is not one of customRoles.accountTypes (${file.customRoles.accountTypes.join(', ')})`, ['customRoles', 'mayCarry', accountType]);
      }
    }
    for (const accountType of file.customRoles.accountTypes) {
      const patterns = declared[accountType];
      // Silence is not a cap: without this list a custom role could carry whatever its creator holds (settings, rights).
      if (!patterns) {
        throw fail(`customRoles.mayCarry: name the permissions a custom role of ${accountType} accounts may carry (an empty list for none beyond basePermissions)`, ['customRoles']);
      }
      const typePermissions = accountTypes.get(accountType)!.permissions;
      const allowed = new Set<string>();
      for (const pattern of patterns) {
        const names = pattern === '*' || pattern === '**' ? typePermissions : pattern.endsWith(':*') ? typePermissions.filter((p) => matches(pattern, p)) : typePermissions.filter((p) => p === pattern);
        if (names.length === 0) throw fail(`customRoles.mayCarry.${accountType}: ${pattern} is not a permission of account type ${accountType}`, ['customRoles', 'mayCarry', accountType]);
        names.forEach((name) => allowed.add(name));
      }
      mayCarry.set(accountType, allowed);
    }
    customRoles = { accountTypes: file.customRoles.accountTypes, baseGrants: [...baseGrants.values()], assignableBy: file.customRoles.assignableBy, mayCarry };
  }

  const settings = compileSettings(file, permissions, modules, [...compiled.values()].flatMap((role) => [...role.grants.values()]).concat(customRoles?.baseGrants ?? []), actions, fail);

  return {
    name: file.name,
    title: file.title,
    description: file.description,
    accountTypes,
    signInRequiresRole: file.signInRequiresRole,
    permissions,
    scopes,
    modules,
    moduleOf,
    defaultModules: file.defaultModules,
    actions,
    roles: compiled,
    operatorRole: operators[0],
    contactRoles: file.contactRoles,
    topics: new Map([...topicRecipients].map(([topic, recipients]) => [topic, recipients.contactRoles])),
    topicRecipients,
    settings,
    customRoles,
    source: file,
  };
}

/**
 * The declared settings, checked, and the settings the policy itself reads (modules, switches, scope overrides):
 * declared or not, those have the type the engine reads and are changed only from above the account.
 */
function compileSettings(
  file: PolicyFile,
  permissions: ReadonlySet<string>,
  modules: ReadonlyMap<string, readonly string[]>,
  grants: readonly PermissionGrant[],
  actions: ReadonlyMap<PorticoAction, readonly string[]>,
  fail: ErrorFactory,
): Map<string, CompiledSetting> {
  const governed = new Map<string, SettingType>();
  if (modules.size > 0) governed.set('modules', 'list');
  for (const grant of grants) {
    if (grant.whenSetting !== undefined) governed.set(grant.whenSetting, 'boolean');
    if (grant.scopeSetting !== undefined) governed.set(grant.scopeSetting, 'map');
  }
  const settings = new Map<string, CompiledSetting>();
  for (const [key, def] of Object.entries(file.settings)) {
    const at = ['settings', key];
    for (const permission of def.changedBy) {
      if (!permissions.has(permission)) throw fail(`settings.${key}: ${permission} is not a permission of any account type`, at);
    }
    const readAs = governed.get(key);
    if (readAs !== undefined && def.type !== readAs) throw fail(`settings.${key}: the policy reads it as a ${readAs}, not a ${def.type}`, at);
    if (def.secret && def.type !== 'string') throw fail(`settings.${key}: a secret setting is a string`, at);
    if (def.secret && readAs !== undefined) throw fail(`settings.${key}: the policy reads it to decide, so it cannot be secret`, at);
    if (def.secret && def.default !== undefined) throw fail(`settings.${key}: a secret setting has no default`, at);
    if (def.default !== undefined && !isSettingValue(def.type, def.default)) throw fail(`settings.${key}: the default is not ${def.type === 'integer' ? 'an' : 'a'} ${def.type}`, at);
    settings.set(key, { key, type: def.type, description: def.description, default: def.default, changedBy: def.changedBy, secret: def.secret, governed: readAs !== undefined });
  }
  const configure = actions.get('accounts.configure') ?? [];
  for (const [key, type] of governed) {
    if (settings.has(key)) continue;
    if (configure.length === 0) throw fail(`the policy reads the setting ${key}: declare it under settings, or map accounts.configure`, ['settings']);
    settings.set(key, { key, type, changedBy: configure, secret: false, governed: true });
  }
  return settings;
}

function matches(pattern: string, permission: string): boolean {
  if (pattern.endsWith(':*')) return permission.startsWith(pattern.slice(0, -1));
  return pattern === permission;
}

/** The most permissive wins: applying below if either grant does, the wider scope, the fewer conditions. */
export function mergeGrant(into: Map<string, PermissionGrant>, grant: PermissionGrant, scopes: ReadonlyMap<string, readonly string[]>): void {
  const existing = into.get(grant.permission);
  if (!existing) {
    into.set(grant.permission, { ...grant });
    return;
  }
  const order = scopes.get(grant.permission);
  const wider = order && grant.scope !== undefined && existing.scope !== undefined && order.indexOf(grant.scope) > order.indexOf(existing.scope);
  into.set(grant.permission, {
    permission: grant.permission,
    descendants: existing.descendants || grant.descendants,
    // Beyond invitation if either grant counts beyond it; on the role's own account if either applies there.
    ...(existing.atInvitation && grant.atInvitation ? { atInvitation: true as const } : {}),
    ...(existing.ownAccount === false && grant.ownAccount === false ? { ownAccount: false as const } : {}),
    scope: wider ? grant.scope : existing.scope,
    module: existing.module ?? grant.module,
    whenSetting: existing.whenSetting !== undefined && grant.whenSetting !== undefined ? existing.whenSetting : undefined,
    scopeSetting: existing.scopeSetting ?? grant.scopeSetting,
  });
}
