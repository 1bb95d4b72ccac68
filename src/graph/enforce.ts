import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../domain/context';
import { PorticoError } from '../errors';
import { accountIdAt, alternatives, fieldRules } from 'portico-kit';

// The rule model is the kit's: one reading of the directives for this graph and every downstream subgraph.
export { fieldRules, protectionReport, rulesOf, type FieldRule } from 'portico-kit';

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
      const rules = fieldRules(schema, type, field);
      if (rules.some((r) => r.kind === 'public')) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = async (source, args, ctx: RequestContext, info) => {
        if (rules.length === 0) throw new PorticoError('FORBIDDEN', `${type.name}.${field.name} declares no access rule`);
        if (!ctx.principal) throw new PorticoError('UNAUTHENTICATED', 'sign in to do this');
        for (const rule of rules) {
          if (rule.kind !== 'permission') continue;
          const accountId = rule.account === undefined ? ctx.principal.account.id : accountIdAt(rule.account, args, source);
          const [first, ...others] = alternatives(rule.permission);
          if (isRoot) {
            // A root field names its object: unknown or invisible is NOT_FOUND, visible but denied is FORBIDDEN.
            // With alternatives, the first that allows counts; when none does, the first one's refusal is the answer.
            if (!(await anyAllowed(ctx, others, accountId))) await ctx.requireOn(first ?? rule.permission, String(accountId));
            continue;
          }
          if (!(await anyAllowed(ctx, alternatives(rule.permission), accountId))) {
            throw new PorticoError('UNAUTHORIZED_FIELD_OR_TYPE', `not authorized to read ${type.name}.${field.name}: requires ${rule.permission}`, { permission: rule.permission });
          }
        }
        return resolve(source, args, ctx, info);
      };
    }
  }
  return schema;
}

/** Whether any of the permissions is allowed on the account; no account (a path that leads nowhere) allows none. */
async function anyAllowed(ctx: RequestContext, permissions: string[], accountId: string | undefined): Promise<boolean> {
  if (accountId === undefined) return false;
  for (const permission of permissions) if ((await ctx.authorize(permission, accountId)).allowed) return true;
  return false;
}
