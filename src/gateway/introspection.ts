import { HeaderMap, type ApolloServerPlugin, type BaseContext, type GraphQLResponse } from '@apollo/server';
import { MapperKind, mapSchema, pruneSchema } from '@graphql-tools/utils';
import { execute, GraphQLError, GraphQLObjectType, GraphQLSchema, isInterfaceType, isObjectType, Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { collectFields } from 'graphql/execution/collectFields';
import { LRUCache } from 'lru-cache';
import type { RequestContext } from '../domain/context';
import { permissionsUnderLiveGrants } from '../domain/impersonation.service';
import { alternatives, fieldRules } from 'portico-kit';
import type { GatewayRule } from './rules';

/** Distinct permission sets whose schema view is kept; callers with the same reach share one. */
const VIEW_CACHE_SIZE = 500;

/** What a caller could ever be allowed: the per-identity schema view is decided from this alone. */
export interface Reach {
  signedIn: boolean;
  /** Permissions and Portico actions some decision could allow them on some account (PolicyEngine.reachable). */
  permissions: ReadonlySet<string>;
  /** Their token's scopes, for @requiresScopes. */
  scopes: ReadonlySet<string>;
}

/** Every rule a field of the served schema must pass, statically: the field's own, its type's and its result type's. */
export type RequirementsOf = (typeName: string, fieldName: string) => readonly GatewayRule[];

/** The requirements of a schema that declares Portico's directives itself (the access-control graph served alone). */
export function declaredRequirements(schema: GraphQLSchema): RequirementsOf {
  return (typeName, fieldName) => {
    const type = schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
    if (!isObjectType(type) || !field) return [];
    return fieldRules(schema, type, field).flatMap((rule): GatewayRule[] => (rule.kind === 'public' ? [] : rule.kind === 'authenticated' ? [rule] : [{ kind: 'permission', permission: rule.permission }]));
  };
}

/** Whether some request of a caller with this reach could pass the rule. */
export function satisfiable(rule: GatewayRule, reach: Reach): boolean {
  const holds = (requirement: string) => reach.signedIn && reach.permissions.has(requirement);
  switch (rule.kind) {
    case 'authenticated':
      return reach.signedIn;
    case 'scopes':
      return rule.anyOf.some((all) => all.every((scope) => reach.scopes.has(scope)));
    case 'policy':
      return rule.anyOf.some((all) => all.every(holds));
    case 'permission':
      // On any account: the account the operation names is not known before the operation is.
      return alternatives(rule.permission).some(holds);
  }
}

/**
 * The schema a caller with this reach is shown: fields whose rules they can never pass are removed (an interface
 * field with them when any implementation loses it, so the view stays a valid schema), then every type left
 * unreachable or empty. The root types stay, empty if need be: an anonymous caller's view may have no field at all.
 */
export function schemaView(schema: GraphQLSchema, requirementsOf: RequirementsOf, reach: Reach): GraphQLSchema {
  const shown = (typeName: string, fieldName: string) => requirementsOf(typeName, fieldName).every((rule) => satisfiable(rule, reach));
  const filtered = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => (shown(typeName, fieldName) ? field : null),
    [MapperKind.INTERFACE_FIELD]: (field, fieldName, typeName) => {
      const type = schema.getType(typeName);
      const implementations = isInterfaceType(type) ? schema.getPossibleTypes(type) : [];
      return shown(typeName, fieldName) && implementations.every((implementation) => shown(implementation.name, fieldName)) ? field : null;
    },
  });
  const pruned = pruneSchema(filtered);
  // A Query type left without fields is pruned, yet a schema needs one: such a caller is shown it empty (assumeValid,
  // as an empty type fails graphql-js's validation, which is about serving the type, not describing it).
  const query = pruned.getQueryType() ?? new GraphQLObjectType({ name: schema.getQueryType()?.name ?? 'Query', fields: {} });
  return new GraphQLSchema({ ...pruned.toConfig(), query, assumeValid: true });
}

const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/** The root fields an operation selects, by name, through fragments and @skip / @include. */
function rootFieldNames(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): string[] {
  const root = schema.getRootType(operation.operation);
  if (!root) return [];
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  return [...collectFields(schema, fragments, variables ?? {}, root, operation.selectionSet).values()].map(([node]) => node.name.value);
}

export interface SchemaViewOptions {
  /** The request's access-control context (the caller, the engine), or null when there is none. */
  requestContextOf(context: BaseContext): RequestContext | null;
  /** The scopes of the caller's token. */
  scopesOf(context: BaseContext): ReadonlySet<string>;
  requirementsOf: RequirementsOf;
}

/**
 * `PORTICO_INTROSPECTION=per-identity`: an introspection query is answered from the caller's schema view, kept
 * per distinct reach rather than per user. An operation mixing introspection with other root fields is refused:
 * its other fields would be answered from the whole graph and its introspection from the view.
 */
export function perIdentityIntrospection({ requestContextOf, scopesOf, requirementsOf }: SchemaViewOptions): ApolloServerPlugin<BaseContext> {
  const views = new WeakMap<GraphQLSchema, LRUCache<string, GraphQLSchema>>();
  const viewOf = (schema: GraphQLSchema, reach: Reach): GraphQLSchema => {
    let cache = views.get(schema);
    if (!cache) views.set(schema, (cache = new LRUCache({ max: VIEW_CACHE_SIZE })));
    const key = JSON.stringify([reach.signedIn, [...reach.permissions].sort(), [...reach.scopes].sort()]);
    let view = cache.get(key);
    if (!view) cache.set(key, (view = schemaView(schema, requirementsOf, reach)));
    return view;
  };
  const reachOf = async (context: BaseContext): Promise<Reach> => {
    const ctx = requestContextOf(context);
    const principal = ctx?.principal ?? null;
    if (!ctx || !principal) return { signedIn: false, permissions: new Set(), scopes: new Set() };
    return { signedIn: true, permissions: ctx.engine.reachable(principal.facts, await permissionsUnderLiveGrants(ctx)), scopes: scopesOf(context) };
  };
  const introspects = (names: readonly string[]) => names.some((name) => INTROSPECTION_FIELDS.has(name));

  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const names = rootFieldNames(schema, document, operation, request.variables);
          if (introspects(names) && names.some((name) => !INTROSPECTION_FIELDS.has(name) && name !== '__typename')) {
            throw new GraphQLError('an introspection query selects only __schema, __type and __typename: send the other fields in another operation', {
              extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
            });
          }
        },
        async responseForOperation({ schema, document, operation, operationName, request, contextValue }): Promise<GraphQLResponse | null> {
          if (!operation || !introspects(rootFieldNames(schema, document, operation, request.variables))) return null;
          const view = viewOf(schema, await reachOf(contextValue));
          const result = await execute({ schema: view, document, operationName, variableValues: request.variables });
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: result.data, ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}) } } };
        },
      };
    },
  };
}
