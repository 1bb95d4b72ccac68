import { registerEnumType } from 'type-graphql';
import { ACCOUNT_STATUSES, ACCOUNT_TYPES, USER_STATUSES } from '../../policy';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const AccountTypeEnum = enumOf(ACCOUNT_TYPES);
export const AccountStatusEnum = enumOf(ACCOUNT_STATUSES);
export const UserStatusEnum = enumOf(USER_STATUSES);
export const CONTACT_ROLES = ['TECHNICAL_CONTACT', 'BILLING_CONTACT', 'COMMERCIAL_CONTACT'] as const;
export const ContactRoleEnum = enumOf(CONTACT_ROLES);
/** Every topic a preset names; which ones an account has, and who receives each, is the policy's (others are BAD_USER_INPUT). */
export const COMMUNICATION_TOPICS = ['MAINTENANCE', 'DEFECT', 'UPGRADE', 'PRICE_UPDATE', 'SYSTEM_UPDATE', 'EVENT', 'PRODUCT_UPDATE', 'NEWS', 'INVOICE', 'CONTRACTUAL', 'MOBILE_SERVICES'] as const;
export const CommunicationTopicEnum = enumOf(COMMUNICATION_TOPICS);

registerEnumType(AccountTypeEnum, { name: 'AccountType', description: 'Where an account sits in the portal: PLATFORM is the root.' });
registerEnumType(AccountStatusEnum, { name: 'AccountStatus' });
registerEnumType(UserStatusEnum, { name: 'UserStatus' });
registerEnumType(ContactRoleEnum, { name: 'ContactRole', description: 'Which communications a user receives for their account.' });
registerEnumType(CommunicationTopicEnum, { name: 'CommunicationTopic', description: 'What a communication is about; it is routed by contact role.' });
