import { InitialSchema1732280000000 } from './1732280000000-initial-schema';
import { ImpersonationAndDelegation1732380000000 } from './1732380000000-impersonation-and-delegation';
import { ExternalIdentities1733000000000 } from './1733000000000-external-identities';
import { CanonicalEmails1733100000000 } from './1733100000000-canonical-emails';
import { AuditSearchAndChain1733200000000 } from './1733200000000-audit-search-and-chain';
import { OutboxAndWebhooks1733210000000 } from './1733210000000-outbox-and-webhooks';
import { ImpersonationRequests1733300000000 } from './1733300000000-impersonation-requests';
import { LifecycleScheduler1733400000000 } from './1733400000000-lifecycle-scheduler';
import { AuthorizationDecisions1733410000000 } from './1733410000000-authorization-decisions';
import { PartnerGroups1733500000000 } from './1733500000000-partner-groups';
import { Revisions1733600000000 } from './1733600000000-revisions';
import { Views1733700000000 } from './1733700000000-views';
import { AccountSettings1733720000000 } from './1733720000000-account-settings';
import { Communications1733730000000 } from './1733730000000-communications';
import { UserSettings1733740000000 } from './1733740000000-user-settings';

/** Every migration, oldest first. A test fails when the entities and these disagree. */
export const MIGRATIONS = [
  InitialSchema1732280000000,
  ImpersonationAndDelegation1732380000000,
  ExternalIdentities1733000000000,
  CanonicalEmails1733100000000,
  AuditSearchAndChain1733200000000,
  OutboxAndWebhooks1733210000000,
  ImpersonationRequests1733300000000,
  LifecycleScheduler1733400000000,
  AuthorizationDecisions1733410000000,
  PartnerGroups1733500000000,
  Revisions1733600000000,
  Views1733700000000,
  AccountSettings1733720000000,
  Communications1733730000000,
  UserSettings1733740000000,
];
