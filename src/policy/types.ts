/** The account types of the hierarchy. Every preset uses a subset of them. */
export const ACCOUNT_TYPES = ['PLATFORM', 'PARTNER', 'SUB_PARTNER', 'AFFILIATE', 'CUSTOMER'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export const ACCOUNT_STATUSES = ['ACTIVE', 'SUSPENDED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const USER_STATUSES = ['INVITED', 'ACTIVE', 'SUSPENDED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** Which parent types each account type may sit under; PLATFORM is the single root. */
export const ALLOWED_PARENTS: Readonly<Record<AccountType, readonly AccountType[]>> = {
  PLATFORM: [],
  PARTNER: ['PLATFORM'],
  SUB_PARTNER: ['PARTNER'],
  AFFILIATE: ['PLATFORM', 'PARTNER'],
  CUSTOMER: ['PLATFORM', 'PARTNER', 'SUB_PARTNER', 'AFFILIATE'],
};

/** Account settings the decision reads. Unknown keys are kept but ignored by the engine. */
export interface AccountSettings {
  /** Modules switched on by the site configuration; absent means the policy's `defaultModules`. */
  modules?: string[];
  /** unifyr: whether the account's Administrators may assign roles. */
  adminsMayAssignRoles?: boolean;
  /** unifyr: per-role override of a scoped permission's scope, e.g. `{ SALES: 'all' }`. */
  leadsVisibilityByRole?: Record<string, string>;
  [key: string]: unknown;
}

/** What the engine needs to know about the account a decision is about. */
export interface AccountFacts {
  id: string;
  type: AccountType;
  status: AccountStatus;
  settings: AccountSettings;
  /** Ancestor ids, root first, excluding the account itself. */
  ancestorIds: readonly string[];
}

/** A permission held through a role, as written in a policy or a custom role. */
export interface PermissionGrant {
  permission: string;
  /** The grant also applies to every account below the role's account. */
  descendants: boolean;
  /** Set when the grant counts only for giving roles at invitation, to new users (a right to assign roles). */
  atInvitation?: true;
  /** Set (false) when the grant does not apply on the role's own account, only below it. */
  ownAccount?: false;
  /** For scoped permissions: the scope this grant carries. */
  scope?: string;
  /** The module (site configuration) the permission belongs to, if any. */
  module?: string;
  /** A boolean account setting that must be on for the grant to apply. */
  whenSetting?: string;
  /** An account setting mapping role names to scopes that overrides `scope`. */
  scopeSetting?: string;
}

/**
 * Where a role assignment comes from: the user's own rights, a delegated-administration relationship the
 * customer approved, or the impersonation grant a session runs under.
 */
export type AssignmentSource = { kind: 'role' } | { kind: 'delegated'; relationshipId: string } | { kind: 'impersonation'; grantId: string };

export interface RoleAssignmentFact {
  role: string;
  accountId: string;
  accountType: AccountType;
  /** Set for tenant-defined roles: their permissions, already validated at creation. */
  custom?: { id: string; grants: readonly PermissionGrant[] };
  source: AssignmentSource;
}

/** Restrictions of an impersonation session: exactly these permissions, on this account only. */
export interface ImpersonationFacts {
  sessionId: string;
  grantId: string;
  accountId: string;
  permissions: ReadonlySet<string>;
}

/** Everything the engine knows about the caller. */
export interface PrincipalFacts {
  userId: string;
  homeAccountId: string;
  /** False when the user or their home account is suspended, or the user may not log in. */
  active: boolean;
  assignments: readonly RoleAssignmentFact[];
  impersonation?: ImpersonationFacts;
}

/** What allowed a decision. */
export interface DecisionGrant {
  role: string;
  accountId: string;
  via: 'own' | 'ancestor' | 'delegated' | 'impersonation';
  /** The delegated-administration relationship, when `via` is `delegated`. */
  relationshipId?: string;
}

export interface Decision {
  allowed: boolean;
  permission: string;
  accountId: string;
  /** The widest scope held, for scoped permissions. */
  scope: string | null;
  /** Human-readable: the role and account that allowed it, or the rule that denied it. */
  reason: string;
  grant?: DecisionGrant;
}
