import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { confirmMyEmail, mySettings, personalSettingsOf, updateMySettings } from '../../domain/my-settings.service';
import { Authenticated } from '../directives';
import { MySettings, MySettingsInput } from '../types/my-settings.type';
import { User } from '../types/user.type';
import { Viewer } from '../types/viewer.type';

// My Settings are the caller's own: signed in is the rule, and the service acts on the caller alone (never in an
// impersonation session, never for a suspended user). No argument names a user.
@Resolver(() => Viewer)
export class MySettingsResolver {
  @FieldResolver(() => MySettings, { nullable: true, description: "The viewer's My Settings; null in an impersonation session." })
  settings(@Ctx() ctx: RequestContext): Promise<MySettings | null> {
    return mySettings(ctx);
  }

  @Mutation(() => User, {
    description:
      "Changes the caller's own name and personal settings (social connections, event integrations, notification settings, as typed fields or as one personal object); a new email waits for confirmMyEmail. Refused in an impersonation session.",
  })
  @Authenticated()
  updateMySettings(@Ctx() ctx: RequestContext, @Arg('input', () => MySettingsInput) input: MySettingsInput): Promise<User> {
    return updateMySettings(ctx, input);
  }

  @Mutation(() => User, { description: "Confirms the caller's pending email with the code sent to it (the user.email_change_requested event); the email changes, no identity link does." })
  @Authenticated()
  confirmMyEmail(@Ctx() ctx: RequestContext, @Arg('code', () => String) code: string): Promise<User> {
    return confirmMyEmail(ctx, code);
  }
}

@Resolver(() => User)
export class UserPersonalSettingsResolver {
  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description:
      "The user's own personal settings ({ socialConnections, eventIntegrations, notifications }), read by that user alone: null for anyone else (an administrator who may see the user too) and in an impersonation session.",
  })
  @Authenticated()
  personalSettings(@Ctx() ctx: RequestContext, @Root() user: User): Promise<Record<string, unknown> | null> {
    return personalSettingsOf(ctx, user.id) as Promise<Record<string, unknown> | null>;
  }
}
