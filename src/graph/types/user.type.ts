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

  accountId!: string;
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
