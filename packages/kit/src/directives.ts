import { astFromDirective } from '@graphql-tools/utils';
import { DirectiveLocation, GraphQLDirective, GraphQLNonNull, GraphQLString, print } from 'graphql';

/** The URL of Portico's linked directive spec. */
export const PORTICO_SPEC_URL = 'https://portico.dev/authz/v0.1';

export const authenticatedDirective = new GraphQLDirective({
  name: 'authenticated',
  description: 'The caller must be signed in.',
  locations: [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT],
});

export const requiresPermissionDirective = new GraphQLDirective({
  name: 'requiresPermission',
  description:
    'The caller must hold the permission (resource:action, or one of Portico\'s actions such as users.read, which the policy maps to permissions). ' +
    'With `account`, the account id is read from that argument of the field (dotted for input fields: "input.accountId") or, when no argument has that name, from that field of the parent object; without it, from the caller\'s own account.',
  locations: [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT],
  args: { permission: { type: new GraphQLNonNull(GraphQLString) }, account: { type: GraphQLString } },
});

export const publicDirective = new GraphQLDirective({
  name: 'public',
  description: 'Readable without signing in. Every field is either protected or marked public.',
  locations: [DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT],
});

export const PORTICO_DIRECTIVES = [authenticatedDirective, requiresPermissionDirective, publicDirective];

// The `a|b` alternatives are part of the rule model: written and read in rules.ts.
export { alternatives, ANY_OF_SEPARATOR, anyOf } from './rules';

/**
 * The links a subgraph's SDL starts with to use Portico's directives: Federation 2, Portico's spec, and
 * `@composeDirective` so the gateway sees the rules in the supergraph. Add the federation directives your schema
 * uses besides `@key` (`@shareable`, `@external`, …) with `federationImports`.
 */
export function porticoSubgraphLinks(federationImports: string[] = []): string {
  const imports = ['@key', ...federationImports.filter((name) => name !== '@key' && name !== '@composeDirective'), '@composeDirective'];
  return (
    'extend schema\n' +
    `  @link(url: "https://specs.apollo.dev/federation/v2.3", import: [${imports.map((name) => JSON.stringify(name)).join(', ')}])\n` +
    `  @link(url: "${PORTICO_SPEC_URL}", import: ["@authenticated", "@requiresPermission", "@public"])\n` +
    '  @composeDirective(name: "@authenticated")\n' +
    '  @composeDirective(name: "@requiresPermission")\n' +
    '  @composeDirective(name: "@public")\n\n'
  );
}

/** The links and the directive definitions: what a hand-written SDL starts with. */
export function porticoSubgraphHeader(federationImports: string[] = []): string {
  return porticoSubgraphLinks(federationImports) + PORTICO_DIRECTIVE_DEFINITIONS;
}

/** The definitions of Portico's directives, printed from the same objects the access-control subgraph uses (composition wants them equal). */
export const PORTICO_DIRECTIVE_DEFINITIONS = PORTICO_DIRECTIVES.map((directive) => print(astFromDirective(directive))).join('\n\n') + '\n\n';
