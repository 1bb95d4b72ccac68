import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { AccountType } from '../../policy';
import { Authenticated } from '../directives';
import { AccountTypeEnum } from './enums';

@ObjectType({ description: 'A permission a role carries.' })
@Authenticated()
export class RolePermission {
  @Field(() => String)
  permission!: string;

  @Field(() => Boolean, { description: 'It also applies to the accounts below the role holder\'s account.' })
  descendants!: boolean;

  @Field(() => Boolean, { description: 'It applies on the role holder\'s own account; false: only below it (with descendants).' })
  ownAccount!: boolean;

  @Field(() => Boolean, { description: 'It counts only when giving roles to a new user, at invitation (a right to assign roles).' })
  atInvitation!: boolean;

  @Field(() => String, { nullable: true })
  scope!: string | null;

  @Field(() => String, { nullable: true, description: 'The site-configuration module that must be on.' })
  module!: string | null;

  @Field(() => String, { nullable: true, description: 'The account setting that must be on.' })
  whenSetting!: string | null;
}

@ObjectType({ description: 'A right (permission role) of an account type, from the policy file or defined by a tenant.' })
@Authenticated()
export class RoleDefinition {
  @Field(() => ID, { nullable: true, description: 'A custom role\'s id (for updateCustomRole and deleteCustomRole); null for the policy\'s roles.' })
  id!: string | null;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => AccountTypeEnum)
  accountType!: AccountType;

  @Field(() => [RolePermission])
  permissions!: RolePermission[];

  @Field(() => [String])
  includes!: string[];

  @Field(() => [String], { description: 'Roles whose holders may assign this one; the platform operator always may.' })
  assignableBy!: string[];

  @Field(() => Boolean, { description: 'The account\'s administrator role: its last holder cannot leave.' })
  administrator!: boolean;

  @Field(() => String, { nullable: true, description: 'A role someone in the account must hold before this one is assigned.' })
  requires!: string | null;

  @Field(() => Boolean)
  canLogin!: boolean;

  @Field(() => Boolean)
  custom!: boolean;
}

@InputType()
export class CustomRolePermissionInput {
  @Field(() => String)
  permission!: string;

  @Field(() => String, { nullable: true })
  scope?: string | null;
}

@InputType()
export class CreateCustomRoleInput {
  @Field(() => ID, { description: 'The account that owns the role; it can be held in that account and below.' })
  accountId!: string;

  @Field(() => AccountTypeEnum)
  accountType!: AccountType;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  title!: string;

  @Field(() => [CustomRolePermissionInput])
  permissions!: CustomRolePermissionInput[];
}

@InputType({ description: 'What to change in a custom role: its title, its permissions (replaced at once), or both.' })
export class UpdateCustomRoleInput {
  @Field(() => String, { nullable: true })
  title?: string | null;

  @Field(() => [CustomRolePermissionInput], { nullable: true })
  permissions?: CustomRolePermissionInput[] | null;
}

@InputType()
export class AuthorizationCheckInput {
  @Field(() => String)
  permission!: string;

  @Field(() => ID)
  accountId!: string;
}
