import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTimeISO, GraphQLJSON } from 'graphql-scalars';
import { SETTING_TYPES, type SettingType } from '../../policy';
import { Authenticated } from '../directives';

export const SettingTypeEnum = Object.fromEntries(SETTING_TYPES.map((t) => [t.toUpperCase(), t])) as Record<Uppercase<SettingType>, SettingType>;
registerEnumType(SettingTypeEnum, { name: 'SettingType', description: 'What an account setting holds: LIST is a list of strings, MAP an object of strings.' });

@ObjectType({ description: "One account setting as the policy declares it, with its value in effect (never a secret's) and its last change." })
@Authenticated()
export class AccountSetting {
  @Field(() => String)
  key!: string;

  @Field(() => SettingTypeEnum)
  type!: SettingType;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The value in effect: the one set, or else the default. Always null for a secret: it is write-only.' })
  value!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'What an account that never set it reads (null for a secret).' })
  defaultValue!: unknown;

  @Field(() => Boolean, { description: 'Write-only: readers see whether it is set and its last change, never its value.' })
  isSecret!: boolean;

  @Field(() => Boolean, { description: 'Whether the account set it (else the default applies).' })
  isSet!: boolean;

  @Field(() => Boolean, { description: 'Whether the account set it (as isSet): for a secret, with updatedAt and updatedBy, all a reader learns of it.' })
  set!: boolean;

  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'When it was last set, while it is set.' })
  updatedAt!: Date | null;

  /** Who set it last; resolved to a user the viewer may see. */
  updatedByUserId!: string | null;

  /** The account the setting belongs to. */
  accountId!: string;
}
