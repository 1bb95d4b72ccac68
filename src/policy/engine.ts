import { LRUCache } from 'lru-cache';
import { mergeGrant, roleKey, type CompiledPolicy, type CompiledRole } from './compile';
import type { PorticoAction } from './policy-file';
import type { AccountFacts, AccountType, Decision, PermissionGrant, PrincipalFacts, RoleAssignmentFact } from './types';

/**
 * Why an assignment is refused: the role does not exist (`BAD_USER_INPUT`), the assigner may not assign rights on
 * the account at all (`FORBIDDEN`), or the policy's invariants forbid this one (`CONFLICT`): the role is not
 * assignable by the assigner's roles, or it grants what the assigner does not hold.
 */
export type AssignmentCheck = { ok: true } | { ok: false; code: 'BAD_USER_INPUT' | 'FORBIDDEN' | 'CONFLICT'; reason: string };

interface Candidate {
  grant: PermissionGrant;
  assignment: RoleAssignmentFact;
  role: CompiledRole;
  via: 'own' | 'ancestor' | 'delegated' | 'impersonation';
}

/** A grant of one permission held through one assignment; `order` is the assignment's position, which breaks ties. */
interface Held {
  grant: PermissionGrant;
  assignment: RoleAssignmentFact;
  role: CompiledRole;
  order: number;
}

/** How a role is being given: at invitation (to a new user), or to a user who exists already. */
export interface AssignmentOptions {
  /** The role is given with `inviteUser`: grants marked `atInvitation` count too. @default false */
  atInvitation?: boolean;
}

/**
 * Administration an impersonation session never does, whatever its grant includes: granting, revoking and starting
 * sessions, and webhooks (a webhook would keep sending the account's events to whoever made it after the session).
 */
const SESSION_REFUSED: ReadonlyMap<PorticoAction, string> = new Map<PorticoAction, string>([
  ['impersonation.grant', 'an impersonation session never administers impersonation grants or sessions'],
  ['impersonation.start', 'an impersonation session never administers impersonation grants or sessions'],
  ['webhooks.manage', 'an impersonation session never manages webhooks'],
]);

const CUSTOM_ROLE_CACHE_SIZE = 10_000;

/** A principal's grants of one permission, by the account their assignment is on. */
type HeldByAccount = Map<string, Held[]>;

/**
 * The decision engine: pure functions over a compiled policy and the facts a caller loaded.
 * The decision: inactive principal or suspended account, impersonation limits, then the union of
 * roles held on the account, roles held on an ancestor for `descendants` permissions and delegated roles.
 */
export class PolicyEngine {
  /** Custom roles as compiled, by id and grants (a changed role is compiled again); the most recently used kept. */
  private readonly customRoleCache = new LRUCache<string, CompiledRole>({ max: CUSTOM_ROLE_CACHE_SIZE });
  /**
   * Per principal (a request's facts, never changed once loaded) and permission: the grants held, by account. Built
   * on first use, so a decision reads a few map entries instead of resolving every assignment's role again.
   */
  private readonly heldIndex = new WeakMap<PrincipalFacts, Map<string, HeldByAccount>>();

  constructor(readonly policy: CompiledPolicy) {}

  role(accountType: AccountType, name: string): CompiledRole | undefined {
    return this.policy.roles.get(roleKey(accountType, name));
  }

  rolesOf(accountType: AccountType): CompiledRole[] {
    return [...this.policy.roles.values()].filter((r) => r.accountType === accountType);
  }

  /** The administrator role of an account type (last-administrator rule), if the policy names one. */
  administratorRole(accountType: AccountType): CompiledRole | undefined {
    return this.rolesOf(accountType).find((r) => r.administrator);
  }

  /** Resolves an assignment to its role: a policy role, or a tenant's custom role. */
  resolve(assignment: RoleAssignmentFact): CompiledRole | undefined {
    if (!assignment.custom) return this.role(assignment.accountType, assignment.role);
    const key = `${assignment.custom.id}\n${JSON.stringify(assignment.custom.grants)}`;
    const cached = this.customRoleCache.get(key);
    if (cached) return cached;
    const grants = new Map<string, PermissionGrant>();
    for (const grant of this.policy.customRoles?.baseGrants ?? []) mergeGrant(grants, grant, this.policy.scopes);
    // A tenant's role carries only what the policy lets custom roles carry: one stored before the cap, or with a
    // permission the policy has since withdrawn, holds the rest and never the withdrawn permission. An impersonation
    // grant is no tenant's role: the customer's own rights bound it.
    const cap = assignment.source.kind === 'impersonation' ? undefined : this.customRoleCap(assignment.accountType);
    for (const grant of assignment.custom.grants) if (!cap || cap.has(grant.permission)) mergeGrant(grants, grant, this.policy.scopes);
    const role: CompiledRole = {
      name: assignment.role,
      title: assignment.role,
      accountType: assignment.accountType,
      grants,
      includes: [],
      assignableBy: this.policy.customRoles?.assignableBy ?? [],
      administrator: false,
      autoAssignToFirstUser: false,
      canLogin: true,
      operator: false,
      custom: true,
    };
    this.customRoleCache.set(key, role);
    return role;
  }

  /**
   * The permissions a custom role of the account type may carry besides the base ones (the policy's
   * `customRoles.mayCarry`); undefined where the policy defines no custom roles (impersonation grants are built alike).
   */
  customRoleCap(accountType: AccountType): ReadonlySet<string> | undefined {
    const customRoles = this.policy.customRoles;
    if (!customRoles) return undefined;
    return customRoles.mayCarry.get(accountType) ?? new Set();
  }

  isKnownPermission(permission: string): boolean {
    return this.policy.permissions.has(permission);
  }

  authorize(principal: PrincipalFacts, permission: string, account: AccountFacts): Decision {
    const deny = (reason: string): Decision => ({ allowed: false, permission, accountId: account.id, scope: null, reason });
    if (!principal.active) return deny('the principal is not active');
    if (account.status !== 'ACTIVE') return deny(`account ${account.id} is suspended`);
    if (!this.policy.permissions.has(permission)) return deny(`unknown permission ${permission}`);
    const session = principal.impersonation;
    if (session) {
      if (account.id !== session.accountId) return deny(`impersonation session ${session.sessionId} is limited to account ${session.accountId}`);
      if (!session.permissions.has(permission)) return deny(`impersonation grant ${session.grantId} does not include ${permission}`);
    }
    const candidates = this.candidates(principal, permission, account);
    if (candidates.length === 0) return deny(`no role grants ${permission} on account ${account.id}`);
    let best: { candidate: Candidate; scope: string | null } | undefined;
    let refusal: string | undefined;
    for (const candidate of candidates) {
      const blocked = this.conditionFails(candidate.grant, account);
      if (blocked) {
        refusal ??= blocked;
        continue;
      }
      const scope = this.scopeOf(candidate, account);
      if (!best || this.scopeRank(permission, scope) > this.scopeRank(permission, best.scope)) best = { candidate, scope };
    }
    if (!best) return deny(refusal!);
    const { candidate, scope } = best;
    return {
      allowed: true,
      permission,
      accountId: account.id,
      scope,
      reason: describeGrant(candidate),
      grant: {
        role: candidate.role.name,
        accountId: candidate.assignment.accountId,
        via: candidate.via,
        ...(candidate.assignment.source.kind === 'delegated' ? { relationshipId: candidate.assignment.source.relationshipId } : {}),
      },
    };
  }

  /** Allowed when any of the permissions the policy maps the action to is allowed. */
  authorizeAction(principal: PrincipalFacts, action: PorticoAction, account: AccountFacts): Decision {
    const refused = principal.impersonation ? SESSION_REFUSED.get(action) : undefined;
    if (refused) return { allowed: false, permission: action, accountId: account.id, scope: null, reason: `${refused} (${action})` };
    const permissions = this.policy.actions.get(action) ?? [];
    let first: Decision | undefined;
    for (const permission of permissions) {
      const decision = this.authorize(principal, permission, account);
      if (decision.allowed) return decision;
      first ??= decision;
    }
    return first ?? { allowed: false, permission: action, accountId: account.id, scope: null, reason: `the policy maps no permission to ${action}` };
  }

  /** Every permission the principal holds on the account, with its decision. */
  effectivePermissions(principal: PrincipalFacts, account: AccountFacts): Decision[] {
    const names = new Set<string>();
    for (const assignment of principal.assignments) {
      const role = this.resolve(assignment);
      if (!role) continue;
      for (const grant of role.grants.values()) names.add(grant.permission);
    }
    const allowed: Decision[] = [];
    for (const permission of [...names].sort()) {
      const decision = this.authorize(principal, permission, account);
      if (decision.allowed) allowed.push(decision);
    }
    return allowed;
  }

  /**
   * Every permission, and every Portico action, that some decision could allow the principal on some account: the
   * union over their roles, custom roles, delegated roles and the session's grant, plus `grantedPermissions` (what the
   * live impersonation grants to their account would allow in a session). Modules and settings are not read: a
   * permission held anywhere may apply on some account. In a session, exactly the granted permissions, and none of
   * the actions a session may not do (impersonation, webhooks). What a caller's schema shows is decided from this
   * set alone, so it is the cache key.
   */
  reachable(principal: PrincipalFacts, grantedPermissions: Iterable<string> = []): Set<string> {
    const reached = new Set<string>();
    if (!principal.active) return reached;
    const held = new Set<string>(principal.impersonation ? [] : grantedPermissions);
    for (const assignment of principal.assignments) {
      for (const permission of this.resolve(assignment)?.grants.keys() ?? []) held.add(permission);
    }
    const session = principal.impersonation;
    for (const permission of held) {
      if (this.policy.permissions.has(permission) && (!session || session.permissions.has(permission))) reached.add(permission);
    }
    for (const [action, permissions] of this.policy.actions) {
      if (session && SESSION_REFUSED.has(action)) continue;
      if (permissions.some((permission) => reached.has(permission))) reached.add(action);
    }
    return reached;
  }

  /**
   * An account is visible to its own users and to anyone a permission reaches it for. Suspension does not hide
   * an account from those who reach it: a partner still sees that its customer is suspended.
   */
  isVisible(principal: PrincipalFacts, account: AccountFacts): boolean {
    if (!principal.active) return false;
    if (principal.impersonation) return principal.impersonation.accountId === account.id;
    if (principal.homeAccountId === account.id) return true;
    const active: AccountFacts = account.status === 'ACTIVE' ? account : { ...account, status: 'ACTIVE' };
    for (const assignment of principal.assignments) {
      const role = this.resolve(assignment);
      if (!role) continue;
      const own = assignment.accountId === account.id;
      if (!own && !account.ancestorIds.includes(assignment.accountId)) continue;
      for (const grant of role.grants.values()) {
        const reaches = own ? grant.ownAccount !== false : grant.descendants;
        if (reaches && !this.conditionFails(grant, active)) return true;
      }
    }
    return false;
  }

  /**
   * The invariants of assignment: the role exists for the account's type, the assigner holds the policy's
   * `rights.assign` permission there through a role the policy lets assign it, and grants nothing they lack.
   */
  checkAssignment(principal: PrincipalFacts, role: CompiledRole | undefined, roleName: string, account: AccountFacts, options: AssignmentOptions = {}): AssignmentCheck {
    if (!role) return { ok: false, code: 'BAD_USER_INPUT', reason: `role ${roleName} does not exist for account type ${account.type}` };
    const usable = (candidate: Candidate) => !this.conditionFails(candidate.grant, account) && (options.atInvitation === true || !candidate.grant.atInvitation);
    let decision = this.authorizeAction(principal, 'rights.assign', account);
    if (decision.allowed && !(this.policy.actions.get('rights.assign') ?? []).some((p) => this.candidates(principal, p, account).some(usable))) {
      // A right to assign that holds only when inviting (unifyr's adminsMayAssignRoles: roles for new users) gives no role to an existing user.
      const setting = decision.grant && this.candidates(principal, decision.permission, account).find((c) => c.grant.atInvitation)?.grant.whenSetting;
      decision = { ...decision, allowed: false, reason: `${decision.reason} gives roles to new users only, at invitation${setting ? ` (as ${setting} allows)` : ''}` };
    }
    if (!decision.allowed) {
      // A role the policy lets another permission give (a Sales Rep, by salesReps:manage) needs that one instead.
      const giver = role.assignableWith === undefined ? undefined : this.authorize(principal, role.assignableWith, account);
      if (!giver?.allowed) return { ok: false, code: 'FORBIDDEN', reason: decision.reason };
      return this.grantsHeld(principal, role, account);
    }
    const assigners = new Set<string>();
    for (const permission of this.policy.actions.get('rights.assign') ?? []) {
      for (const candidate of this.candidates(principal, permission, account)) {
        if (usable(candidate)) assigners.add(candidate.role.operator ? '*' : candidate.role.name);
      }
    }
    const mayAssign = assigners.has('*') || role.assignableBy.some((name) => assigners.has(name));
    if (!mayAssign) {
      const by = role.assignableBy.length > 0 ? role.assignableBy.join(', ') : 'the platform operator';
      return { ok: false, code: 'CONFLICT', reason: `role ${role.name} is assignable only by ${by}` };
    }
    return this.grantsHeld(principal, role, account);
  }

  /** Nobody grants what they do not hold, nor wider than they hold it. */
  private grantsHeld(principal: PrincipalFacts, role: CompiledRole, account: AccountFacts): AssignmentCheck {
    for (const grant of role.grants.values()) {
      const held = this.authorize(principal, grant.permission, account);
      const scopeOk = !held.allowed || this.scopeRank(grant.permission, held.scope) >= this.scopeRank(grant.permission, grant.scope ?? null);
      if (!held.allowed || !scopeOk) {
        // Conditions (a module, a setting) that the account lacks bind the role as much as the assigner.
        if (held.allowed === false && this.conditionFails(grant, account)) continue;
        return { ok: false, code: 'CONFLICT', reason: `cannot grant ${grant.permission}${grant.scope ? ` (${grant.scope})` : ''}: not held on account ${account.id}` };
      }
    }
    return { ok: true };
  }

  /**
   * The roles the principal may give a user of the account right now, as `assignRole` would accept them: the
   * assignment invariants, and a role that needs another (an Insight User needs a Portal Administrator) only once an
   * active user of the account holds that one. A role the user holds already passes the invariants alone.
   */
  assignableRoles(principal: PrincipalFacts, roles: readonly CompiledRole[], account: AccountFacts, target: { held: ReadonlySet<string>; staffed: ReadonlySet<string> }): CompiledRole[] {
    return roles.filter((role) => {
      if (!this.checkAssignment(principal, role, role.name, account).ok) return false;
      return target.held.has(role.name) || !role.requires || target.staffed.has(role.requires);
    });
  }

  /** The settings the policy itself reads: `modules`, and the switches and scope overrides its grants name. */
  governedSettings(): string[] {
    const keys = new Set<string>(this.policy.modules.size > 0 ? ['modules'] : []);
    for (const role of this.policy.roles.values()) {
      for (const grant of role.grants.values()) {
        if (grant.whenSetting !== undefined) keys.add(grant.whenSetting);
        if (grant.scopeSetting !== undefined) keys.add(grant.scopeSetting);
      }
    }
    for (const grant of this.policy.customRoles?.baseGrants ?? []) {
      if (grant.whenSetting !== undefined) keys.add(grant.whenSetting);
      if (grant.scopeSetting !== undefined) keys.add(grant.scopeSetting);
    }
    return [...keys].sort();
  }

  /**
   * Whether the principal may change these settings of the account: the policy's `accounts.configure` there, and for
   * the settings the policy reads, a right held above the account (or the operator's): an account never widens
   * its own rights by switching a module or `adminsMayAssignRoles` on.
   */
  checkSettingsChange(principal: PrincipalFacts, account: AccountFacts, changed: readonly string[]): AssignmentCheck {
    const decision = this.authorizeAction(principal, 'accounts.configure', account);
    if (!decision.allowed) return { ok: false, code: 'FORBIDDEN', reason: decision.reason };
    // Each setting names who may change it; a key the policy does not declare is nobody's to change.
    for (const key of changed) {
      const setting = this.policy.settings.get(key);
      if (!setting) return { ok: false, code: 'BAD_USER_INPUT', reason: `unknown setting ${key}` };
      if (!setting.changedBy.some((permission) => this.authorize(principal, permission, account).allowed)) {
        return { ok: false, code: 'FORBIDDEN', reason: `setting ${key} of account ${account.id} is changed by holders of ${setting.changedBy.join(' or ')}` };
      }
    }
    const governed = new Set(this.governedSettings());
    const readByPolicy = changed.filter((key) => governed.has(key));
    if (readByPolicy.length === 0) return { ok: true };
    const fromAbove = (this.policy.actions.get('accounts.configure') ?? []).some((permission) =>
      this.candidates(principal, permission, account).some((c) => (c.via === 'ancestor' || c.role.operator) && !this.conditionFails(c.grant, account)),
    );
    if (fromAbove) return { ok: true };
    return { ok: false, code: 'FORBIDDEN', reason: `settings ${readByPolicy.join(', ')} of account ${account.id} are set from above it: the policy reads them to decide its rights` };
  }

  /**
   * A role changes hands: whoever may assign it may move it, and its holder may hand over their own role to a user
   * of the same account (they leave it in the same step, so nothing is granted that was not held).
   */
  checkTransfer(principal: PrincipalFacts, role: CompiledRole | undefined, roleName: string, account: AccountFacts, fromUserId: string): AssignmentCheck {
    const assign = this.checkAssignment(principal, role, roleName, account);
    if (assign.ok || assign.code === 'BAD_USER_INPUT') return assign;
    const ownHandover =
      !principal.impersonation &&
      principal.active &&
      principal.userId === fromUserId &&
      principal.homeAccountId === account.id &&
      principal.assignments.some((a) => a.source.kind === 'role' && a.accountId === account.id && a.role === roleName);
    return ownHandover ? { ok: true } : assign;
  }

  /** Whether the user may sign in at all: no role of theirs forbids it (a Sales Rep), and they hold one where the policy requires it. */
  mayLogIn(principal: Pick<PrincipalFacts, 'assignments'>): boolean {
    return this.signInRefusal(principal) === undefined;
  }

  /** Why the user may not sign in, or undefined when they may. */
  signInRefusal(principal: Pick<PrincipalFacts, 'assignments'>): string | undefined {
    const own = principal.assignments.filter((a) => a.source.kind === 'role');
    if (own.some((a) => !(this.resolve(a)?.canLogin ?? true))) return 'this user cannot log in';
    if (this.policy.signInRequiresRole && !own.some((a) => this.resolve(a) !== undefined)) {
      return `this user holds no role of the ${this.policy.name} portal: only users holding one may sign in (an administrator of their account gives them one)`;
    }
    return undefined;
  }

  private candidates(principal: PrincipalFacts, permission: string, account: AccountFacts): Candidate[] {
    const held = this.heldOf(principal, permission);
    if (held.size === 0) return [];
    const found: Held[] = [];
    // A grant that applies only below its role's account (ownAccount: false) is no candidate on that account.
    const own = held.get(account.id)?.filter((h) => h.grant.ownAccount !== false);
    if (own) found.push(...own);
    let sources = own?.length ? 1 : 0;
    for (const ancestorId of account.ancestorIds) {
      const above = held.get(ancestorId);
      if (!above) continue;
      let added = false;
      for (const h of above) {
        if (h.grant.descendants) {
          found.push(h);
          added = true;
        }
      }
      if (added) sources++;
    }
    // Candidates come in assignment order, as the first of equally wide grants is the one a decision names.
    if (sources > 1) found.sort((a, b) => a.order - b.order);
    return found.map(({ grant, assignment, role }) => {
      const kind = assignment.source.kind;
      const via = kind === 'delegated' || kind === 'impersonation' ? kind : assignment.accountId === account.id ? 'own' : 'ancestor';
      return { grant, assignment, role, via };
    });
  }

  private heldOf(principal: PrincipalFacts, permission: string): HeldByAccount {
    let byPermission = this.heldIndex.get(principal);
    if (!byPermission) this.heldIndex.set(principal, (byPermission = new Map()));
    let held = byPermission.get(permission);
    if (held) return held;
    held = new Map();
    principal.assignments.forEach((assignment, order) => {
      const role = this.resolve(assignment);
      const grant = role?.grants.get(permission);
      if (!role || !grant) return;
      const list = held!.get(assignment.accountId);
      if (list) list.push({ grant, assignment, role, order });
      else held!.set(assignment.accountId, [{ grant, assignment, role, order }]);
    });
    byPermission.set(permission, held);
    return held;
  }

  private conditionFails(grant: PermissionGrant, account: AccountFacts): string | undefined {
    if (grant.module !== undefined) {
      const modules = account.settings.modules ?? this.policy.defaultModules;
      if (!modules.includes(grant.module)) return `module ${grant.module} is off for account ${account.id}`;
    }
    if (grant.whenSetting !== undefined && account.settings[grant.whenSetting] !== true) {
      return `setting ${grant.whenSetting} is off for account ${account.id}`;
    }
    return undefined;
  }

  private scopeOf(candidate: Candidate, account: AccountFacts): string | null {
    const { grant, role } = candidate;
    if (grant.scope === undefined) return null;
    if (grant.scopeSetting !== undefined) {
      const overrides = account.settings[grant.scopeSetting] as Record<string, unknown> | undefined;
      const override = overrides?.[role.name];
      if (typeof override === 'string' && this.policy.scopes.get(grant.permission)?.includes(override)) return override;
    }
    return grant.scope;
  }

  private scopeRank(permission: string, scope: string | null): number {
    if (scope === null) return 0;
    return (this.policy.scopes.get(permission)?.indexOf(scope) ?? -1) + 1;
  }
}

function describeGrant(candidate: Candidate): string {
  const { role, assignment, via } = candidate;
  if (via === 'delegated' && assignment.source.kind === 'delegated') {
    return `role ${role.name} on account ${assignment.accountId} through delegated relationship ${assignment.source.relationshipId}`;
  }
  if (via === 'impersonation' && assignment.source.kind === 'impersonation') {
    return `impersonation grant ${assignment.source.grantId} on account ${assignment.accountId}`;
  }
  if (via === 'ancestor') return `role ${role.name} on account ${assignment.accountId}, inherited by its descendants`;
  return `role ${role.name} on account ${assignment.accountId}`;
}
