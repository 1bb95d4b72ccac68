import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import type { AccountSettings, AccountStatus, AccountType } from '../../policy';
import { Authenticated } from '../directives';
import { AccountStatusEnum, AccountTypeEnum } from './enums';
import { PageInfo } from './common.type';

@ObjectType({ description: 'A node of the account tree: the platform, a partner, a sub-partner, an affiliate or a customer.' })
@Directive('@key(fields: "id")')
@Authenticated()
export class Account {
  @Field(() => ID)
  id!: string;

  @Field(() => AccountTypeEnum)
  type!: AccountType;

  @Field(() => String)
  name!: string;

  @Field(() => AccountStatusEnum)
  status!: AccountStatus;

  settings!: AccountSettings;
  parentId!: string | null;
  path!: string;
}

@ObjectType()
@Authenticated()
export class AccountEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Account)
  node!: Account;
}

@ObjectType({ description: 'A Relay connection of accounts, in name order.' })
@Authenticated()
export class AccountConnection {
  @Field(() => [AccountEdge])
  edges!: AccountEdge[];

  @Field(() => [Account])
  nodes!: Account[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Counts the whole list when totalCount is asked for (one grouped statement for every list of a page). */
  count!: () => Promise<number>;
}

@InputType()
export class AccountFilter {
  @Field(() => AccountTypeEnum, { nullable: true })
  type?: AccountType;

  @Field(() => AccountStatusEnum, { nullable: true })
  status?: AccountStatus;

  @Field(() => ID, { nullable: true })
  parentId?: string;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the name.' })
  nameContains?: string;
}

@InputType()
export class CreateAccountInput {
  @Field(() => AccountTypeEnum)
  type!: AccountType;

  @Field(() => String)
  name!: string;

  @Field(() => ID)
  parentId!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Site configuration, e.g. { modules: ["leads"], adminsMayAssignRoles: true }.' })
  settings?: AccountSettings;
}

export const PAGE_ARGS_DESCRIPTION = 'Page size (default 20, at most the configured maximum).';
export { Int };
