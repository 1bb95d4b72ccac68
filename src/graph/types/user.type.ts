import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import type { UserStatus } from '../../policy';
import { Authenticated } from '../directives';
import { PageInfo } from './common.type';
import { ContactRoleEnum, UserStatusEnum } from './enums';

@ObjectType({ description: 'A person who uses the portal, in their home account.' })
@Directive('@key(fields: "id")')
@Authenticated()
export class User {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  name!: string;

  @Field(() => UserStatusEnum)
  status!: UserStatus;

  accountId!: string;
}

@ObjectType()
@Authenticated()
export class UserEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => User)
  node!: User;
}

@ObjectType({ description: 'A Relay connection of users, in email order.' })
@Authenticated()
export class UserConnection {
  @Field(() => [UserEdge])
  edges!: UserEdge[];

  @Field(() => [User])
  nodes!: User[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Set by lists that count as they page (the directory); an account's list is counted when asked. */
  totalCount?: number;

  /** The account whose users these are, for `Account.users`. */
  accountId?: string;
}

@InputType({ description: 'Narrows the user directory; every condition given must hold.' })
export class UserFilter {
  @Field(() => ID, { nullable: true, description: 'Only users of this account (and, with includeDescendants, of the accounts below it).' })
  underAccountId?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true })
  includeDescendants?: boolean | null;

  @Field(() => String, { nullable: true })
  emailContains?: string | null;

  @Field(() => String, { nullable: true })
  nameContains?: string | null;

  @Field(() => String, { nullable: true, description: 'Holders of this right (a role name).' })
  role?: string | null;

  @Field(() => ContactRoleEnum, { nullable: true })
  contactRole?: string | null;

  @Field(() => UserStatusEnum, { nullable: true })
  status?: UserStatus | null;

  @Field(() => Boolean, { nullable: true })
  canLogin?: boolean | null;
}

@InputType()
export class InviteUserInput {
  @Field(() => ID)
  accountId!: string;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [String], { defaultValue: [], description: 'Rights to give, by role name (see `roles`).' })
  roles!: string[];
}

export { ContactRoleEnum };
