import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Authenticated } from '../directives';
import { PageInfo } from './common.type';
import { User } from './user.type';

export const GrantViaEnum = { OWN: 'OWN', ANCESTOR: 'ANCESTOR', DELEGATED: 'DELEGATED', IMPERSONATION: 'IMPERSONATION' } as const;
export type GrantVia = keyof typeof GrantViaEnum;
registerEnumType(GrantViaEnum, {
  name: 'GrantVia',
  description: 'How a permission is held: a role on the account, a role above it that reaches descendants, a delegated relationship, or a live impersonation grant (in a session only).',
});

@ObjectType('PermissionGrant', { description: 'A permission held on an account, with its scope and the reason.' })
@Authenticated()
export class HeldPermissionType {
  @Field(() => String)
  permission!: string;

  @Field(() => ID)
  accountId!: string;

  @Field(() => String, { nullable: true })
  scope!: string | null;

  @Field(() => String)
  reason!: string;

  @Field(() => GrantViaEnum)
  via!: GrantVia;

  @Field(() => String, { nullable: true, description: 'The role that grants it (null for an impersonation grant).' })
  role!: string | null;

  @Field(() => ID, { nullable: true, description: 'The account the role is held on.' })
  heldOnAccountId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The delegated relationship, for DELEGATED.' })
  relationshipId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The impersonation grant, for IMPERSONATION.' })
  grantId!: string | null;
}

@ObjectType({ description: "A permission holder's home account, as an access review names it: its id and name." })
@Authenticated()
export class HolderAccount {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType({
  description: 'Who holds a permission, as an access review names them to anyone who may review the account: id, email, name and home account, nothing more of them.',
})
@Authenticated()
export class HolderIdentity {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  email!: string;

  @Field(() => String)
  name!: string;

  @Field(() => HolderAccount)
  account!: HolderAccount;
}

@ObjectType({ description: 'A user who holds a permission on an account, with the scope and the reason.' })
@Authenticated()
export class PermissionHolder {
  @Field(() => HolderIdentity, { description: 'Who holds it, for every holder (an ancestor\'s user or a delegate included).' })
  identity!: HolderIdentity;

  @Field(() => User, { nullable: true, description: 'The user, when the viewer may see them (as in users); null for a holder the viewer may not otherwise read.' })
  user!: User | null;

  @Field(() => String, { nullable: true })
  scope!: string | null;

  @Field(() => String)
  reason!: string;

  @Field(() => GrantViaEnum)
  via!: GrantVia;

  @Field(() => String, { nullable: true })
  role!: string | null;

  @Field(() => ID, { nullable: true, description: 'The account the role is held on.' })
  heldOnAccountId!: string | null;

  @Field(() => ID, { nullable: true })
  relationshipId!: string | null;

  @Field(() => ID, { nullable: true })
  grantId!: string | null;
}

@ObjectType()
@Authenticated()
export class PermissionHolderEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => PermissionHolder)
  node!: PermissionHolder;
}

@ObjectType({ description: 'A Relay connection of permission holders, in email order.' })
@Authenticated()
export class PermissionHolderConnection {
  @Field(() => [PermissionHolderEdge])
  edges!: PermissionHolderEdge[];

  @Field(() => [PermissionHolder])
  nodes!: PermissionHolder[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'How many holders there are in all, on every page.' })
  totalCount!: number;
}
