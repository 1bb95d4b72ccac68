import { isObjectType, type ConstDirectiveNode, type GraphQLField, type GraphQLObjectType, type GraphQLSchema } from 'graphql';

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
