import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import type { RequestContext } from '../domain/context';
import { callerAsNow } from '../domain/current-caller';
import { subgraphFromTypeGraphQL } from 'portico-kit/type-graphql';
import { PORTICO_DIRECTIVES } from './directives';
import { enforceDirectives } from './enforce';
import { AccessReviewResolver } from './resolvers/access-review.resolver';
import { AccountResolver } from './resolvers/account.resolver';
import { AccountSettingResolver, AccountSettingsResolver } from './resolvers/account-setting.resolver';
import { CommunicationResolver, ProviderContactsResolver, ViewerCommunicationsResolver } from './resolvers/communication.resolver';
import { AdministrationResolver } from './resolvers/administration.resolver';
import { AuditEventConnectionResolver, AuditResolver } from './resolvers/audit.resolver';
import { AuthorizationResolver } from './resolvers/authorization.resolver';
import { AccountConnectionResolver, DelegatedAdminRelationshipConnectionResolver, ImpersonationGrantConnectionResolver, ImpersonationSessionConnectionResolver } from './resolvers/connection-count.resolver';
import { DelegationResolver } from './resolvers/delegation.resolver';
import { DirectoryResolver } from './resolvers/directory.resolver';
import { ImpersonationGrantResolver, ImpersonationSessionResolver } from './resolvers/impersonation.resolver';
import { MySettingsResolver, UserPersonalSettingsResolver } from './resolvers/my-settings.resolver';
import { PartnerGroupResolver, UserPartnerGroupsResolver, ViewerPartnerGroupsResolver } from './resolvers/partner-group.resolver';
import { ViewAudienceResolver, ViewerViewsResolver, ViewResolver } from './resolvers/view.resolver';
import { RoleResolver } from './resolvers/role.resolver';
import { UserResolver } from './resolvers/user.resolver';
import { ViewerResolver } from './resolvers/viewer.resolver';
import { WebhookResolver } from './resolvers/webhook.resolver';

/** The access-control subgraph: its SDL (printed to schema/access-control.graphql) and its executable schema. */
export async function buildAccessControlSubgraph(): Promise<{ sdl: string; schema: GraphQLSchema }> {
  const base = await buildSchema({
    resolvers: [ViewerResolver, MySettingsResolver, UserPersonalSettingsResolver, AccountResolver, AccountSettingsResolver, AccountSettingResolver, CommunicationResolver, ViewerCommunicationsResolver, ProviderContactsResolver, UserResolver, RoleResolver, AuthorizationResolver, ImpersonationGrantResolver, ImpersonationSessionResolver, DelegationResolver, AdministrationResolver, DirectoryResolver, AccessReviewResolver, AuditResolver, AuditEventConnectionResolver, WebhookResolver, PartnerGroupResolver, ViewerPartnerGroupsResolver, UserPartnerGroupsResolver, ViewResolver, ViewAudienceResolver, ViewerViewsResolver, AccountConnectionResolver, ImpersonationGrantConnectionResolver, ImpersonationSessionConnectionResolver, DelegatedAdminRelationshipConnectionResolver],
    directives: PORTICO_DIRECTIVES,
    validate: false,
    skipCheck: true,
  });
  // Built as any downstream subgraph is, with the kit's helper; entity resolution is not a side door: a reference
  // resolves only to what the caller may see.
  const { sdl, schema } = subgraphFromTypeGraphQL(
    base,
    {
      Account: (ref, ctx: RequestContext) => ctx.visibleAccount(ref.id as string),
      User: (ref, ctx: RequestContext) => ctx.visibleUser(ref.id as string),
    },
    ['@shareable'],
  );
  return { sdl, schema: mutationsInOrder(enforceDirectives(schema)) };
}

/**
 * Mutation root fields run one after another, and any of them may change the caller's own session, grants, roles or
 * status (ending the session, revoking one's own role, suspending oneself). So each one after the first runs on the
 * caller read again from the database, never on what the request read before: a caller who may no longer sign in is
 * refused, and one whose rights changed is decided on with the rights they hold now.
 */
function mutationsInOrder(schema: GraphQLSchema): GraphQLSchema {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = async (source, args, ctx: RequestContext, info) => {
      await callerAsNow(ctx);
      try {
        return await resolve(source, args, ctx, info);
      } finally {
        ctx.markStale();
      }
    };
  }
  return schema;
}
