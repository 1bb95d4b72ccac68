import { DirectiveLocation, GraphQLDirective, GraphQLNonNull, GraphQLString } from 'graphql';
import { Directive } from 'type-graphql';

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

export const Authenticated = () => Directive('@authenticated');
export const Public = () => Directive('@public');
export const RequiresPermission = (permission: string, options: { account?: string } = {}) =>
  Directive(`@requiresPermission(permission: ${JSON.stringify(permission)}${options.account ? `, account: ${JSON.stringify(options.account)}` : ''})`);
