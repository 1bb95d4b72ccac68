import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap } from 'type-graphql';
import type { RequestContext } from '../domain/context';
import { buildSubgraphSchema } from '../kit/subgraph-schema';
import { PORTICO_DIRECTIVES, PORTICO_SPEC_URL } from './directives';
import { enforceDirectives } from './enforce';
import { AccessReviewResolver } from './resolvers/access-review.resolver';
import { AccountResolver } from './resolvers/account.resolver';
import { AdministrationResolver } from './resolvers/administration.resolver';
import { AuditEventConnectionResolver, AuditResolver } from './resolvers/audit.resolver';
import { AuthorizationResolver } from './resolvers/authorization.resolver';
import { AccountConnectionResolver, DelegatedAdminRelationshipConnectionResolver, ImpersonationGrantConnectionResolver, ImpersonationSessionConnectionResolver } from './resolvers/connection-count.resolver';
import { DelegationResolver } from './resolvers/delegation.resolver';
import { DirectoryResolver } from './resolvers/directory.resolver';
import { ImpersonationGrantResolver, ImpersonationSessionResolver } from './resolvers/impersonation.resolver';
import { PartnerGroupResolver, UserPartnerGroupsResolver, ViewerPartnerGroupsResolver } from './resolvers/partner-group.resolver';
import { RoleResolver } from './resolvers/role.resolver';
import { UserResolver } from './resolvers/user.resolver';
import { ViewerResolver } from './resolvers/viewer.resolver';
import { WebhookResolver } from './resolvers/webhook.resolver';

const FEDERATION_LINK =
  'extend schema\n' +
  '  @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@composeDirective"])\n' +
  `  @link(url: "${PORTICO_SPEC_URL}", import: ["@authenticated", "@requiresPermission", "@public"])\n` +
  '  @composeDirective(name: "@authenticated")\n' +
  '  @composeDirective(name: "@requiresPermission")\n' +
  '  @composeDirective(name: "@public")\n\n';

/** The access-control subgraph: its SDL (printed to schema/access-control.graphql) and its executable schema. */
export async function buildAccessControlSubgraph(): Promise<{ sdl: string; schema: GraphQLSchema }> {
  const base = await buildSchema({
    resolvers: [ViewerResolver, AccountResolver, UserResolver, RoleResolver, AuthorizationResolver, ImpersonationGrantResolver, ImpersonationSessionResolver, DelegationResolver, AdministrationResolver, DirectoryResolver, AccessReviewResolver, AuditResolver, AuditEventConnectionResolver, WebhookResolver, PartnerGroupResolver, ViewerPartnerGroupsResolver, UserPartnerGroupsResolver, AccountConnectionResolver, ImpersonationGrantConnectionResolver, ImpersonationSessionConnectionResolver, DelegatedAdminRelationshipConnectionResolver],
    directives: PORTICO_DIRECTIVES,
    validate: false,
    skipCheck: true,
  });
  const sdl = FEDERATION_LINK + printSchemaWithDirectives(base).replace(/^schema \{[^}]*\}\n*/m, '');
  const resolvers = createResolversMap(base) as Record<string, Record<string, unknown>>;
  // Entity resolution is not a side door: a reference resolves only to what the caller may see.
  resolvers.Account = { ...resolvers.Account, __resolveReference: (ref: { id: string }, ctx: RequestContext) => ctx.visibleAccount(ref.id) };
  resolvers.User = { ...resolvers.User, __resolveReference: (ref: { id: string }, ctx: RequestContext) => ctx.visibleUser(ref.id) };
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never });
  return { sdl, schema: enforceDirectives(schema) };
}
