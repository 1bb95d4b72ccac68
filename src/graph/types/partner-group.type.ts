import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLDateTimeISO, GraphQLJSONObject } from 'graphql-scalars';
import type { AccountType } from '../../policy';
import { Authenticated, RequiresPermission } from '../directives';
import { PageInfo } from './common.type';
import { AccountTypeEnum } from './enums';

@ObjectType({ description: 'Who a partner group holds: the parts combine with AND, the values inside one part with OR; an empty part sets no condition.' })
@Authenticated()
export class PartnerGroupRule {
  @Field(() => [AccountTypeEnum], { description: "The type of the user's home account (never PLATFORM: the platform's team is in no partner group)." })
  accountTypes!: AccountType[];

  @Field(() => [String], { description: "Modules of the site configuration, one of which is on for the user's account." })
  modules!: string[];

  @Field(() => [String], { description: 'Policy roles, one of which the user holds in their account.' })
  roles!: string[];

  @Field(() => [String], { description: 'Custom roles (by name), one of which the user holds.' })
  customRoles!: string[];

  @Field(() => GraphQLJSONObject, { description: "Account switches the policy reads, e.g. { adminsMayAssignRoles: true }: the account's value matches one of them." })
  settings!: Record<string, boolean>;
}

@ObjectType({ description: 'A rule-based set of partner users (unifyr): custom views are restricted to groups. Members are computed from the rule.' })
@Authenticated()
export class PartnerGroup {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => PartnerGroupRule, { nullable: true, description: 'The rule (for those who manage partner groups; members see the name).' })
  @RequiresPermission('partnerGroups.manage')
  rule!: PartnerGroupRule;

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;

  @Field(() => GraphQLDateTimeISO)
  updatedAt!: Date;
}

@ObjectType()
@Authenticated()
export class PartnerGroupEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => PartnerGroup)
  node!: PartnerGroup;
}

@ObjectType({ description: 'A Relay connection of partner groups, in name order.' })
@Authenticated()
export class PartnerGroupConnection {
  @Field(() => [PartnerGroupEdge])
  edges!: PartnerGroupEdge[];

  @Field(() => [PartnerGroup])
  nodes!: PartnerGroup[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'How many groups there are, over every page.' })
  totalCount!: number;
}

@InputType({ description: 'Who a partner group holds; a part left out or empty sets no condition.' })
export class PartnerGroupRuleInput {
  @Field(() => [AccountTypeEnum], { nullable: true })
  accountTypes?: AccountType[] | null;

  @Field(() => [String], { nullable: true })
  modules?: string[] | null;

  @Field(() => [String], { nullable: true })
  roles?: string[] | null;

  @Field(() => [String], { nullable: true })
  customRoles?: string[] | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  settings?: Record<string, unknown> | null;
}

@InputType()
export class PartnerGroupInput {
  @Field(() => String)
  name!: string;

  @Field(() => PartnerGroupRuleInput)
  rule!: PartnerGroupRuleInput;
}
