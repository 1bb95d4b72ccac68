import {
  defaultFieldResolver,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { accountIdAt, accountRoot, fieldRules, protectionReport, rulesOf, type FieldRule, type PermissionRule } from './rules';
import type { PorticoContext, PorticoViewer } from './context';
import { forbidden, unauthenticated } from './context';

type ReferenceResolver = (reference: Record<string, unknown>, context: unknown, info: unknown) => unknown;

/** Answered without a context token: the gateway loads the schema through it. */
const SERVICE_FIELDS = new Set(['Query._service', '_Service.sdl']);

/** The account a rule is about: from the field's argument, else the parent object's field, else the caller's own. */
function accountOf(rule: PermissionRule, viewer: PorticoViewer, source: unknown, args: Record<string, unknown>): string | undefined {
  return rule.account === undefined ? viewer.accountId : accountIdAt(rule.account, args, source);
}

/** The first permission rule the caller fails, or undefined when they pass them all; every check goes out at once. */
async function firstDenied(rules: PermissionRule[], viewer: PorticoViewer, source: unknown, args: Record<string, unknown>): Promise<{ rule: PermissionRule; accountId?: string } | undefined> {
  const outcomes = await Promise.all(
    rules.map(async (rule) => {
      const accountId = accountOf(rule, viewer, source, args);
      // No account to decide on (a missing argument or field) is a denial, never the caller's own account.
      if (accountId === undefined) return { rule, accountId, allowed: false };
      return { rule, accountId, allowed: (await viewer.authorize(rule.permission, accountId)).allowed };
    }),
  );
  return outcomes.find((o) => !o.allowed);
}

function viewerOf(context: unknown): PorticoViewer {
  const viewer = (context as Partial<PorticoContext> | undefined)?.portico;
  if (!viewer) throw unauthenticated('this subgraph answers only requests the gateway signed a context token for');
  return viewer;
}

const notAuthorized = (what: string, permission: string) =>
  new GraphQLError(`not authorized to read ${what}: requires ${permission}`, { extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', permission } });

/** The fields named by the type's `@key` directives: what a representation may be trusted for. */
function keyFields(type: GraphQLObjectType | GraphQLInterfaceType): Set<string> | undefined {
  const keys = [type.astNode, ...type.extensionASTNodes].flatMap((node) => (node?.directives ?? []).filter((d) => d.name.value === 'key'));
  if (keys.length === 0) return undefined;
  const fields = new Set<string>();
  for (const key of keys) {
    const value = key.arguments?.find((a) => a.name.value === 'fields')?.value;
    if (value?.kind === 'StringValue') for (const name of value.value.split(/[\s{}]+/)) if (name) fields.add(name);
  }
  return fields;
}

function subgraphExtensions(type: GraphQLObjectType | GraphQLInterfaceType): { resolveReference?: ReferenceResolver } | undefined {
  const extensions = type.extensions as { apollo?: { subgraph?: { resolveReference?: ReferenceResolver } } };
  return extensions.apollo?.subgraph;
}

export interface PorticoDirectivesReport {
  field: string;
  rules: FieldRule[];
}

/**
 * Enforces Portico's directives on a subgraph schema (the kit's `buildSubgraphSchema`, Apollo's, or type-graphql's), in place:
 * - every field needs a context token from the gateway, except `_service`;
 * - `@authenticated` needs nothing more; `@requiresPermission(permission, account)` asks Portico, object-level,
 *   for the account read from the field's argument, the parent object's field, or else the caller's own;
 *   `permission: "a|b"` is allowed by either;
 * - a type's directives apply to each of its fields and to its entity resolution (`_entities`), on the object
 *   the reference resolved to, never on what the representation claims;
 * - a field with no rule, on a type with none, is refused: silence is not a declaration.
 * Denials read `UNAUTHORIZED_FIELD_OR_TYPE` on a nested field, `FORBIDDEN` on a root field or mutation, and
 * `UNAUTHENTICATED` without a context token. The context must carry `portico` (see `porticoKit().context`).
 */
export function applyPorticoDirectives<S extends GraphQLSchema>(schema: S): S {
  const roots = new Set([schema.getQueryType()?.name, schema.getMutationType()?.name, schema.getSubscriptionType()?.name]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type)) guardEntityResolution(schema, type);
    if (!isObjectType(type)) continue;
    const isRoot = roots.has(type.name);
    for (const field of Object.values(type.getFields())) {
      const name = `${type.name}.${field.name}`;
      if (SERVICE_FIELDS.has(name)) continue;
      const rules = fieldRules(schema, type, field);
      const permissions = rules.filter((r): r is PermissionRule => r.kind === 'permission');
      const isPublic = rules.some((r) => r.kind === 'public');
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = async (source, args, context, info) => {
        const viewer = viewerOf(context);
        if (rules.length === 0) throw new GraphQLError(`${name} declares no access rule`, { extensions: { code: 'FORBIDDEN' } });
        if (!isPublic && permissions.length > 0) {
          const denied = await firstDenied(permissions, viewer, source, args);
          if (denied) {
            if (isRoot) throw forbidden(denied.rule.permission, denied.accountId ?? '(none)');
            throw notAuthorized(name, denied.rule.permission);
          }
        }
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}

/**
 * Entity resolution is not a side door: a type's rules are checked on the object its reference resolver returns.
 * A rule that reads its account from a field the representation merely claims (not a key field) needs a
 * reference resolver that loads the object; without one, the schema is refused at start.
 */
function guardEntityResolution(schema: GraphQLSchema, type: GraphQLObjectType | GraphQLInterfaceType): void {
  const keys = keyFields(type);
  if (!keys) return;
  const rules = rulesOf(schema, type).filter((r): r is PermissionRule => r.kind === 'permission');
  const extensions = subgraphExtensions(type);
  const resolveReference = extensions?.resolveReference;
  const trustsRepresentation = rules.some((r) => r.account !== undefined && !keys.has(accountRoot(r.account)));
  if (trustsRepresentation && !resolveReference) {
    throw new Error(`${type.name}: a rule reads its account from a field an _entities representation could forge; give ${type.name} a __resolveReference that loads the object`);
  }
  if (!resolveReference || rules.length === 0) return;
  extensions!.resolveReference = async (reference, context, info) => {
    const viewer = viewerOf(context);
    const resolved = await resolveReference(reference, context, info);
    if (resolved === null || resolved === undefined) return resolved;
    const denied = await firstDenied(rules, viewer, resolved, {});
    if (denied) throw notAuthorized(type.name, denied.rule.permission);
    return resolved;
  };
}

/** Every field with the rules that protect it, for a snapshot test: a diff there is a permission change to review. */
export const porticoProtectionReport = (schema: GraphQLSchema): PorticoDirectivesReport[] => protectionReport(schema);
