import { getDirective } from '@graphql-tools/utils';
import { isObjectType, type GraphQLField, type GraphQLInterfaceType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';

export type FieldRule = { kind: 'public' } | { kind: 'authenticated' } | { kind: 'permission'; permission: string; account?: string };
export type PermissionRule = Extract<FieldRule, { kind: 'permission' }>;

/** What a directive of Portico's spec means, whatever name a schema links it under. */
export type PorticoDirectiveRole = 'public' | 'authenticated' | 'requiresPermission';

/** Portico's directives under their own names, as a subgraph that imports them declares them. */
export const PORTICO_DIRECTIVE_NAMES: ReadonlyMap<string, PorticoDirectiveRole> = new Map([
  ['public', 'public'],
  ['authenticated', 'authenticated'],
  ['requiresPermission', 'requiresPermission'],
]);

// Read in this order on every element, so a rule list reads the same whatever order the directives were written in.
const ROLE_ORDER: readonly PorticoDirectiveRole[] = ['public', 'authenticated', 'requiresPermission'];

/** Separates alternatives in `@requiresPermission(permission:)`: `"offers:read|offers:readRetailPrice"` is allowed by either. */
export const ANY_OF_SEPARATOR = '|';

/** A permission allowed by any one of the given permissions, for `@requiresPermission(permission:)`. */
export const anyOf = (...permissions: string[]): string => permissions.join(ANY_OF_SEPARATOR);

/** The alternatives a `permission` argument names; one for a plain permission, none for an empty one. */
export const alternatives = (permission: string): string[] =>
  permission
    .split(ANY_OF_SEPARATOR)
    .map((p) => p.trim())
    .filter((p) => p !== '');

/** The rule one use of a Portico directive declares, from its arguments. */
export function ruleOf(role: PorticoDirectiveRole, args: Record<string, unknown>): FieldRule {
  if (role === 'public') return { kind: 'public' };
  if (role === 'authenticated') return { kind: 'authenticated' };
  const permission = typeof args.permission === 'string' ? args.permission : '';
  return typeof args.account === 'string' ? { kind: 'permission', permission, account: args.account } : { kind: 'permission', permission };
}

type Directable = Parameters<typeof getDirective>[1];

/**
 * The rules a schema element (a field, an object or interface type with its extensions) declares, each with the
 * directive name that declared it, read with `getDirective`. `names` maps the directive names this schema uses to
 * what they mean (a supergraph may link Portico's spec under a prefix or under other names).
 */
export function declaredRules(schema: GraphQLSchema, element: Directable, names: ReadonlyMap<string, PorticoDirectiveRole> = PORTICO_DIRECTIVE_NAMES): Array<{ directive: string; rule: FieldRule }> {
  const linked = [...names].sort(([, a], [, b]) => ROLE_ORDER.indexOf(a) - ROLE_ORDER.indexOf(b));
  return linked.flatMap(([directive, role]) => (getDirective(schema, element, directive) ?? []).map((args) => ({ directive, rule: ruleOf(role, args as Record<string, unknown>) })));
}

/** The rules a schema element declares (see `declaredRules`). */
export function rulesOf(schema: GraphQLSchema, element: Directable, names?: ReadonlyMap<string, PorticoDirectiveRole>): FieldRule[] {
  return declaredRules(schema, element, names).map(({ rule }) => rule);
}

// Federation's own fields: `_service` serves the SDL for composition; `_entities` resolves references, each
// through its type's reference resolver, which applies the same visibility rules as the root fields.
const FEDERATION_RULES: Record<string, FieldRule[]> = {
  'Query._service': [{ kind: 'public' }],
  '_Service.sdl': [{ kind: 'public' }],
  'Query._entities': [{ kind: 'authenticated' }],
};

/** The rules that protect a field: its own directives, else its type's. Empty means unprotected. */
export function fieldRules(schema: GraphQLSchema, type: GraphQLObjectType | GraphQLInterfaceType, field: GraphQLField<unknown, unknown>): FieldRule[] {
  const federation = FEDERATION_RULES[`${type.name}.${field.name}`];
  if (federation) return federation;
  const own = rulesOf(schema, field);
  if (own.some((r) => r.kind === 'public')) return own;
  const typeLevel = rulesOf(schema, type);
  // A permission on a field of an @authenticated type still needs a signed-in caller: both apply.
  return [...typeLevel.filter((r) => r.kind !== 'public' || own.length === 0), ...own];
}

/** Every field of the schema with what protects it; a field with no rule is a hole, and a test lists them. */
export function protectionReport(schema: GraphQLSchema): Array<{ field: string; rules: FieldRule[] }> {
  const report: Array<{ field: string; rules: FieldRule[] }> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) report.push({ field: `${type.name}.${field.name}`, rules: fieldRules(schema, type, field) });
  }
  return report.sort((a, b) => a.field.localeCompare(b.field));
}

/**
 * Where a rule's `account` path starts: the name of a field argument (`"input.accountId"` → `input`) or, when the
 * field has no argument of that name, of a field of the parent object.
 */
export const accountRoot = (path: string): string => path.split('.')[0];

/** Where a rule's account path is read: from the field's arguments when its root names one, else from the parent object. */
export const readsArgument = (path: string, args: Record<string, unknown>): boolean => accountRoot(path) in args;

/**
 * An account id as a rule decides on it. An ID may arrive as a number (an integer ID argument, a numeric column):
 * it names the account whose id is its decimal text. Anything else names no account, and the rule denies.
 */
export function accountIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * The account a rule's `account` path names: read from the field's arguments when its root is one of them, else
 * from the parent object, dotted into nested objects. Undefined when the path leads nowhere or to no id.
 */
export function accountIdAt(path: string, args: Record<string, unknown>, parent: unknown): string | undefined {
  const value = path.split('.').reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), readsArgument(path, args) ? args : parent);
  return accountIdOf(value);
}
