import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../domain/context';
import { PorticoError } from '../errors';
import { fieldRules } from '../kit/rules';

// The rule model is the kit's: one reading of the directives for this graph and every downstream subgraph.
export { fieldRules, protectionReport, rulesOf, type FieldRule } from '../kit/rules';


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
