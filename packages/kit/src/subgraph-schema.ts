import { makeExecutableSchema } from '@graphql-tools/schema';
import type { IResolvers } from '@graphql-tools/utils';
import {
  GraphQLError,
  isObjectType,
  Kind,
  parse,
  print,
  type DirectiveDefinitionNode,
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLScalarType,
  type GraphQLSchema,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
} from 'graphql';

/** Resolves an entity from its `@key` representation (what `_entities` is given), as Apollo's `__resolveReference` does. */
export type ReferenceResolver = (reference: Record<string, unknown>, context: never, info: GraphQLResolveInfo) => unknown;

/** A subgraph's resolvers: per type, field resolvers and optionally `__resolveReference`; scalars as GraphQLScalarType. */
export type SubgraphResolvers<TContext = unknown> = {
  [typeName: string]: { [fieldName: string]: GraphQLFieldResolver<never, TContext, never> | ReferenceResolver } | GraphQLScalarType | { [enumValue: string]: string | number };
};

/**
 * The Federation 2 directives (and the types they name) a subgraph may use without defining them: the link spec,
 * federation's own and Apollo Router's authorization ones. Only those a subgraph does not define are added.
 */
const FEDERATION_DEFINITIONS = `
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
scalar federation__FieldSet
scalar federation__Scope
scalar federation__Policy
directive @link(url: String!, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @key(fields: federation__FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @requires(fields: federation__FieldSet!) on FIELD_DEFINITION
directive @provides(fields: federation__FieldSet!) on FIELD_DEFINITION
directive @external(reason: String) on OBJECT | FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @extends on OBJECT | INTERFACE
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA
directive @interfaceObject on OBJECT
directive @composeDirective(name: String!) repeatable on SCHEMA
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[federation__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @policy(policies: [[federation__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
`;

type ObjectNode = ObjectTypeDefinitionNode | ObjectTypeExtensionNode;

/** Object types with a resolvable `@key`: the members of `_Entity`. */
function entityTypeNames(document: DocumentNode): string[] {
  const names = new Set<string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const keys = ((definition as ObjectNode).directives ?? []).filter((d) => d.name.value === 'key');
    const resolvable = keys.some((key) => {
      const value = key.arguments?.find((a) => a.name.value === 'resolvable')?.value;
      return !(value?.kind === Kind.BOOLEAN && !value.value);
    });
    if (resolvable) names.add(definition.name.value);
  }
  return [...names];
}

/** The federation fields every subgraph answers: `_service` always, `_entities` when it has entities. */
function federationTypeDefs(document: DocumentNode, entities: string[]): string {
  const defined = new Set(document.definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : [])));
  const directives = new Set(document.definitions.filter((d): d is DirectiveDefinitionNode => d.kind === Kind.DIRECTIVE_DEFINITION).map((d) => d.name.value));
  const missing = parse(FEDERATION_DEFINITIONS).definitions.filter((d) => (d.kind === Kind.DIRECTIVE_DEFINITION ? !directives.has(d.name.value) : !('name' in d && d.name && defined.has(d.name.value))));
  const hasQuery = document.definitions.some((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Query');
  const fields = ['_service: _Service!', ...(entities.length > 0 ? ['_entities(representations: [_Any!]!): [_Entity]!'] : [])];
  return [
    ...missing.map((d) => print(d)),
    'scalar _Any',
    'type _Service { sdl: String }',
    ...(entities.length > 0 ? [`union _Entity = ${entities.join(' | ')}`] : []),
    `${hasQuery ? 'extend type' : 'type'} Query { ${fields.join(' ')} }`,
  ].join('\n');
}

/**
 * Builds a Federation 2 subgraph schema from its SDL (starting with `extend schema @link(...)`) and resolvers:
 * `_service { sdl }` answers the SDL as written, `_entities` resolves each representation through its type's
 * `__resolveReference` (or returns the representation itself). A type's reference resolver is kept where Apollo's
 * `buildSubgraphSchema` keeps it, `extensions.apollo.subgraph.resolveReference`, and read from there at each call,
 * so `applyPorticoDirectives` enforces entity resolution on schemas of either builder.
 */
export function buildSubgraphSchema<TContext>({ typeDefs, resolvers = {} }: { typeDefs: DocumentNode; resolvers?: SubgraphResolvers<TContext> }): GraphQLSchema {
  const sdl = print(typeDefs);
  const entities = entityTypeNames(typeDefs);
  const typeNameOf = new WeakMap<object, string>();
  const referenceResolvers = new Map<string, ReferenceResolver>();
  const withoutReferences: Record<string, unknown> = {};
  for (const [type, value] of Object.entries(resolvers)) {
    if (value && typeof value === 'object' && '__resolveReference' in value) {
      const { __resolveReference, ...fields } = value as { __resolveReference: ReferenceResolver };
      referenceResolvers.set(type, __resolveReference);
      withoutReferences[type] = fields;
    } else withoutReferences[type] = value;
  }

  let schema: GraphQLSchema;
  const federation: Record<string, unknown> = {
    Query: {
      ...((withoutReferences.Query as object | undefined) ?? {}),
      _service: () => ({ sdl }),
      ...(entities.length > 0
        ? {
            _entities: (_root: unknown, { representations }: { representations: Array<Record<string, unknown>> }, context: never, info: GraphQLResolveInfo) =>
              representations.map((reference) => {
                const typename = reference.__typename;
                const type = typeof typename === 'string' ? schema.getType(typename) : undefined;
                // An error in the list fails that entity alone (it reads null), as GraphQL does for a list item.
                if (!type || !isObjectType(type) || !entities.includes(type.name)) return new GraphQLError(`${String(typename)} is not an entity of this subgraph`);
                const resolveReference = (type.extensions as { apollo?: { subgraph?: { resolveReference?: ReferenceResolver } } }).apollo?.subgraph?.resolveReference;
                const tag = (value: unknown) => {
                  if (value && typeof value === 'object') typeNameOf.set(value, type.name);
                  return value;
                };
                if (!resolveReference) return tag(reference);
                const resolved = resolveReference(reference, context, info);
                return resolved instanceof Promise ? resolved.then(tag) : tag(resolved);
              }),
          }
        : {}),
    },
    ...(entities.length > 0
      ? {
          _Entity: {
            __resolveType: (value: Record<string, unknown>) => typeNameOf.get(value) ?? (typeof value.__typename === 'string' ? value.__typename : undefined),
          },
        }
      : {}),
  };

  schema = makeExecutableSchema({ typeDefs: [typeDefs, federationTypeDefs(typeDefs, entities)], resolvers: { ...withoutReferences, ...federation } as IResolvers });
  for (const [name, resolveReference] of referenceResolvers) {
    const type = schema.getType(name) as GraphQLObjectType | undefined;
    if (!type) throw new Error(`__resolveReference for ${name}, which is no type of the subgraph`);
    const extensions = type.extensions as Record<string, unknown> & { apollo?: { subgraph?: Record<string, unknown> } };
    (type as { extensions: Record<string, unknown> }).extensions = { ...extensions, apollo: { ...extensions.apollo, subgraph: { ...extensions.apollo?.subgraph, resolveReference } } };
  }
  return schema;
}
