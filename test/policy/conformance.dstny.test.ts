import { readFileSync } from 'fs';
import { join } from 'path';
import { parsePolicy, PolicyEngine, type AccountFacts, type AccountSettings, type AccountType, type PrincipalFacts, type RoleAssignmentFact } from '../../src/policy';

// The expected tables below are written from the dstny contract, not read from the policy: the suite checks
// schema/policies/dstny.yaml and the engine against the contract.
const engine = new PolicyEngine(parsePolicy(readFileSync(join(__dirname, '..', '..', 'schema', 'policies', 'dstny.yaml'), 'utf8'), 'dstny.yaml'));

/** The contract: the Portal Administrator's `*`, i.e. every permission of a CUSTOMER account. */
const CUSTOMER_SET = [
  'account:read',
  'contacts:read',
  'contacts:manage',
  'services:order',
  'purchases:create',
  'invoices:read',
  'invoices:manage',
  'changes:request',
  'tickets:create',
  'tickets:read',
  'deliveries:read',
  'deliveries:manage',
  'installations:manage',
  'processes:read',
  'documents:read',
  'providerContacts:read',
  'fleet:read',
  'fleet:manage',
  'insights:read',
  'rights:assign',
  'contactRoles:manage',
  'impersonationGrants:manage',
  // Portico's own, not the contract's: webhook administration, which the account's administrators hold.
  'webhooks:manage',
] as const;

/** The contract: the Partner Portal User's permissions. */
const PARTNER_USER = [
  'portal:access',
  'customers:read',
  'leads:create',
  'leads:read',
  'opportunities:create',
  'opportunities:read',
  'marketingMaterials:order',
  'documentation:read',
  'contracts:create',
  'providerContacts:read',
  'customerOrders:create',
] as const;
const PARTNER_MANAGER = [...PARTNER_USER, 'customers:impersonate'] as const;
// customers:create: the partner's administrator creates its customers' accounts (seed 001/002: "tools to create and
// support new customers"); the policy file decides it, the contract's table leaves it to the platform otherwise.
const PARTNER_ADMINISTRATOR = [...PARTNER_MANAGER, 'rights:assign', 'contactRoles:manage', 'customers:create', 'webhooks:manage'] as const;
/** Every permission the contract's partner rights name. */
const PARTNER_SET = PARTNER_ADMINISTRATOR;

type Permission = (typeof CUSTOMER_SET)[number] | (typeof PARTNER_SET)[number];
/** Every permission the dstny contract names, once. */
const EVERY: readonly Permission[] = [...new Set<Permission>([...CUSTOMER_SET, ...PARTNER_SET])];

const FLEET: readonly Permission[] = [
  'fleet:read',
  'fleet:manage',
  'insights:read',
  'deliveries:read',
  'deliveries:manage',
  'installations:manage',
  'processes:read',
  'providerContacts:read',
];
const INSIGHT: readonly Permission[] = ['insights:read', 'deliveries:read', 'deliveries:manage', 'installations:manage', 'processes:read', 'providerContacts:read'];

type RoleName =
  | 'PORTAL_ADMINISTRATOR'
  | 'FLEET_ADMINISTRATOR'
  | 'INSIGHT_USER'
  | 'PARTNER_PORTAL_USER'
  | 'PARTNER_PORTAL_MANAGER'
  | 'PARTNER_PORTAL_ADMINISTRATOR';
type Assigner = RoleName | 'PLATFORM_OPERATOR';

interface ContractRole {
  accountType: 'CUSTOMER' | 'PARTNER';
  /** On the role's own account. */
  own: readonly Permission[];
  /** On the accounts below the role's account. */
  below: readonly Permission[];
  /** The "assignable by" column. */
  assignableBy: readonly Assigner[];
}

/** The dstny contract: customer rights and partner rights. */
const CONTRACT_ROLES: Record<RoleName, ContractRole> = {
  PORTAL_ADMINISTRATOR: { accountType: 'CUSTOMER', own: CUSTOMER_SET, below: [], assignableBy: ['PLATFORM_OPERATOR'] },
  FLEET_ADMINISTRATOR: { accountType: 'CUSTOMER', own: FLEET, below: [], assignableBy: ['PORTAL_ADMINISTRATOR'] },
  INSIGHT_USER: { accountType: 'CUSTOMER', own: INSIGHT, below: [], assignableBy: ['PORTAL_ADMINISTRATOR'] },
  // customers:read reaches the customer accounts below the partner; nothing else of a partner right does.
  PARTNER_PORTAL_USER: { accountType: 'PARTNER', own: PARTNER_USER, below: ['customers:read'], assignableBy: ['PARTNER_PORTAL_ADMINISTRATOR'] },
  PARTNER_PORTAL_MANAGER: { accountType: 'PARTNER', own: PARTNER_MANAGER, below: ['customers:read'], assignableBy: ['PARTNER_PORTAL_ADMINISTRATOR'] },
  PARTNER_PORTAL_ADMINISTRATOR: { accountType: 'PARTNER', own: PARTNER_ADMINISTRATOR, below: ['customers:read'], assignableBy: ['PLATFORM_OPERATOR'] },
};
const ROLE_NAMES = Object.keys(CONTRACT_ROLES) as RoleName[];
const CUSTOMER_ROLES = ROLE_NAMES.filter((r) => CONTRACT_ROLES[r].accountType === 'CUSTOMER');
const PARTNER_ROLES = ROLE_NAMES.filter((r) => CONTRACT_ROLES[r].accountType === 'PARTNER');

/** The contract: customerOrders:create is MyDestiny Commercial, behind the `commercial` module flag (off unless switched on). */
const MODULE_OF: Partial<Record<Permission, string>> = { 'customerOrders:create': 'commercial' };
const moduleOn = (permission: Permission, target: AccountFacts): boolean => {
  const module = MODULE_OF[permission];
  return module === undefined || (target.settings.modules ?? []).includes(module);
};

function account(id: string, type: AccountType, parent?: AccountFacts, settings: AccountSettings = {}): AccountFacts {
  return { id, type, status: 'ACTIVE', settings, ancestorIds: parent ? [...parent.ancestorIds, parent.id] : [] };
}

const platform = account('platform', 'PLATFORM');
const P1 = account('P1', 'PARTNER', platform);
const C1 = account('C1', 'CUSTOMER', P1);
const C2 = account('C2', 'CUSTOMER', P1);
const P2 = account('P2', 'PARTNER', platform);
const C3 = account('C3', 'CUSTOMER', P2);
const D = account('D', 'CUSTOMER', platform);
const TREE: readonly AccountFacts[] = [platform, P1, C1, C2, P2, C3, D];

const isBelow = (target: AccountFacts, at: AccountFacts): boolean => target.ancestorIds.includes(at.id);
const relationOf = (target: AccountFacts, at: AccountFacts): string =>
  target.id === at.id ? 'its own account' : isBelow(target, at) ? 'below it' : isBelow(at, target) ? 'above it' : 'another tenant';

function assignment(role: string, at: AccountFacts): RoleAssignmentFact {
  return { role, accountId: at.id, accountType: at.type, source: { kind: 'role' } };
}

function holder(roles: string | readonly string[], at: AccountFacts): PrincipalFacts {
  const names = typeof roles === 'string' ? [roles] : roles;
  return { userId: `${names.join('+').toLowerCase()}@${at.id}`, homeAccountId: at.id, active: true, assignments: names.map((r) => assignment(r, at)) };
}

const operator = holder('PLATFORM_OPERATOR', platform);

/** What the contract says a holder of `role` on `at` may do on `target`. */
function expected(role: RoleName, at: AccountFacts, target: AccountFacts, permission: Permission): boolean {
  const spec = CONTRACT_ROLES[role];
  const held = target.id === at.id ? spec.own : isBelow(target, at) ? spec.below : [];
  return held.includes(permission) && moduleOn(permission, target);
}

/** Where each role of the contract tables is held: every right in P1's tree, and one on each other tenant. */
const HOLDINGS: ReadonlyArray<{ role: RoleName; at: AccountFacts }> = [
  ...CUSTOMER_ROLES.map((role) => ({ role, at: C1 })),
  ...PARTNER_ROLES.map((role) => ({ role, at: P1 })),
  { role: 'PORTAL_ADMINISTRATOR', at: D },
  { role: 'PARTNER_PORTAL_ADMINISTRATOR', at: P2 },
];

const allowedOn = (principal: PrincipalFacts, target: AccountFacts, among: readonly string[] = EVERY): string[] =>
  among.filter((p) => engine.authorize(principal, p, target).allowed);
const sorted = (values: Iterable<string>): string[] => [...values].sort();

describe('dstny conformance (the preset contract)', () => {
  describe('the policy declares what the contract names', () => {
    it.each([
      { type: 'CUSTOMER' as const, permissions: CUSTOMER_SET },
      { type: 'PARTNER' as const, permissions: PARTNER_SET },
    ])('$type: the permission set is the contract set', ({ type, permissions }) => {
      expect(sorted(engine.policy.accountTypes.get(type)?.permissions ?? [])).toEqual(sorted(permissions));
    });

    it.each([
      { type: 'CUSTOMER' as const, roles: CUSTOMER_ROLES as string[] },
      { type: 'PARTNER' as const, roles: PARTNER_ROLES as string[] },
      { type: 'PLATFORM' as const, roles: ['PLATFORM_OPERATOR'] },
    ])('$type has exactly the roles $roles', ({ type, roles }) => {
      expect(sorted(engine.rolesOf(type).map((r) => r.name))).toEqual(sorted(roles));
    });

    it('the platform operator is PLATFORM_OPERATOR on the PLATFORM account type', () => {
      expect(engine.policy.operatorRole).toMatchObject({ name: 'PLATFORM_OPERATOR', accountType: 'PLATFORM', operator: true });
    });

    // Invariants: the last Portal Administrator / Partner Portal Administrator cannot leave.
    it.each([
      { type: 'CUSTOMER' as const, administrator: 'PORTAL_ADMINISTRATOR' },
      { type: 'PARTNER' as const, administrator: 'PARTNER_PORTAL_ADMINISTRATOR' },
    ])('$type: the administrator role is $administrator', ({ type, administrator }) => {
      expect(engine.administratorRole(type)?.name).toBe(administrator);
    });

    it.each([
      { role: 'INSIGHT_USER' as const, requires: 'PORTAL_ADMINISTRATOR' },
      { role: 'FLEET_ADMINISTRATOR' as const, requires: undefined },
      { role: 'PORTAL_ADMINISTRATOR' as const, requires: undefined },
    ])('$role: assignable only once $requires exists', ({ role, requires }) => {
      expect(engine.role('CUSTOMER', role)?.requires).toBe(requires);
    });

    // The platform operator may always assign, so the policy may name it or leave it implicit.
    it.each(ROLE_NAMES.map((role) => ({ role, by: CONTRACT_ROLES[role].assignableBy.filter((r) => r !== 'PLATFORM_OPERATOR') })))(
      '$role is assignable by $by (and the platform operator)',
      ({ role, by }) => {
        const declared = engine.role(CONTRACT_ROLES[role].accountType, role)?.assignableBy;
        expect(declared).toBeDefined();
        expect(sorted((declared ?? []).filter((r) => r !== 'PLATFORM_OPERATOR'))).toEqual(sorted(by));
      },
    );

    it.each([...ROLE_NAMES, 'PLATFORM_OPERATOR'].map((role) => ({ role })))('$role may log in', ({ role }) => {
      const type: AccountType = role === 'PLATFORM_OPERATOR' ? 'PLATFORM' : CONTRACT_ROLES[role as RoleName].accountType;
      expect(engine.role(type, role)?.canLogin).toBe(true);
      expect(engine.mayLogIn({ assignments: [{ role, accountId: 'x', accountType: type, source: { kind: 'role' } }] })).toBe(true);
    });
  });

  describe.each(HOLDINGS.map(({ role, at }) => ({ title: `${role} held on ${at.id}`, role, at })))('$title', ({ role, at }) => {
    const principal = holder(role, at);

    describe.each(TREE.map((target) => ({ title: `on ${target.id} (${relationOf(target, at)})`, target })))('$title', ({ target }) => {
      const rows = EVERY.map((permission) => {
        const allowed = expected(role, at, target, permission);
        return { title: `${permission}: ${allowed ? 'allowed' : 'denied'}`, permission, allowed };
      });

      it.each(rows)('$title', ({ permission, allowed }) => {
        const decision = engine.authorize(principal, permission, target);
        expect(decision.allowed).toBe(allowed);
        if (allowed) {
          // The reason names what allowed it: the role, on its account (inherited when the target is below it).
          expect(decision.grant).toEqual({ role, accountId: at.id, via: target.id === at.id ? 'own' : 'ancestor' });
          expect(decision.reason).toContain(`role ${role}`);
          expect(decision.reason).toContain(`account ${at.id}`);
        } else {
          expect(decision.grant).toBeUndefined();
          expect(decision.scope).toBeNull();
        }
      });

      // Visible on its own account, and below it where a permission reaches (customers:read for the partner rights).
      const visible = target.id === at.id || (isBelow(target, at) && CONTRACT_ROLES[role].below.length > 0);
      it(`is ${visible ? 'visible' : 'not visible'}`, () => {
        expect(engine.isVisible(principal, target)).toBe(visible);
      });
    });

    it('effectivePermissions on its own account lists exactly the contract set', () => {
      const expectedSet = CONTRACT_ROLES[role].own.filter((p) => moduleOn(p, at));
      expect(sorted(engine.effectivePermissions(principal, at).map((d) => d.permission))).toEqual(sorted(expectedSet));
    });
  });

  describe('PLATFORM_OPERATOR: every permission of every account type, on every account', () => {
    const withCommercial = (a: AccountFacts): AccountFacts => ({ ...a, settings: { modules: ['commercial'] } });

    describe.each(TREE.map((target) => ({ title: `on ${target.id}`, target })))('$title', ({ target }) => {
      it.each(EVERY.map((permission) => ({ title: `${permission}: ${moduleOn(permission, target) ? 'allowed' : 'denied (module off)'}`, permission })))(
        '$title',
        ({ permission }) => {
          const decision = engine.authorize(operator, permission, target);
          expect(decision.allowed).toBe(moduleOn(permission, target));
          if (decision.allowed) {
            expect(decision.grant).toEqual({ role: 'PLATFORM_OPERATOR', accountId: 'platform', via: target.id === 'platform' ? 'own' : 'ancestor' });
            expect(decision.reason).toContain('role PLATFORM_OPERATOR');
            expect(decision.reason).toContain('account platform');
          }
        },
      );

      it('with the commercial module on, every permission of the contract and every declared permission is allowed', () => {
        const on = withCommercial(target);
        expect(allowedOn(operator, on)).toEqual([...EVERY]);
        expect(allowedOn(operator, on, [...engine.policy.permissions])).toEqual([...engine.policy.permissions]);
      });

      it('is visible', () => {
        expect(engine.isVisible(operator, target)).toBe(true);
      });
    });
  });

  describe('deny by default', () => {
    const suspended = (a: AccountFacts): AccountFacts => ({ ...a, status: 'SUSPENDED' });
    const who = [...HOLDINGS, { role: 'PLATFORM_OPERATOR', at: platform }];

    it.each(
      who.flatMap(({ role, at }) => [
        { title: `${role} on ${at.id}: the account suspended`, principal: holder(role, at), target: suspended(at), reason: 'suspended' },
        { title: `${role} on ${at.id}: the principal inactive`, principal: { ...holder(role, at), active: false }, target: at, reason: 'not active' },
      ]),
    )('$title → everything denied', ({ principal, target, reason }) => {
      for (const permission of EVERY) {
        const decision = engine.authorize(principal, permission, target);
        expect(decision).toMatchObject({ allowed: false, scope: null });
        expect(decision.reason).toContain(reason);
      }
      expect(engine.effectivePermissions(principal, target)).toEqual([]);
    });

    it.each([
      { title: "a partner's customer suspended: customers:read denied to the partner", principal: holder('PARTNER_PORTAL_USER', P1), target: suspended(C1), permission: 'customers:read' },
      { title: 'the operator on a suspended customer', principal: operator, target: suspended(C1), permission: 'account:read' },
      { title: 'an inactive operator', principal: { ...operator, active: false }, target: platform, permission: 'account:read' },
    ])('$title', ({ principal, target, permission }) => {
      expect(engine.authorize(principal, permission, target).allowed).toBe(false);
    });

    it.each(
      ['invoices:delete', 'fleet:destroy', 'customers:write', 'leads:*', '*', 'admin', ''].flatMap((permission) =>
        [
          { who: 'PLATFORM_OPERATOR', principal: operator, target: C1 },
          { who: 'PORTAL_ADMINISTRATOR', principal: holder('PORTAL_ADMINISTRATOR', C1), target: C1 },
          { who: 'PARTNER_PORTAL_ADMINISTRATOR', principal: holder('PARTNER_PORTAL_ADMINISTRATOR', P1), target: P1 },
        ].map((c) => ({ ...c, permission, title: `${c.who}: ${JSON.stringify(permission)}` })),
      ),
    )('an unknown permission is denied: $title', ({ principal, permission, target }) => {
      const decision = engine.authorize(principal, permission, target);
      expect(decision).toMatchObject({ allowed: false, scope: null });
      expect(decision.grant).toBeUndefined();
      expect(decision.reason).toContain('unknown permission');
    });
  });

  describe('cross-tenant', () => {
    it.each(
      PARTNER_ROLES.flatMap((role) =>
        [P2, C3, D].map((target) => ({ title: `P1's ${role} on ${target.id}`, principal: holder(role, P1), target })),
      ).concat(
        CUSTOMER_ROLES.flatMap((role) =>
          [C2, C3, D, P1, platform].map((target) => ({ title: `C1's ${role} on ${target.id}`, principal: holder(role, C1), target })),
        ),
      ),
    )('$title: nothing allowed, nothing visible', ({ principal, target }) => {
      expect(allowedOn(principal, target, [...engine.policy.permissions])).toEqual([]);
      expect(engine.effectivePermissions(principal, target)).toEqual([]);
      expect(engine.isVisible(principal, target)).toBe(false);
    });
  });

  describe('MyDestiny Commercial (the `commercial` module)', () => {
    const P1with = (settings: AccountSettings): AccountFacts => ({ ...P1, settings });

    it.each(
      PARTNER_ROLES.flatMap((role) =>
        [
          { settings: {}, label: 'no site configuration', allowed: false },
          { settings: { modules: [] }, label: 'no module', allowed: false },
          { settings: { modules: ['leads'] }, label: 'another module', allowed: false },
          { settings: { modules: ['commercial'] }, label: 'commercial on', allowed: true },
        ].map((c) => ({ ...c, role, title: `${role}, ${c.label}: ${c.allowed ? 'allowed' : 'denied'}` })),
      ),
    )('customerOrders:create on P1 — $title', ({ role, settings, allowed }) => {
      const decision = engine.authorize(holder(role, P1), 'customerOrders:create', P1with(settings));
      expect(decision.allowed).toBe(allowed);
      if (!allowed) expect(decision.reason).toContain('commercial');
      else expect(decision.grant).toEqual({ role, accountId: 'P1', via: 'own' });
    });

    it('the flag is per partner: on for P1 does not switch it on for P2', () => {
      expect(engine.authorize(holder('PARTNER_PORTAL_ADMINISTRATOR', P2), 'customerOrders:create', P2).allowed).toBe(false);
      expect(engine.authorize(holder('PARTNER_PORTAL_ADMINISTRATOR', P1), 'customerOrders:create', P1with({ modules: ['commercial'] })).allowed).toBe(true);
    });

    it.each([
      ...PARTNER_ROLES.map((role) => ({ title: `P1's ${role} on its customer C1`, principal: holder(role, P1) })),
      ...CUSTOMER_ROLES.map((role) => ({ title: `C1's ${role}`, principal: holder(role, C1) })),
    ])('customerOrders:create on a customer stays denied with the module on: $title', ({ principal }) => {
      const C1on: AccountFacts = { ...C1, settings: { modules: ['commercial'] } };
      expect(engine.authorize(principal, 'customerOrders:create', C1on).allowed).toBe(false);
    });
  });

  describe('assignment (the "assignable by" column)', () => {
    type Outcome = 'ok' | 'FORBIDDEN' | 'CONFLICT' | 'BAD_USER_INPUT';
    /** The rights that assign any role: outside its column, such a right meets the invariant (CONFLICT); any other right lacks the permission (FORBIDDEN). */
    const ASSIGNERS = new Set(Object.values(CONTRACT_ROLES).flatMap((r) => r.assignableBy));
    const outcome = (assigner: PrincipalFacts, roleName: string, target: AccountFacts): Outcome => {
      const check = engine.checkAssignment(assigner, engine.role(target.type, roleName), roleName, target);
      return check.ok ? 'ok' : check.code;
    };

    // Every right of an account, assigned by every right of that account: ok exactly where the contract's column names it.
    const sameAccount = [
      ...CUSTOMER_ROLES.flatMap((assigner) => CUSTOMER_ROLES.map((roleName) => ({ assigner, roleName, at: C1 }))),
      ...PARTNER_ROLES.flatMap((assigner) => PARTNER_ROLES.map((roleName) => ({ assigner, roleName, at: P1 }))),
    ].map((c) => {
      const expectedOutcome: Outcome = CONTRACT_ROLES[c.roleName].assignableBy.includes(c.assigner)
        ? 'ok'
        : ASSIGNERS.has(c.assigner)
          ? 'CONFLICT'
          : 'FORBIDDEN';
      return { ...c, expectedOutcome, title: `${c.assigner} assigns ${c.roleName} on ${c.at.id}: ${expectedOutcome}` };
    });

    it.each(sameAccount)('$title', ({ assigner, roleName, at, expectedOutcome }) => {
      expect(outcome(holder(assigner, at), roleName, at)).toBe(expectedOutcome);
    });

    it.each(
      [...CUSTOMER_ROLES.flatMap((roleName) => [C1, C2, C3, D].map((at) => ({ roleName, at }))), ...PARTNER_ROLES.flatMap((roleName) => [P1, P2].map((at) => ({ roleName, at })))].map(
        (c) => ({ ...c, title: `${c.roleName} on ${c.at.id}` }),
      ),
    )('the platform operator assigns $title', ({ roleName, at }) => {
      expect(outcome(operator, roleName, at)).toBe('ok');
    });

    it.each([
      ...CUSTOMER_ROLES.map((roleName) => ({ title: `P1's PARTNER_PORTAL_ADMINISTRATOR assigns ${roleName} on its customer C1`, assigner: holder('PARTNER_PORTAL_ADMINISTRATOR', P1), roleName, target: C1 })),
      ...['FLEET_ADMINISTRATOR', 'INSIGHT_USER'].flatMap((roleName) =>
        [C2, C3, D].map((target) => ({ title: `C1's PORTAL_ADMINISTRATOR assigns ${roleName} on ${target.id}`, assigner: holder('PORTAL_ADMINISTRATOR', C1), roleName, target })),
      ),
      ...['PARTNER_PORTAL_USER', 'PARTNER_PORTAL_MANAGER'].map((roleName) => ({ title: `P1's PARTNER_PORTAL_ADMINISTRATOR assigns ${roleName} on P2`, assigner: holder('PARTNER_PORTAL_ADMINISTRATOR', P1), roleName, target: P2 })),
      { title: 'a Fleet + Insight holder assigns INSIGHT_USER', assigner: holder(['FLEET_ADMINISTRATOR', 'INSIGHT_USER'], C1), roleName: 'INSIGHT_USER', target: C1 },
    ])('outside the column: $title is FORBIDDEN', ({ assigner, roleName, target }) => {
      expect(outcome(assigner, roleName, target)).toBe('FORBIDDEN');
    });

    // Who appoints the administrators is the policy file's: Dstny (the platform operator) appoints every Portal
    // Administrator and Partner Portal Administrator, co-administrators included; nobody below does.
    it.each([
      { title: "a Portal Administrator appoints a co-Portal Administrator of its own customer", assigner: holder('PORTAL_ADMINISTRATOR', C1), roleName: 'PORTAL_ADMINISTRATOR', target: C1, expected: 'CONFLICT' },
      { title: 'a Partner Portal Administrator appoints a co-Partner Portal Administrator', assigner: holder('PARTNER_PORTAL_ADMINISTRATOR', P1), roleName: 'PARTNER_PORTAL_ADMINISTRATOR', target: P1, expected: 'CONFLICT' },
      { title: "a Partner Portal Administrator appoints its customer's Portal Administrator", assigner: holder('PARTNER_PORTAL_ADMINISTRATOR', P1), roleName: 'PORTAL_ADMINISTRATOR', target: C1, expected: 'FORBIDDEN' },
      { title: 'the platform operator appoints a co-Portal Administrator', assigner: operator, roleName: 'PORTAL_ADMINISTRATOR', target: C1, expected: 'ok' },
      { title: 'the platform operator appoints a Partner Portal Administrator', assigner: operator, roleName: 'PARTNER_PORTAL_ADMINISTRATOR', target: P1, expected: 'ok' },
    ])('appointing administrators: $title ($expected)', ({ assigner, roleName, target, expected }) => {
      expect(outcome(assigner, roleName, target)).toBe(expected);
    });

    // Creating a customer account (createAccount needs accounts.create on the parent): the platform, and a Partner
    // Portal Administrator under its own partner.
    it.each([
      { title: "P1's Partner Portal Administrator, under P1", principal: holder('PARTNER_PORTAL_ADMINISTRATOR', P1), parent: P1, allowed: true },
      { title: "P1's Partner Portal Administrator, under P2", principal: holder('PARTNER_PORTAL_ADMINISTRATOR', P1), parent: P2, allowed: false },
      { title: "P1's Partner Portal Manager, under P1", principal: holder('PARTNER_PORTAL_MANAGER', P1), parent: P1, allowed: false },
      { title: "P1's Partner Portal User, under P1", principal: holder('PARTNER_PORTAL_USER', P1), parent: P1, allowed: false },
      { title: "C1's Portal Administrator, under C1", principal: holder('PORTAL_ADMINISTRATOR', C1), parent: C1, allowed: false },
      { title: 'the platform operator, under P1', principal: operator, parent: P1, allowed: true },
    ])('creating a customer account: $title', ({ principal, parent, allowed }) => {
      expect(engine.authorizeAction(principal, 'accounts.create', parent).allowed).toBe(allowed);
    });

    it.each([
      { title: 'an unknown role on a customer, by its Portal Administrator', assigner: holder('PORTAL_ADMINISTRATOR', C1), roleName: 'SUPERUSER', target: C1 },
      { title: 'an unknown role on a partner, by its Partner Portal Administrator', assigner: holder('PARTNER_PORTAL_ADMINISTRATOR', P1), roleName: 'OWNER', target: P1 },
      { title: 'an unknown role, by the platform operator', assigner: operator, roleName: 'ROOT', target: C1 },
      { title: 'a lower-case spelling of a real role', assigner: operator, roleName: 'portal_administrator', target: C1 },
      { title: 'FLEET_ADMINISTRATOR on a partner, by the platform operator', assigner: operator, roleName: 'FLEET_ADMINISTRATOR', target: P1 },
      { title: 'FLEET_ADMINISTRATOR on a partner, by its Partner Portal Administrator', assigner: holder('PARTNER_PORTAL_ADMINISTRATOR', P1), roleName: 'FLEET_ADMINISTRATOR', target: P1 },
      { title: 'PORTAL_ADMINISTRATOR on a partner', assigner: operator, roleName: 'PORTAL_ADMINISTRATOR', target: P1 },
      { title: 'PARTNER_PORTAL_USER on a customer, by its Portal Administrator', assigner: holder('PORTAL_ADMINISTRATOR', C1), roleName: 'PARTNER_PORTAL_USER', target: C1 },
      { title: 'PARTNER_PORTAL_ADMINISTRATOR on a customer, by the platform operator', assigner: operator, roleName: 'PARTNER_PORTAL_ADMINISTRATOR', target: D },
      { title: 'PLATFORM_OPERATOR on a customer', assigner: operator, roleName: 'PLATFORM_OPERATOR', target: C1 },
    ])('a role that does not exist for the account type: $title is BAD_USER_INPUT', ({ assigner, roleName, target }) => {
      expect(outcome(assigner, roleName, target)).toBe('BAD_USER_INPUT');
    });
  });

  describe('several rights: the union', () => {
    it('FLEET_ADMINISTRATOR + INSIGHT_USER hold the union of both, each through a role that has it', () => {
      const both = holder(['FLEET_ADMINISTRATOR', 'INSIGHT_USER'], C1);
      const union = sorted(new Set([...FLEET, ...INSIGHT]));
      expect(sorted(engine.effectivePermissions(both, C1).map((d) => d.permission))).toEqual(union);
      expect(allowedOn(both, C1)).toEqual(EVERY.filter((p) => union.includes(p)));
      // fleet:manage is the Fleet Administrator's alone.
      expect(engine.authorize(both, 'fleet:manage', C1).grant?.role).toBe('FLEET_ADMINISTRATOR');
    });

    it('INSIGHT_USER + PORTAL_ADMINISTRATOR hold the whole customer set', () => {
      const both = holder(['INSIGHT_USER', 'PORTAL_ADMINISTRATOR'], C1);
      expect(allowedOn(both, C1)).toEqual(EVERY.filter((p) => (CUSTOMER_SET as readonly string[]).includes(p)));
      expect(engine.authorize(both, 'invoices:manage', C1).grant?.role).toBe('PORTAL_ADMINISTRATOR');
    });

    it('PARTNER_PORTAL_USER + PARTNER_PORTAL_ADMINISTRATOR: the Administrator set, customers:read still reaching C1 and C2 only', () => {
      const both = holder(['PARTNER_PORTAL_USER', 'PARTNER_PORTAL_ADMINISTRATOR'], P1);
      expect(allowedOn(both, P1)).toEqual(EVERY.filter((p) => (PARTNER_ADMINISTRATOR as readonly string[]).includes(p) && p !== 'customerOrders:create'));
      for (const target of [C1, C2]) expect(allowedOn(both, target)).toEqual(['customers:read']);
      for (const target of [C3, D, P2, platform]) expect(allowedOn(both, target)).toEqual([]);
    });
  });

  describe('inclusion: Partner Portal Administrator ⊃ Manager ⊃ User', () => {
    const own = (role: RoleName, target: AccountFacts = P1): string[] => allowedOn(holder(role, P1), target);

    it.each([
      { title: 'MANAGER = USER + customers:impersonate', wider: 'PARTNER_PORTAL_MANAGER' as const, narrower: 'PARTNER_PORTAL_USER' as const, extra: ['customers:impersonate'] },
      { title: "ADMINISTRATOR = MANAGER + rights:assign, contactRoles:manage, customers:create (and Portico's webhooks:manage)", wider: 'PARTNER_PORTAL_ADMINISTRATOR' as const, narrower: 'PARTNER_PORTAL_MANAGER' as const, extra: ['rights:assign', 'contactRoles:manage', 'customers:create', 'webhooks:manage'] },
    ])('$title', ({ wider, narrower, extra }) => {
      const w = own(wider);
      const n = own(narrower);
      expect(n.every((p) => w.includes(p))).toBe(true);
      expect(sorted(w.filter((p) => !n.includes(p)))).toEqual(sorted(extra));
    });

    it.each(PARTNER_ROLES.map((role) => ({ role })))('$role: the included customers:read keeps its reach to the customers below', ({ role }) => {
      for (const target of [C1, C2]) expect(own(role, target)).toEqual(['customers:read']);
    });

    it('the engine compiles the inclusion as the contract states it', () => {
      expect(engine.role('PARTNER', 'PARTNER_PORTAL_MANAGER')?.includes).toEqual(['PARTNER_PORTAL_USER']);
      expect(engine.role('PARTNER', 'PARTNER_PORTAL_ADMINISTRATOR')?.includes).toEqual(['PARTNER_PORTAL_MANAGER']);
    });
  });

  describe('visibility', () => {
    it.each(PARTNER_ROLES.map((role) => ({ role })))("P1's $role sees P1, C1, C2 and nothing else", ({ role }) => {
      const principal = holder(role, P1);
      expect(TREE.filter((t) => engine.isVisible(principal, t)).map((t) => t.id)).toEqual(['P1', 'C1', 'C2']);
      // Its customers are visible through customers:read, the only permission that reaches them.
      for (const target of [C1, C2]) expect(engine.isVisible(principal, target)).toBe(engine.authorize(principal, 'customers:read', target).allowed);
    });

    it('a partner right without customers:read does not see the customers below', () => {
      const withoutCustomersRead: PrincipalFacts = {
        userId: 'custom@P1',
        homeAccountId: 'P1',
        active: true,
        assignments: [
          {
            role: 'NO_CUSTOMERS',
            accountId: 'P1',
            accountType: 'PARTNER',
            custom: { id: 'no-customers', grants: PARTNER_ADMINISTRATOR.filter((p) => p !== 'customers:read').map((permission) => ({ permission, descendants: false })) },
            source: { kind: 'role' },
          },
        ],
      };
      expect(engine.isVisible(withoutCustomersRead, P1)).toBe(true);
      expect(engine.isVisible(withoutCustomersRead, C1)).toBe(false);
      expect(engine.isVisible(withoutCustomersRead, C2)).toBe(false);
    });

    it.each([...CUSTOMER_ROLES.map((role) => ({ role, at: C1 })), { role: 'PORTAL_ADMINISTRATOR' as const, at: D }].map((c) => ({ ...c, title: `${c.at.id}'s ${c.role}` })))(
      '$title sees only its own account: never the partner above, a sibling or another customer',
      ({ role, at }) => {
        const principal = holder(role, at);
        expect(TREE.filter((t) => engine.isVisible(principal, t)).map((t) => t.id)).toEqual([at.id]);
      },
    );

    it('an inactive principal sees nothing it would otherwise reach', () => {
      const inactive = { ...holder('PARTNER_PORTAL_USER', P1), active: false };
      expect(engine.isVisible(inactive, C1)).toBe(false);
    });
  });

  describe('administrative actions', () => {
    it.each([
      ...HOLDINGS.filter(({ at }) => at === C1 || at === P1).flatMap(({ role, at }) => [
        { title: `${role} on ${at.id}: rights.assign`, role, at, action: 'rights.assign' as const, allowed: CONTRACT_ROLES[role].own.includes('rights:assign') },
        { title: `${role} on ${at.id}: contactRoles.manage`, role, at, action: 'contactRoles.manage' as const, allowed: CONTRACT_ROLES[role].own.includes('contactRoles:manage') },
      ]),
    ])('$title', ({ role, at, action, allowed }) => {
      expect(engine.authorizeAction(holder(role, at), action, at).allowed).toBe(allowed);
    });

    it.each(TREE.map((target) => ({ title: target.id, target })))('the platform operator may assign rights and manage contact roles on $title', ({ target }) => {
      expect(engine.authorizeAction(operator, 'rights.assign', target).allowed).toBe(true);
      expect(engine.authorizeAction(operator, 'contactRoles.manage', target).allowed).toBe(true);
    });
  });

  describe('contact roles and communication topics', () => {
    /** The dstny contract: which contact role each topic goes to. */
    const TOPICS: Record<string, readonly string[]> = {
      MAINTENANCE: ['TECHNICAL_CONTACT'],
      DEFECT: ['TECHNICAL_CONTACT'],
      UPGRADE: ['TECHNICAL_CONTACT'],
      PRICE_UPDATE: ['BILLING_CONTACT'],
      SYSTEM_UPDATE: ['BILLING_CONTACT'],
      EVENT: ['COMMERCIAL_CONTACT'],
      PRODUCT_UPDATE: ['COMMERCIAL_CONTACT'],
      NEWS: ['COMMERCIAL_CONTACT'],
      // A Billing Contact does not receive invoices: they are asked from the account manager.
      INVOICE: [],
    };

    it('the contact roles are TECHNICAL_CONTACT, BILLING_CONTACT, COMMERCIAL_CONTACT', () => {
      expect(sorted(engine.policy.contactRoles)).toEqual(['BILLING_CONTACT', 'COMMERCIAL_CONTACT', 'TECHNICAL_CONTACT']);
    });

    it.each(Object.entries(TOPICS).map(([topic, to]) => ({ topic, to, title: `${topic} → ${to.length > 0 ? to.join(', ') : 'nobody'}` })))('$title', ({ topic, to }) => {
      expect(engine.policy.topics.get(topic)).toEqual(to);
    });

    // Seed 001: "You are the official and contractual point of contact" (Portal Administrators), and the point of
    // contact regarding mobile services (Fleet Administrators): rights, not contact roles.
    const BY_ROLE: Record<string, string[]> = { CONTRACTUAL: ['PORTAL_ADMINISTRATOR'], MOBILE_SERVICES: ['FLEET_ADMINISTRATOR'] };

    it.each(Object.entries(BY_ROLE).map(([topic, roles]) => ({ topic, roles, title: `${topic} → holders of ${roles.join(', ')}` })))('$title', ({ topic, roles }) => {
      expect(engine.policy.topicRecipients.get(topic)).toEqual({ contactRoles: [], roles });
    });

    it('declares no other topic', () => {
      expect(sorted(engine.policy.topics.keys())).toEqual(sorted([...Object.keys(TOPICS), ...Object.keys(BY_ROLE)]));
    });
  });
});
