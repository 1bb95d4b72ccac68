export * from './account.entity';
export * from './user.entity';
export * from './role-assignment.entity';
export * from './contact-role.entity';
export * from './custom-role.entity';
export * from './audit-event.entity';
export * from './impersonation-grant.entity';
export * from './impersonation-session.entity';
export * from './delegated-admin-relationship.entity';
export * from './external-identity.entity';
export * from './webhook.entity';
export * from './partner-group.entity';

import { AccountEntity } from './account.entity';
import { AuditChainHeadEntity, AuditEventEntity } from './audit-event.entity';
import { ContactRoleEntity } from './contact-role.entity';
import { CustomRoleEntity } from './custom-role.entity';
import { DelegatedAdminRelationshipEntity } from './delegated-admin-relationship.entity';
import { ExternalIdentityEntity } from './external-identity.entity';
import { ImpersonationGrantEntity } from './impersonation-grant.entity';
import { ImpersonationSessionEntity } from './impersonation-session.entity';
import { RoleAssignmentEntity } from './role-assignment.entity';
import { UserEntity } from './user.entity';
import { PartnerGroupEntity } from './partner-group.entity';
import { OutboxEventEntity, WebhookDeliveryEntity, WebhookEntity } from './webhook.entity';

export const ENTITIES = [AccountEntity, UserEntity, RoleAssignmentEntity, ContactRoleEntity, CustomRoleEntity, AuditEventEntity, ImpersonationGrantEntity, ImpersonationSessionEntity, DelegatedAdminRelationshipEntity, ExternalIdentityEntity, AuditChainHeadEntity, OutboxEventEntity, WebhookEntity, WebhookDeliveryEntity, PartnerGroupEntity];
