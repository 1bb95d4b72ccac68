import { readFileSync } from 'fs';
import { join } from 'path';
import { parsePolicy, PolicyEngine, type AccountFacts, type AccountSettings, type PrincipalFacts, type RoleAssignmentFact } from '../../src/policy';

// The expected tables below are written from the unifyr contract, not read from the policy: the suite checks
// schema/policies/unifyr.yaml and the engine against the contract.
const engine = new PolicyEngine(parsePolicy(readFileSync(join(__dirname, '..', '..', 'schema', 'policies', 'unifyr.yaml'), 'utf8'), 'unifyr.yaml'));

/** The contract: the unifyr permission set (of a PARTNER account). */
const PARTNER_SET = [
  'settings:manage',
  'mySettings:manage',
  'contacts:read',
  'contacts:add',
  'leads:read',
  'leads:create',
  'deals:read',
  'deals:manage',
  'campaigns:read',
  'campaigns:manage',
  'contactLists:read',
  'contactLists:manage',
  'content:read',
  'socialAccount:useCompany',
  'socialAccount:usePersonal',
  'salesReps:manage',
  'rights:assign',
] as const;
type Permission = (typeof PARTNER_SET)[number];

const LEAD_SCOPES = ['assigned', 'distributed', 'all'] as const;
type LeadScope = (typeof LEAD_SCOPES)[number];

/** The contract: the modules of the site configuration, and the permissions each one switches. */
const MODULES = {
  leads: ['leads:read', 'leads:create'],
  deals: ['deals:read', 'deals:manage'],
  campaigns: ['campaigns:read', 'campaigns:manage'],
  contactLists: ['contactLists:read', 'contactLists:manage'],
  content: ['content:read'],
  social: ['socialAccount:useCompany', 'socialAccount:usePersonal'],
} as const satisfies Record<string, readonly Permission[]>;
type Module = keyof typeof MODULES;
const ALL_MODULES = Object.keys(MODULES) as Module[];
const moduleOf = (permission: string): Module | undefined => ALL_MODULES.find((m) => (MODULES[m] as readonly string[]).includes(permission));

/**
 * Every PARTNER permission the policy knows, plus the contract's: the domain each role is checked over. A permission the
 * policy adds beyond the contract's set is, by deny by default, held by nobody the contract does not give it to.
 */
const CHECKED: readonly string[] = [...new Set<string>([...PARTNER_SET, ...(engine.policy.accountTypes.get('PARTNER')?.permissions ?? [])])];
/** Every permission of every account type: what nobody may hold on an account their roles do not reach. */
const EVERY_KNOWN: readonly string[] = [...new Set<string>([...CHECKED, ...engine.policy.permissions])];
const BEYOND_CONTRACT = CHECKED.filter((p) => !(PARTNER_SET as readonly string[]).includes(p));

interface ContractRole {
  permissions: readonly Permission[];
  leads: LeadScope | null;
  /** A permission held only while this boolean account setting is on. */
  whenSetting?: { permission: Permission; setting: keyof AccountSettings };
  /** The account setting mapping role names to a leads:read scope that replaces `leads`. */
  scopeSetting?: keyof AccountSettings;
  /** Permissions the contract leaves open for this role: neither asserted allowed nor denied. */
  unspecified?: readonly string[];
}

const except = (...removed: Permission[]): Permission[] => PARTNER_SET.filter((p) => !removed.includes(p));

/** The unifyr contract, the partner roles. */
const CONTRACT_ROLES: Record<'ADMINISTRATOR' | 'MARKETING' | 'SALES' | 'SALES_REP', ContractRole> = {
  ADMINISTRATOR: {
    permissions: PARTNER_SET,
    leads: 'all',
    whenSetting: { permission: 'rights:assign', setting: 'adminsMayAssignRoles' },
    // Inviting and suspending users is the account administrator's job; the contract names no permission for it.
    unspecified: BEYOND_CONTRACT,
  },
  // "no settings" read as no account settings (settings:manage): a user who signs in manages their own profile
  // (mySettings:manage), as the contract says of SALES. contacts:read goes with contacts:add for every role that signs in.
  MARKETING: { permissions: except('settings:manage', 'salesReps:manage', 'rights:assign'), leads: 'all' },
  SALES: {
    permissions: except('settings:manage', 'salesReps:manage', 'rights:assign', 'socialAccount:useCompany'),
    leads: 'distributed',
    scopeSetting: 'leadsVisibilityByRole',
  },
  SALES_REP: { permissions: ['leads:read'], leads: 'assigned' },
};
type PartnerRole = keyof typeof CONTRACT_ROLES;
const PARTNER_ROLES = Object.keys(CONTRACT_ROLES) as PartnerRole[];

/** the contract's custom roles: no application permission by default; contacts:add; leads:read `all`. */
const CUSTOM_ROLE: ContractRole = { permissions: ['contacts:add', 'leads:read'], leads: 'all' };

function account(id: string, type: 'PLATFORM' | 'PARTNER', settings: AccountSettings, parent?: AccountFacts): AccountFacts {
  return { id, type, status: 'ACTIVE', settings, ancestorIds: parent ? [...parent.ancestorIds, parent.id] : [] };
}

const platform = account('platform', 'PLATFORM', {});
const N = account('N', 'PARTNER', { adminsMayAssignRoles: true }, platform);
const C = account('C', 'PARTNER', { modules: ['leads', 'deals', 'content'] }, platform);
const W = account('W', 'PARTNER', { leadsVisibilityByRole: { SALES: 'all' } }, platform);
const X = account('X', 'PARTNER', { leadsVisibilityByRole: { SALES: 'assigned' } }, platform);
const F = account('F', 'PARTNER', { adminsMayAssignRoles: false }, platform);
const L = account('L', 'PARTNER', { modules: ['content', 'social'] }, platform);
const K = account('K', 'PARTNER', { adminsMayAssignRoles: true, modules: ['leads', 'content'] }, platform);
// No site configuration: read as every module on (a partner's modules are switched off, not on).
const M = account('M', 'PARTNER', {}, platform);
const PARTNERS: readonly AccountFacts[] = [N, C, W, X, F, L, K, M];
const TREE: readonly AccountFacts[] = [platform, ...PARTNERS];

const describeSettings = (a: AccountFacts): string => (Object.keys(a.settings).length === 0 ? 'no settings' : JSON.stringify(a.settings));
const enabledModules = (a: AccountFacts): readonly string[] => a.settings.modules ?? ALL_MODULES;
const moduleOn = (permission: string, a: AccountFacts): boolean => {
  const module = moduleOf(permission);
  return module === undefined || enabledModules(a).includes(module);
};

/** What the contract gives the role on the account, and the leads:read scope. */
function expectedOn(spec: ContractRole, roleName: string, a: AccountFacts): { permissions: string[]; leads: LeadScope | null } {
  const permissions = CHECKED.filter(
    (p) =>
      (spec.permissions as readonly string[]).includes(p) &&
      moduleOn(p, a) &&
      !(spec.whenSetting?.permission === p && a.settings[spec.whenSetting.setting] !== true),
  );
  const override = spec.scopeSetting ? (a.settings[spec.scopeSetting] as Record<string, string> | undefined)?.[roleName] : undefined;
  const leads = permissions.includes('leads:read') ? ((override as LeadScope | undefined) ?? spec.leads) : null;
  return { permissions, leads };
}

function assignment(role: string, at: AccountFacts, custom?: RoleAssignmentFact['custom']): RoleAssignmentFact {
  return { role, accountId: at.id, accountType: at.type, source: { kind: 'role' }, ...(custom ? { custom } : {}) };
}

function holder(roles: string | readonly string[], at: AccountFacts): PrincipalFacts {
  const names = typeof roles === 'string' ? [roles] : roles;
  return { userId: `${names.join('+').toLowerCase()}@${at.id}`, homeAccountId: at.id, active: true, assignments: names.map((r) => assignment(r, at)) };
}

const BASIC = { id: 'custom-basic', grants: [] };
function customHolder(at: AccountFacts, also: readonly string[] = []): PrincipalFacts {
  return {
    userId: `basic@${at.id}`,
    homeAccountId: at.id,
    active: true,
    assignments: [assignment('BASIC', at, BASIC), ...also.map((r) => assignment(r, at))],
  };
}

const allowedOn = (principal: PrincipalFacts, target: AccountFacts, among: readonly string[] = CHECKED): string[] =>
  among.filter((p) => engine.authorize(principal, p, target).allowed);

describe('unifyr conformance (the preset contract)', () => {
  describe('the policy declares what the contract names', () => {
    it('PARTNER: `*` covers the contract permission set', () => {
      const declared = engine.policy.accountTypes.get('PARTNER')!.permissions;
      expect(PARTNER_SET.filter((p) => !declared.includes(p))).toEqual([]);
    });

    it('leads:read is scoped assigned < distributed < all', () => {
      expect(engine.policy.scopes.get('leads:read')).toEqual([...LEAD_SCOPES]);
    });

    it('the modules switch the contract permissions', () => {
      expect(Object.fromEntries([...engine.policy.modules].map(([m, ps]) => [m, [...ps].sort()]))).toEqual(
        Object.fromEntries(ALL_MODULES.map((m) => [m, [...MODULES[m]].sort()])),
      );
    });

    it.each([
      { type: 'PARTNER' as const, roles: ['ADMINISTRATOR', 'MARKETING', 'SALES', 'SALES_REP'] },
      { type: 'PLATFORM' as const, roles: ['PLATFORM_OPERATOR', 'SUPPLIER_ADMINISTRATOR'] },
    ])('$type has exactly the roles $roles', ({ type, roles }) => {
      expect(engine.rolesOf(type).map((r) => r.name).sort()).toEqual([...roles].sort());
    });

    it('the Administrator is the partner administrator and is given to the first user', () => {
      expect(engine.administratorRole('PARTNER')?.name).toBe('ADMINISTRATOR');
      expect(engine.rolesOf('PARTNER').filter((r) => r.autoAssignToFirstUser).map((r) => r.name)).toEqual(['ADMINISTRATOR']);
    });

    it('custom roles are defined for partner accounts', () => {
      expect(engine.policy.customRoles?.accountTypes).toContain('PARTNER');
    });
  });

  describe.each(PARTNER_ROLES.map((role) => ({ role })))('$role', ({ role }) => {
    const spec = CONTRACT_ROLES[role];
    it.each(PARTNERS.map((at) => ({ title: `on its own account ${at.id} (${describeSettings(at)})`, at })))('$title', ({ at }) => {
      const principal = holder(role, at);
      const checked = CHECKED.filter((p) => !spec.unspecified?.includes(p));
      const expected = expectedOn(spec, role, at);
      expect(allowedOn(principal, at, checked)).toEqual(expected.permissions.filter((p) => checked.includes(p)));
      expect(engine.authorize(principal, 'leads:read', at).scope).toBe(expected.leads);
      for (const permission of expected.permissions) {
        expect(engine.authorize(principal, permission, at).grant).toEqual({ role, accountId: at.id, via: 'own' });
      }
    });

    it.each(TREE.filter((t) => t !== N).map((target) => ({ title: target.id, target })))(
      "cross-tenant: held on N, nothing on $title",
      ({ target }) => {
        const principal = holder(role, N);
        expect(allowedOn(principal, target, EVERY_KNOWN)).toEqual([]);
        expect(engine.effectivePermissions(principal, target)).toEqual([]);
        expect(engine.isVisible(principal, target)).toBe(false);
      },
    );
  });

  describe.each([{ role: 'PLATFORM_OPERATOR' }, { role: 'SUPPLIER_ADMINISTRATOR' }])('$role (on the platform)', ({ role }) => {
    // Every permission on every partner, rights:assign whatever adminsMayAssignRoles says (the platform team and
    // supplier administrators change partners' roles), but never a module the partner has off.
    const everything: ContractRole = { permissions: PARTNER_SET, leads: 'all' };
    it.each(PARTNERS.map((target) => ({ title: `reaches ${target.id} (${describeSettings(target)})`, target })))('$title', ({ target }) => {
      const principal = holder(role, platform);
      expect(allowedOn(principal, target, PARTNER_SET)).toEqual(expectedOn(everything, role, target).permissions);
      expect(engine.authorize(principal, 'leads:read', target).scope).toBe(moduleOn('leads:read', target) ? 'all' : null);
      expect(engine.authorize(principal, 'users:read', target)).toMatchObject({ allowed: true, grant: { role, accountId: platform.id, via: 'ancestor' } });
      expect(engine.isVisible(principal, target)).toBe(true);
    });
  });

  describe('named rules', () => {
    it.each(PARTNER_ROLES.map((role) => ({ role, expected: role === 'ADMINISTRATOR' })))(
      'settings:manage only for the Administrator: $role → $expected',
      ({ role, expected }) => {
        expect(engine.authorize(holder(role, N), 'settings:manage', N).allowed).toBe(expected);
      },
    );

    it.each([
      { title: 'on N (adminsMayAssignRoles: true)', at: N, allowed: true },
      { title: 'on M (no setting)', at: M, allowed: false },
      { title: 'on F (adminsMayAssignRoles: false)', at: F, allowed: false },
      { title: 'on C (modules only)', at: C, allowed: false },
    ])("the Administrator's rights:assign $title", ({ at, allowed }) => {
      const decision = engine.authorize(holder('ADMINISTRATOR', at), 'rights:assign', at);
      expect(decision.allowed).toBe(allowed);
      if (!allowed) expect(decision.reason).toContain('adminsMayAssignRoles');
    });

    it.each([
      { title: 'SALES: leads:read distributed', roles: ['SALES'], permission: 'leads:read', allowed: true, scope: 'distributed' },
      { title: 'SALES: no company social account', roles: ['SALES'], permission: 'socialAccount:useCompany', allowed: false, scope: null },
      { title: 'SALES: their personal social account', roles: ['SALES'], permission: 'socialAccount:usePersonal', allowed: true, scope: null },
      { title: 'SALES: their own settings', roles: ['SALES'], permission: 'mySettings:manage', allowed: true, scope: null },
      { title: 'SALES: deals without restriction', roles: ['SALES'], permission: 'deals:manage', allowed: true, scope: null },
      { title: 'SALES: campaigns without restriction', roles: ['SALES'], permission: 'campaigns:manage', allowed: true, scope: null },
      { title: 'SALES: contact lists without restriction', roles: ['SALES'], permission: 'contactLists:manage', allowed: true, scope: null },
      { title: 'MARKETING: leads:read all', roles: ['MARKETING'], permission: 'leads:read', allowed: true, scope: 'all' },
      { title: 'MARKETING: the company social account', roles: ['MARKETING'], permission: 'socialAccount:useCompany', allowed: true, scope: null },
      { title: 'ADMINISTRATOR: leads:read all', roles: ['ADMINISTRATOR'], permission: 'leads:read', allowed: true, scope: 'all' },
      { title: 'ADMINISTRATOR: manages Sales Reps', roles: ['ADMINISTRATOR'], permission: 'salesReps:manage', allowed: true, scope: null },
      { title: 'SALES_REP: leads:read assigned', roles: ['SALES_REP'], permission: 'leads:read', allowed: true, scope: 'assigned' },
      { title: 'SALES_REP: nothing else (contacts:add)', roles: ['SALES_REP'], permission: 'contacts:add', allowed: false, scope: null },
      { title: 'SALES + MARKETING: leads:read all', roles: ['SALES', 'MARKETING'], permission: 'leads:read', allowed: true, scope: 'all' },
      { title: 'SALES + MARKETING: the company social account', roles: ['SALES', 'MARKETING'], permission: 'socialAccount:useCompany', allowed: true, scope: null },
      { title: 'SALES + SALES_REP: leads:read distributed', roles: ['SALES', 'SALES_REP'], permission: 'leads:read', allowed: true, scope: 'distributed' },
      { title: 'SALES_REP + MARKETING: leads:read all', roles: ['SALES_REP', 'MARKETING'], permission: 'leads:read', allowed: true, scope: 'all' },
    ])('$title', ({ roles, permission, allowed, scope }) => {
      expect(engine.authorize(holder(roles, N), permission, N)).toMatchObject({ allowed, scope });
    });

    it('two roles give the union of their permissions', () => {
      const both = allowedOn(holder(['SALES', 'MARKETING'], N), N);
      const union = new Set([...allowedOn(holder('SALES', N), N), ...allowedOn(holder('MARKETING', N), N)]);
      expect(both).toEqual(CHECKED.filter((p) => union.has(p)));
    });

    it.each([
      { title: 'widens SALES to all on W', roles: ['SALES'], at: W, scope: 'all' },
      { title: 'narrows SALES to assigned on X', roles: ['SALES'], at: X, scope: 'assigned' },
      { title: 'leaves MARKETING at all on X', roles: ['MARKETING'], at: X, scope: 'all' },
      { title: 'leaves SALES_REP at assigned on W', roles: ['SALES_REP'], at: W, scope: 'assigned' },
      { title: 'SALES + MARKETING on X is still all (the widest wins)', roles: ['SALES', 'MARKETING'], at: X, scope: 'all' },
      { title: 'SALES + SALES_REP on X is assigned', roles: ['SALES', 'SALES_REP'], at: X, scope: 'assigned' },
    ])('leadsVisibilityByRole $title', ({ roles, at, scope }) => {
      expect(engine.authorize(holder(roles, at), 'leads:read', at)).toMatchObject({ allowed: true, scope });
    });

    it.each([
      { title: 'SALES_REP alone', principal: holder('SALES_REP', N), mayLogIn: false },
      { title: 'SALES_REP with ADMINISTRATOR', principal: holder(['SALES_REP', 'ADMINISTRATOR'], N), mayLogIn: false },
      { title: 'SALES_REP with SALES', principal: holder(['SALES', 'SALES_REP'], N), mayLogIn: false },
      { title: 'SALES_REP with a custom role', principal: customHolder(N, ['SALES_REP']), mayLogIn: false },
      { title: 'ADMINISTRATOR', principal: holder('ADMINISTRATOR', N), mayLogIn: true },
      { title: 'MARKETING', principal: holder('MARKETING', N), mayLogIn: true },
      { title: 'SALES', principal: holder('SALES', N), mayLogIn: true },
      { title: 'a custom role', principal: customHolder(N), mayLogIn: true },
      { title: 'SUPPLIER_ADMINISTRATOR', principal: holder('SUPPLIER_ADMINISTRATOR', platform), mayLogIn: true },
    ])('$title: mayLogIn is $mayLogIn', ({ principal, mayLogIn }) => {
      expect(engine.mayLogIn(principal)).toBe(mayLogIn);
    });

    const OFF_ON_C = CHECKED.filter((p) => !moduleOn(p, C));
    it('C has campaigns, contact lists and social off', () => {
      expect(OFF_ON_C).toEqual(['campaigns:read', 'campaigns:manage', 'contactLists:read', 'contactLists:manage', 'socialAccount:useCompany', 'socialAccount:usePersonal']);
    });

    it.each(
      [
        ...PARTNER_ROLES.map((role) => ({ who: role, principal: holder(role, C), spec: CONTRACT_ROLES[role].permissions })),
        { who: 'a custom role', principal: customHolder(C), spec: CUSTOM_ROLE.permissions },
        { who: 'SUPPLIER_ADMINISTRATOR', principal: holder('SUPPLIER_ADMINISTRATOR', platform), spec: PARTNER_SET },
        { who: 'PLATFORM_OPERATOR', principal: holder('PLATFORM_OPERATOR', platform), spec: PARTNER_SET },
      ].flatMap(({ who, principal, spec }) =>
        OFF_ON_C.map((permission) => ({ title: `${who}: ${permission}`, principal, permission, heldElsewhere: (spec as readonly string[]).includes(permission) })),
      ),
    )('a module that is off on C is denied to everyone: $title', ({ principal, permission, heldElsewhere }) => {
      const decision = engine.authorize(principal, permission, C);
      expect(decision.allowed).toBe(false);
      // Where the role would hold it with the module on, the reason names the module.
      if (heldElsewhere) expect(decision.reason).toContain(`module ${moduleOf(permission)} is off`);
    });

    it('with the leads module off, lead permissions are denied, even to the Administrator', () => {
      for (const principal of [holder('ADMINISTRATOR', L), holder('SALES_REP', L), customHolder(L)]) {
        expect(engine.authorize(principal, 'leads:read', L)).toMatchObject({ allowed: false, scope: null });
        expect(engine.authorize(principal, 'leads:create', L).allowed).toBe(false);
      }
    });
  });

  describe('custom roles', () => {
    it('resolve gives a custom role with only the base permissions', () => {
      const role = engine.resolve(assignment('BASIC', N, BASIC));
      expect(role).toMatchObject({ name: 'BASIC', accountType: 'PARTNER', custom: true, canLogin: true, administrator: false });
      expect([...role!.grants.keys()].sort()).toEqual([...CUSTOM_ROLE.permissions].sort());
    });

    it.each([N, C, M, X].map((at) => ({ title: `on ${at.id} (${describeSettings(at)})`, at })))(
      'a custom role holds contacts:add and leads:read all, nothing else, $title',
      ({ at }) => {
        const principal = customHolder(at);
        const expected = expectedOn(CUSTOM_ROLE, 'BASIC', at);
        expect(allowedOn(principal, at, EVERY_KNOWN)).toEqual(EVERY_KNOWN.filter((p) => expected.permissions.includes(p)));
        expect(engine.authorize(principal, 'leads:read', at).scope).toBe('all');
      },
    );

    it('paired with SALES, a custom role adds leads:read all to what SALES holds', () => {
      const principal = customHolder(N, ['SALES']);
      expect(engine.authorize(principal, 'leads:read', N)).toMatchObject({ allowed: true, scope: 'all' });
      expect(allowedOn(principal, N)).toEqual(allowedOn(holder('SALES', N), N));
    });

    it("cross-tenant: N's custom role gives nothing on C", () => {
      expect(allowedOn(customHolder(N), C, EVERY_KNOWN)).toEqual([]);
    });

    // Seed 004: a custom role "does not have access to Settings". The policy caps what any custom role may carry.
    const NEVER_CARRIED = ['settings:manage', 'rights:assign', 'salesReps:manage', 'users:read', 'users:manage'];
    it.each([
      ...NEVER_CARRIED.map((permission) => ({ permission, carried: false })),
      ...['mySettings:manage', 'contacts:read', 'contacts:add', 'leads:read', 'leads:create', 'deals:read', 'deals:manage', 'campaigns:read', 'campaigns:manage', 'contactLists:read', 'contactLists:manage', 'content:read', 'socialAccount:useCompany', 'socialAccount:usePersonal'].map((permission) => ({ permission, carried: true })),
    ].map((c) => ({ ...c, title: `${c.permission}: ${c.carried ? 'may be carried' : 'never carried'}` })))('the policy caps custom roles of PARTNER accounts: $title', ({ permission, carried }) => {
      expect(engine.customRoleCap('PARTNER')!.has(permission)).toBe(carried);
    });

    it.each(NEVER_CARRIED.map((permission) => ({ permission })))('a custom role stored with $permission (made before the cap) does not grant it', ({ permission }) => {
      const stored = { id: 'custom-old', grants: [{ permission, descendants: false }, { permission: 'deals:read', descendants: false, module: 'deals' }] };
      const principal: PrincipalFacts = { userId: 'old@N', homeAccountId: N.id, active: true, assignments: [assignment('OLD', N, stored)] };
      expect(engine.authorize(principal, permission, N)).toMatchObject({ allowed: false });
      expect(engine.authorize(principal, 'deals:read', N)).toMatchObject({ allowed: true, reason: 'role OLD on account N' });
    });

    it('an impersonation grant is not capped as a custom role is (it is no tenant role)', () => {
      const principal: PrincipalFacts = {
        userId: 'actor',
        homeAccountId: N.id,
        active: true,
        assignments: [{ role: 'impersonation:g', accountId: N.id, accountType: 'PARTNER', custom: { id: 'impersonation:g', grants: [{ permission: 'settings:manage', descendants: false }] }, source: { kind: 'impersonation', grantId: 'g' } }],
      };
      expect(engine.authorize(principal, 'settings:manage', N).allowed).toBe(true);
    });
  });

  describe('assignment', () => {
    type Outcome = 'ok' | 'FORBIDDEN' | 'CONFLICT' | 'BAD_USER_INPUT';
    const outcome = (assigner: PrincipalFacts, roleName: string, target: AccountFacts, atInvitation = false): { outcome: Outcome; reason: string } => {
      const role = roleName === 'BASIC' ? engine.resolve(assignment('BASIC', target, BASIC)) : engine.role(target.type, roleName);
      const check = engine.checkAssignment(assigner, role, roleName, target, { atInvitation });
      return check.ok ? { outcome: 'ok', reason: '' } : { outcome: check.code, reason: check.reason };
    };
    const ASSIGNABLE = [...PARTNER_ROLES, 'BASIC'];

    it.each([N, K].flatMap((at) => ASSIGNABLE.map((roleName) => ({ title: `${roleName} on ${at.id} (${describeSettings(at)})`, at, roleName }))))(
      'the Administrator gives a new user (at invitation) any role with adminsMayAssignRoles on: $title',
      ({ at, roleName }) => {
        // On K the modules that are off bind the role as much as the assigner: they do not block the assignment.
        expect(outcome(holder('ADMINISTRATOR', at), roleName, at, true).outcome).toBe('ok');
      },
    );

    // The setting governs roles for new users only: an existing user's other roles are the supplier's to change.
    it.each([N, K].flatMap((at) => ['MARKETING', 'SALES', 'BASIC'].map((roleName) => ({ title: `${roleName} on ${at.id} (${describeSettings(at)})`, at, roleName }))))(
      'the Administrator gives an existing user no standard or custom role, even with adminsMayAssignRoles on: $title (FORBIDDEN)',
      ({ at, roleName }) => {
        const result = outcome(holder('ADMINISTRATOR', at), roleName, at);
        expect(result.outcome).toBe('FORBIDDEN');
        expect(result.reason).toContain('new users only');
      },
    );

    it.each([M, F, C].flatMap((at) => ['MARKETING', 'SALES', 'BASIC'].flatMap((roleName) => [true, false].map((atInvitation) => ({ title: `${roleName} on ${at.id} (${describeSettings(at)}), ${atInvitation ? 'at invitation' : 'to an existing user'}`, at, roleName, atInvitation })))))(
      'the Administrator cannot assign with adminsMayAssignRoles off: $title (FORBIDDEN)',
      ({ at, roleName, atInvitation }) => {
        const result = outcome(holder('ADMINISTRATOR', at), roleName, at, atInvitation);
        expect(result.outcome).toBe('FORBIDDEN');
        expect(result.reason).toContain('adminsMayAssignRoles');
      },
    );

    // Seed 004: "Admin partner users can change partner users' Administrative access", whatever the setting says.
    it.each([M, N, F, C, K].flatMap((at) => [true, false].map((atInvitation) => ({ title: `on ${at.id} (${describeSettings(at)}), ${atInvitation ? 'at invitation' : 'to an existing user'}`, at, atInvitation }))))(
      'the Administrator gives Administrative access (ADMINISTRATOR) whatever adminsMayAssignRoles says: $title',
      ({ at, atInvitation }) => {
        expect(outcome(holder('ADMINISTRATOR', at), 'ADMINISTRATOR', at, atInvitation).outcome).toBe('ok');
      },
    );

    // salesReps:manage: the Administrator manages its Sales Reps whatever adminsMayAssignRoles says; nobody else does.
    it.each([M, F, C].map((at) => ({ title: `on ${at.id} (${describeSettings(at)})`, at })))('the Administrator gives SALES_REP with adminsMayAssignRoles off: $title', ({ at }) => {
      expect(outcome(holder('ADMINISTRATOR', at), 'SALES_REP', at).outcome).toBe('ok');
    });

    it.each([M, F, C].flatMap((at) => ['MARKETING', 'SALES'].map((role) => ({ title: `${role} on ${at.id} (${describeSettings(at)})`, at, role }))))(
      'a holder without salesReps:manage cannot give SALES_REP: $title (FORBIDDEN)',
      ({ at, role }) => {
        expect(outcome(holder(role, at), 'SALES_REP', at).outcome).toBe('FORBIDDEN');
      },
    );

    it.each(
      [
        ...(['MARKETING', 'SALES', 'SALES_REP'] as const).map((who) => ({ who, principal: holder(who, N) })),
        { who: 'a custom role', principal: customHolder(N) },
      ].flatMap(({ who, principal }) => ASSIGNABLE.map((roleName) => ({ title: `${who} cannot assign ${roleName}`, principal, roleName }))),
    )('$title (FORBIDDEN)', ({ principal, roleName }) => {
      expect(outcome(principal, roleName, N).outcome).toBe('FORBIDDEN');
    });

    it.each([
      ...[M, N, C, F].flatMap((target) => ASSIGNABLE.map((roleName) => ({ who: 'PLATFORM_OPERATOR', roleName, target }))),
      ...[M, N, C].map((target) => ({ who: 'SUPPLIER_ADMINISTRATOR', roleName: 'ADMINISTRATOR', target })),
    ].map((c) => ({ ...c, title: `${c.who} assigns ${c.roleName} on ${c.target.id}` })))('the platform: $title', ({ who, roleName, target }) => {
      expect(outcome(holder(who, platform), roleName, target).outcome).toBe('ok');
    });

    it.each([C, M].flatMap((target) => ['MARKETING', 'SALES', 'ADMINISTRATOR'].map((roleName) => ({ title: `${roleName} on ${target.id}`, target, roleName }))))("cross-tenant: N's Administrator cannot assign $title (FORBIDDEN)", ({ target, roleName }) => {
      expect(outcome(holder('ADMINISTRATOR', N), roleName, target).outcome).toBe('FORBIDDEN');
    });

    it.each([
      { title: 'ADMINISTRATOR on the PLATFORM account', assigner: holder('PLATFORM_OPERATOR', platform), roleName: 'ADMINISTRATOR', target: platform },
      { title: 'SUPPLIER_ADMINISTRATOR on a PARTNER', assigner: holder('PLATFORM_OPERATOR', platform), roleName: 'SUPPLIER_ADMINISTRATOR', target: N },
      { title: 'an unknown role', assigner: holder('ADMINISTRATOR', N), roleName: 'OWNER', target: N },
    ])('a role that does not exist for the account type: $title is BAD_USER_INPUT', ({ assigner, roleName, target }) => {
      expect(outcome(assigner, roleName, target).outcome).toBe('BAD_USER_INPUT');
    });
  });
});
