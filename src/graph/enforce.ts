import { defaultFieldResolver, isObjectType, type ConstDirectiveNode, type GraphQLField, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../domain/context';
import { PorticoError } from '../errors';

export type FieldRule = { kind: 'public' } | { kind: 'authenticated' } | { kind: 'permission'; permission: string; account?: string };

// Federation's own fields: `_service` serves the SDL for composition; `_entities` resolves references, each
// through its type's reference resolver, which applies the same visibility rules as the root fields.
const FEDERATION_RULES: Record<string, FieldRule[]> = {
  'Query._service': [{ kind: 'public' }],
  '_Service.sdl': [{ kind: 'public' }],
  'Query._entities': [{ kind: 'authenticated' }],
};

/** The rules a list of directives declares (a field's or a type's). */
export function rulesOf(directives: readonly ConstDirectiveNode[] | undefined): FieldRule[] {
  const rules: FieldRule[] = [];
  for (const directive of directives ?? []) {
    const arg = (name: string) => {
      const value = directive.arguments?.find((a) => a.name.value === name)?.value;
      return value?.kind === 'StringValue' ? value.value : undefined;
    };
    if (directive.name.value === 'public') rules.push({ kind: 'public' });
    if (directive.name.value === 'authenticated') rules.push({ kind: 'authenticated' });
    if (directive.name.value === 'requiresPermission') rules.push({ kind: 'permission', permission: arg('permission')!, account: arg('account') });
  }
  return rules;
}

/** The rules that protect a field: its own directives, else its type's. Empty means unprotected. */
export function fieldRules(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>): FieldRule[] {
  const federation = FEDERATION_RULES[`${type.name}.${field.name}`];
  if (federation) return federation;
  const own = rulesOf(field.astNode?.directives);
  const typeLevel = [type.astNode, ...type.extensionASTNodes].flatMap((node) => rulesOf(node?.directives));
  if (own.some((r) => r.kind === 'public')) return own;
  // A permission on a field of an @authenticated type still needs a signed-in caller: both apply.
  return [...typeLevel.filter((r) => r.kind !== 'public' || own.length === 0), ...own];
}

/** Every field of the schema with what protects it; a field with no rule is a hole, and a test lists them. */
export function protectionReport(schema: GraphQLSchema): Array<{ field: string; rules: FieldRule[] }> {
  const report: Array<{ field: string; rules: FieldRule[] }> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) report.push({ field: `${type.name}.${field.name}`, rules: fieldRules(type, field) });
  }
  return report.sort((a, b) => a.field.localeCompare(b.field));
}

function readPath(source: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), source);
}

/**
 * Wraps every resolver with the checks its directives declare. Silence is not a declaration: a field with no
 * directive, on a type with none, is refused at run time as well as flagged by the protection test.
 */
export function enforceDirectives(schema: GraphQLSchema): GraphQLSchema {
  const root = new Set([schema.getQueryType()?.name, schema.getMutationType()?.name]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const isRoot = root.has(type.name);
    for (const field of Object.values(type.getFields())) {
      const rules = fieldRules(type, field);
      if (rules.some((r) => r.kind === 'public')) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = async (source, args, ctx: RequestContext, info) => {
        if (rules.length === 0) throw new PorticoError('FORBIDDEN', `${type.name}.${field.name} declares no access rule`);
        if (!ctx.principal) throw new PorticoError('UNAUTHENTICATED', 'sign in to do this');
        for (const rule of rules) {
          if (rule.kind !== 'permission') continue;
          const accountId = rule.account === undefined ? ctx.principal.account.id : rule.account.split('.')[0] in args ? readPath(args, rule.account) : readPath(source, rule.account);
          if (isRoot) {
            // A root field names its object: unknown or invisible is NOT_FOUND, visible but denied is FORBIDDEN.
            await ctx.requireOn(rule.permission, String(accountId));
            continue;
          }
          const decision = typeof accountId === 'string' ? await ctx.authorize(rule.permission, accountId) : undefined;
          if (!decision?.allowed) {
            throw new PorticoError('UNAUTHORIZED_FIELD_OR_TYPE', `not authorized to read ${type.name}.${field.name}: requires ${rule.permission}`, { permission: rule.permission });
          }
        }
        return resolve(source, args, ctx, info);
      };
    }
  }
  return schema;
}
