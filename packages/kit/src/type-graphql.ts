import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { createResolversMap, Directive } from 'type-graphql';
import { porticoSubgraphLinks } from './directives';
import { buildSubgraphSchema, type SubgraphResolvers } from './subgraph-schema';

// `portico-kit/type-graphql`: for subgraphs written with type-graphql (a peer dependency of this entry point only).

export const Authenticated = () => Directive('@authenticated');
export const Public = () => Directive('@public');
export const RequiresPermission = (permission: string, options: { account?: string } = {}) =>
  Directive(`@requiresPermission(permission: ${JSON.stringify(permission)}${options.account ? `, account: ${JSON.stringify(options.account)}` : ''})`);

type ReferenceResolver = (reference: { [key: string]: unknown }, context: never, info: never) => unknown;

/**
 * A Federation 2 subgraph from a type-graphql schema (built with `directives: PORTICO_DIRECTIVES` and the
 * `Authenticated()` / `RequiresPermission()` / `Public()` decorators, plus `@Directive('@key(fields: "id")')` on
 * entities), with its reference resolvers. Pass the result's schema to `applyPorticoDirectives`.
 */
export function subgraphFromTypeGraphQL(
  schema: GraphQLSchema,
  referenceResolvers: Record<string, ReferenceResolver> = {},
  federationImports: string[] = [],
): { sdl: string; schema: GraphQLSchema } {
  const sdl = porticoSubgraphLinks(federationImports) + printSchemaWithDirectives(schema).replace(/^schema \{[^}]*\}\n*/m, '');
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  for (const [type, resolveReference] of Object.entries(referenceResolvers)) resolvers[type] = { ...resolvers[type], __resolveReference: resolveReference };
  return { sdl, schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as SubgraphResolvers }) };
}
