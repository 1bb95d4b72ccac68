import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../domain/context';
import { inbox, inboxCounts, markCommunicationsRead, providerContactsOf, sendCommunication, setProviderContacts, type ProviderContact as Contact } from '../../domain/communications.service';
import type { AccountEntity } from '../../storage/entities';
import { Authenticated, RequiresPermission } from '../directives';
import { Account } from '../types/account.type';
import { Communication, CommunicationConnection, communicationOf, ProviderContact, ProviderContactInput, SendCommunicationInput } from '../types/communication.type';
import { User } from '../types/user.type';
import { Viewer } from '../types/viewer.type';
import { connection, decodeInstantCursor, pageSize } from './paging';

@ArgsType()
class InboxArgs {
  @Field(() => Int, { nullable: true, description: 'Page size (default 20, at most the configured maximum, 100 unless configured).' })
  first?: number;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  after?: string;

  @Field(() => Boolean, { nullable: true, description: 'Only those not read yet.' })
  unreadOnly?: boolean;
}

const contactOf = ({ role, user }: Contact): ProviderContact => ({ role, name: user.name, email: user.email });

@Resolver(() => Communication)
export class CommunicationResolver {
  @Mutation(() => Communication, {
    description: "Sends a communication to an account on a topic (communications.send: the platform, or a subgraph acting for it). Its recipients are resolved now from the topic's contact roles (and rights) and kept; event communication.sent.",
  })
  @RequiresPermission('communications.send', { account: 'input.accountId' })
  async sendCommunication(@Ctx() ctx: RequestContext, @Arg('input', () => SendCommunicationInput) input: SendCommunicationInput): Promise<Communication> {
    return communicationOf(await sendCommunication(ctx, input));
  }

  @Mutation(() => [Communication], { description: "Marks communications of the viewer's own inbox read; another user's is NOT_FOUND, and nothing is marked." })
  @Authenticated()
  async markCommunicationsRead(@Ctx() ctx: RequestContext, @Arg('ids', () => [ID]) ids: string[]): Promise<Communication[]> {
    return (await markCommunicationsRead(ctx, ids)).map(communicationOf);
  }

  @FieldResolver(() => Account, { nullable: true, description: 'The account it was sent to, when the viewer may see it.' })
  account(@Ctx() ctx: RequestContext, @Root() communication: Communication): Promise<Account | null> {
    return ctx.visibleAccount(communication.accountId);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who sent it, when the viewer may see them.' })
  sender(@Ctx() ctx: RequestContext, @Root() communication: Communication): Promise<User | null> {
    return ctx.visibleUser(communication.senderUserId);
  }

  @FieldResolver(() => [User], { nullable: true, description: 'Who received it, as resolved at send time: for its sender, in the answer to sendCommunication; null elsewhere.' })
  async recipients(@Ctx() ctx: RequestContext, @Root() communication: Communication): Promise<User[] | null> {
    if (!communication.recipientUserIds) return null;
    const users = await Promise.all(communication.recipientUserIds.map((id) => ctx.visibleUser(id)));
    return users.filter((u): u is NonNullable<typeof u> => u !== null);
  }
}

@Resolver(() => Viewer)
export class ViewerCommunicationsResolver {
  @FieldResolver(() => CommunicationConnection, { description: "The viewer's own inbox, newest first: what was sent to them, with an unread count." })
  async communications(@Ctx() ctx: RequestContext, @Args(() => InboxArgs) { first, after, unreadOnly }: InboxArgs): Promise<CommunicationConnection> {
    const size = pageSize(ctx, first);
    const [page, counts] = await Promise.all([inbox(ctx, size, decodeInstantCursor(after), unreadOnly ?? false), inboxCounts(ctx)]);
    const nodes = page.rows.map(communicationOf);
    return { ...connection(nodes, page.hasNextPage, (c) => [c.sentAt.toISOString(), c.id]), totalCount: counts.total, unreadCount: counts.unread };
  }
}

@Resolver(() => Account)
export class ProviderContactsResolver {
  @FieldResolver(() => [ProviderContact], { nullable: true, description: "The people of the platform or of a parent account named as the account's contacts (null for a viewer without providerContacts.read there)." })
  @RequiresPermission('providerContacts.read', { account: 'id' })
  async providerContacts(@Ctx() ctx: RequestContext, @Root() account: AccountEntity): Promise<ProviderContact[]> {
    return (await providerContactsOf(ctx, account)).map(contactOf);
  }

  @Mutation(() => [ProviderContact], { description: "Names the account's provider contacts, replacing the list (providerContacts.manage on the account's parent); each is a user of an account above it." })
  @Authenticated()
  async setProviderContacts(
    @Ctx() ctx: RequestContext,
    @Arg('accountId', () => ID) accountId: string,
    @Arg('contacts', () => [ProviderContactInput]) contacts: ProviderContactInput[],
  ): Promise<ProviderContact[]> {
    return (await setProviderContacts(ctx, accountId, contacts)).map(contactOf);
  }
}
