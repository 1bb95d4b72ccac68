import { readFileSync } from 'fs';
import { join } from 'path';
import { parsePolicy, PolicyEngine, type AccountFacts, type AccountType, type PrincipalFacts, type RoleAssignmentFact } from '../../src/policy';

// The expected tables below are written from the appdirect contract, not read from the policy: the suite checks
// schema/policies/appdirect.yaml and the engine against the contract.
const engine = new PolicyEngine(
  parsePolicy(readFileSync(join(__dirname, '..', '..', 'schema', 'policies', 'appdirect.yaml'), 'utf8'), 'appdirect.yaml'),
);

/** The contract: what `*` expands to, the same set for every appdirect account type. */
const EVERY = [
  'account:read',
  'partnerAccount:read',
  'users:read',
  'users:manage',
  'organizations:read',
  'organizations:create',
  'organizations:update',
  'organizations:delete',
  'organizations:suspend',
  'organizationOffers:add',
  'organizationOffers:remove',
  'offers:read',
  'offers:readRetailPrice',
  'offers:add',
  'offers:remove',
  'priceList:read',
  'invoices:read',
  'invoices:print',
  'payments:read',
  'creditCards:manage',
  'billing:access',
  'eventLogs:read',
  'notifications:read',
  'subscriptions:update',
  'settings:manage',
  'delegatedAdmin:request',
  'delegatedAdmin:approve',
  // Portico's own, not the contract's: webhook administration, which the account's administrators hold.
  'webhooks:manage',
] as const;
type Permission = (typeof EVERY)[number];

/** What the sub-partner's Account Manager lacks: billing:access, invoices:*, payments:read, creditCards:manage. */
const BILLING: readonly Permission[] = ['billing:access', 'invoices:read', 'invoices:print', 'payments:read', 'creditCards:manage'];
const everyExcept = (removed: readonly Permission[]): Permission[] => EVERY.filter((p) => !removed.includes(p));

type TenantType = Exclude<AccountType, 'PLATFORM'>;

interface ContractRole {
  /** On the role's own account. */
  own: readonly Permission[];
  /** On every account below the role's account. */
  below: readonly Permission[];
  /** On the own account, permissions the contract leaves open: neither asserted allowed nor denied. */
  unspecified?: readonly Permission[];
}

const TECHNICAL_BELOW: readonly Permission[] = [
  'organizations:create',
  'organizations:update',
  'organizations:delete',
  'organizations:suspend',
  'organizationOffers:add',
  'organizationOffers:remove',
];
const SUBSCRIPTION: ContractRole = { own: ['subscriptions:update', 'eventLogs:read', 'users:read', 'notifications:read'], below: [] };
const AFFILIATE_TECHNICAL: readonly Permission[] = [
  'offers:add',
  'offers:remove',
  'eventLogs:read',
  'users:read',
  'notifications:read',
  'offers:read',
  'offers:readRetailPrice',
];

/** The appdirect contract, account type × role. */
const CONTRACT_ROLES: Record<TenantType, Record<string, ContractRole>> = {
  PARTNER: {
    ACCOUNT_MANAGER: { own: EVERY, below: EVERY },
    BILLING_MANAGER: {
      own: [
        'organizations:read',
        'users:read',
        'offers:read',
        'invoices:read',
        'invoices:print',
        'payments:read',
        'creditCards:manage',
        'partnerAccount:read',
        'priceList:read',
        'billing:access',
      ],
      // The contract does not say where organizations:read reaches. The organizations are the customer accounts below the
      // partner (the Technical Manager's organizations:* are marked descendants), so read it as reaching them.
      below: ['organizations:read'],
    },
    DELEGATED_ACCOUNT_ADMINISTRATOR: {
      // Delegated administration: the partner requests the relationship; everything else comes through the relationship, per customer.
      own: ['delegatedAdmin:request'],
      below: [],
      // The contract lists no permission on the holder's own account; reading it is neither required nor forbidden.
      unspecified: ['account:read', 'partnerAccount:read'],
    },
    TECHNICAL_MANAGER: {
      own: [...TECHNICAL_BELOW, 'eventLogs:read', 'users:read', 'notifications:read', 'offers:read', 'offers:readRetailPrice'],
      // "Views and filters event logs" of the organizations it creates, changes and suspends: those below it.
      below: [...TECHNICAL_BELOW, 'eventLogs:read'],
    },
    SUBSCRIPTION_MANAGER: SUBSCRIPTION,
  },
  SUB_PARTNER: {
    // "assigns every role ... of the accounts below it" (through users:manage) needs the Account Manager to reach
    // below its account, so the sub-partner's `*` reaches its customers too.
    ACCOUNT_MANAGER: { own: everyExcept(BILLING), below: everyExcept(BILLING) },
    TECHNICAL_MANAGER: {
      own: [...TECHNICAL_BELOW, 'eventLogs:read', 'users:read', 'notifications:read', 'offers:read', 'offers:readRetailPrice'],
      // "Views and filters event logs" of the organizations it creates, changes and suspends: those below it.
      below: [...TECHNICAL_BELOW, 'eventLogs:read'],
    },
    SUBSCRIPTION_MANAGER: SUBSCRIPTION,
  },
  CUSTOMER: {
    ACCOUNT_MANAGER: { own: EVERY, below: [] },
    BILLING_MANAGER: {
      own: ['users:read', 'offers:read', 'invoices:read', 'invoices:print', 'payments:read', 'creditCards:manage', 'account:read'],
      below: [],
    },
    TECHNICAL_MANAGER: { own: ['offers:add', 'offers:remove', 'eventLogs:read', 'users:read', 'notifications:read'], below: [] },
    SUBSCRIPTION_MANAGER: SUBSCRIPTION,
  },
  AFFILIATE: {
    // As for the sub-partner: the Account Manager assigns the roles of its customers, so it reaches them.
    ACCOUNT_MANAGER: { own: EVERY, below: EVERY },
    // "For their customers": on the accounts below the affiliate, never on the affiliate's own account.
    TECHNICAL_MANAGER: { own: [], below: AFFILIATE_TECHNICAL },
  },
};

function account(id: string, type: AccountType, parent?: AccountFacts): AccountFacts {
  return { id, type, status: 'ACTIVE', settings: {}, ancestorIds: parent ? [...parent.ancestorIds, parent.id] : [] };
}

const platform = account('platform', 'PLATFORM');
const P = account('P', 'PARTNER', platform);
const S = account('S', 'SUB_PARTNER', P);
const SC = account('SC', 'CUSTOMER', S);
const PC = account('PC', 'CUSTOMER', P);
const Q = account('Q', 'PARTNER', platform);
const QC = account('QC', 'CUSTOMER', Q);
const A = account('A', 'AFFILIATE', platform);
const AC = account('AC', 'CUSTOMER', A);
const D = account('D', 'CUSTOMER', platform);
const TREE: readonly AccountFacts[] = [platform, P, S, SC, PC, Q, QC, A, AC, D];

const isBelow = (target: AccountFacts, at: AccountFacts): boolean => target.ancestorIds.includes(at.id);
const reachOf = (at: AccountFacts): AccountFacts[] => [at, ...TREE.filter((t) => isBelow(t, at))];

function assignment(role: string, at: AccountFacts): RoleAssignmentFact {
  return { role, accountId: at.id, accountType: at.type, source: { kind: 'role' } };
}

function holder(role: string, at: AccountFacts): PrincipalFacts {
  return { userId: `${role.toLowerCase()}@${at.id}`, homeAccountId: at.id, active: true, assignments: [assignment(role, at)] };
}

const allowedOn = (principal: PrincipalFacts, target: AccountFacts, among: readonly Permission[] = EVERY): Permission[] =>
  among.filter((p) => engine.authorize(principal, p, target).allowed);

const TYPE_TITLE: Record<TenantType, string> = { PARTNER: 'partner', SUB_PARTNER: 'sub-partner', CUSTOMER: 'customer', AFFILIATE: 'affiliate' };

/** Where each role of the contract table is held in the tree. */
const HOLDINGS: ReadonlyArray<{ role: string; at: AccountFacts }> = [
  ...Object.keys(CONTRACT_ROLES.PARTNER).map((role) => ({ role, at: P })),
  ...Object.keys(CONTRACT_ROLES.SUB_PARTNER).map((role) => ({ role, at: S })),
  ...Object.keys(CONTRACT_ROLES.CUSTOMER).map((role) => ({ role, at: PC })),
  { role: 'ACCOUNT_MANAGER', at: D },
  ...Object.keys(CONTRACT_ROLES.AFFILIATE).map((role) => ({ role, at: A })),
];

const contractRole = (type: AccountType, role: string): ContractRole | undefined => (type === 'PLATFORM' ? undefined : CONTRACT_ROLES[type][role]);

describe('appdirect conformance (the preset contract)', () => {
  describe('the policy declares what the contract names', () => {
    it.each((Object.keys(CONTRACT_ROLES) as TenantType[]).map((type) => ({ type })))('$type: `*` is the contract permission set', ({ type }) => {
      expect([...engine.policy.accountTypes.get(type)!.permissions].sort()).toEqual([...EVERY].sort());
    });

    it.each([
      ...(Object.keys(CONTRACT_ROLES) as TenantType[]).map((type) => ({ type: type as AccountType, roles: Object.keys(CONTRACT_ROLES[type]) })),
      { type: 'PLATFORM' as AccountType, roles: ['PLATFORM_OPERATOR'] },
    ])('$type has exactly the roles $roles', ({ type, roles }) => {
      expect(engine.rolesOf(type).map((r) => r.name).sort()).toEqual([...roles].sort());
    });

    it.each((['PARTNER', 'SUB_PARTNER', 'CUSTOMER', 'AFFILIATE'] as const).map((type) => ({ type })))(
      '$type: the Account Manager is the administrator (the last one stays)',
      ({ type }) => {
        expect(engine.administratorRole(type)?.name).toBe('ACCOUNT_MANAGER');
      },
    );
  });

  describe.each(HOLDINGS.map(({ role, at }) => ({ title: `${TYPE_TITLE[at.type as TenantType]} ${role} (held on ${at.id})`, role, at })))(
    '$title',
    ({ role, at }) => {
      const spec = contractRole(at.type, role)!;
      const principal = holder(role, at);
      const cases = TREE.map((target) => {
        const relation = target === at ? 'its own account' : isBelow(target, at) ? 'below it' : isBelow(at, target) ? 'above it' : 'another tenant';
        const expected = target === at ? spec.own : isBelow(target, at) ? spec.below : [];
        return { title: `on ${target.id}, ${relation}`, target, expected };
      });

      it.each(cases)('$title', ({ target, expected }) => {
        const checked = EVERY.filter((p) => !(target === at && spec.unspecified?.includes(p)));
        expect(allowedOn(principal, target, checked)).toEqual(checked.filter((p) => expected.includes(p)));
        // The reason names what allowed it: the role, on its account, inherited when the target is below it.
        for (const permission of checked.filter((p) => expected.includes(p))) {
          expect(engine.authorize(principal, permission, target).grant).toEqual({ role, accountId: at.id, via: target === at ? 'own' : 'ancestor' });
        }
        expect(engine.isVisible(principal, target)).toBe(target === at || expected.length > 0);
      });
    },
  );

  describe('named rules', () => {
    it.each(BILLING.flatMap((permission) => [S, SC].map((target) => ({ title: `${permission} on ${target.id}`, permission, target }))))(
      'the sub-partner Account Manager has no billing: $title denied',
      ({ permission, target }) => {
        expect(engine.authorize(holder('ACCOUNT_MANAGER', S), permission, target)).toMatchObject({ allowed: false, scope: null });
      },
    );

    it.each(
      TECHNICAL_BELOW.flatMap((permission) =>
        [
          { role: 'TECHNICAL_MANAGER', at: P, target: PC },
          { role: 'TECHNICAL_MANAGER', at: P, target: S },
          { role: 'TECHNICAL_MANAGER', at: P, target: SC },
          { role: 'TECHNICAL_MANAGER', at: S, target: SC },
        ].map((c) => ({ ...c, permission, title: `${c.at.id}'s Technical Manager: ${permission} on ${c.target.id}` })),
      ),
    )('a Technical Manager reaches the organizations below: $title', ({ role, at, target, permission }) => {
      const decision = engine.authorize(holder(role, at), permission, target);
      expect(decision).toMatchObject({ allowed: true, grant: { role, accountId: at.id, via: 'ancestor' } });
      expect(decision.reason).toContain(at.id);
    });

    it.each([
      { title: 'users:read', permission: 'users:read' },
      { title: 'offers:readRetailPrice', permission: 'offers:readRetailPrice' },
    ])("a partner Technical Manager's $title stays on the partner's own account", ({ permission }) => {
      expect(engine.authorize(holder('TECHNICAL_MANAGER', P), permission, PC).allowed).toBe(false);
      expect(engine.authorize(holder('TECHNICAL_MANAGER', P), permission, P).allowed).toBe(true);
    });

    it.each([
      { title: "the partner's Technical Manager, on a customer below", role: 'TECHNICAL_MANAGER', at: P, target: PC, allowed: true },
      { title: "the partner's Technical Manager, on a sub-partner's customer", role: 'TECHNICAL_MANAGER', at: P, target: SC, allowed: true },
      { title: "the sub-partner's Technical Manager, on its customer", role: 'TECHNICAL_MANAGER', at: S, target: SC, allowed: true },
      { title: "the partner's Technical Manager, on another partner's customer", role: 'TECHNICAL_MANAGER', at: P, target: QC, allowed: false },
      { title: "the sub-partner's Technical Manager, on its parent partner", role: 'TECHNICAL_MANAGER', at: S, target: P, allowed: false },
      { title: "the partner's Subscription Manager, on a customer below", role: 'SUBSCRIPTION_MANAGER', at: P, target: PC, allowed: false },
    ])('audit.read (event logs) of the organizations below: $title', ({ role, at, target, allowed }) => {
      expect(engine.authorizeAction(holder(role, at), 'audit.read', target).allowed).toBe(allowed);
    });

    it.each([
      ...AFFILIATE_TECHNICAL.map((permission) => ({ title: `${permission} on its customer AC`, permission, target: AC, allowed: true })),
      ...AFFILIATE_TECHNICAL.map((permission) => ({ title: `${permission} on the affiliate A itself`, permission, target: A, allowed: false })),
    ])('the affiliate Technical Manager acts for its customers, not on its own account: $title', ({ permission, target, allowed }) => {
      const decision = engine.authorize(holder('TECHNICAL_MANAGER', A), permission, target);
      expect(decision.allowed).toBe(allowed);
      if (!allowed) expect(decision.reason).toBe(`no role grants ${permission} on account A`);
    });

    it.each([
      { title: 'a user holding a role signs in', principal: holder('SUBSCRIPTION_MANAGER', PC), refusal: undefined },
      { title: 'a user holding only a delegated role is refused', principal: { ...holder('X', P), assignments: [{ role: 'ACCOUNT_MANAGER', accountId: PC.id, accountType: PC.type, source: { kind: 'delegated' as const, relationshipId: 'r' } }] }, refusal: /holds no role of the appdirect portal/ },
      { title: 'a user holding no role is refused', principal: { ...holder('X', P), assignments: [] }, refusal: /holds no role of the appdirect portal/ },
    ])('only holders of a portal role sign in: $title', ({ principal, refusal }) => {
      expect(engine.policy.signInRequiresRole).toBe(true);
      const found = engine.signInRefusal(principal);
      if (refusal) expect(found).toMatch(refusal);
      else expect(found).toBeUndefined();
      expect(engine.mayLogIn(principal)).toBe(refusal === undefined);
    });

    it.each([P, PC, SC, S].map((target) => ({ title: target.id, target })))(
      "cross-tenant: partner Q's Account Manager is denied everything on $title",
      ({ target }) => {
        const principal = holder('ACCOUNT_MANAGER', Q);
        for (const permission of EVERY) {
          const decision = engine.authorize(principal, permission, target);
          expect(decision).toMatchObject({ allowed: false, scope: null });
          expect(decision.grant).toBeUndefined();
          expect(decision.reason).toContain(`no role grants ${permission}`);
        }
        expect(engine.effectivePermissions(principal, target)).toEqual([]);
        expect(engine.isVisible(principal, target)).toBe(false);
        expect(engine.authorizeAction(principal, 'accounts.manage', target).allowed).toBe(false);
      },
    );

    it.each(TREE.map((target) => ({ title: target.id, target })))('the platform operator holds every permission on $title', ({ target }) => {
      expect(allowedOn(holder('PLATFORM_OPERATOR', platform), target)).toEqual([...EVERY]);
    });
  });

  describe('deny by default', () => {
    it.each([
      { title: 'an unknown permission', principal: holder('ACCOUNT_MANAGER', P), permission: 'invoices:delete', target: P, reason: 'unknown permission' },
      { title: 'a suspended target account', principal: holder('ACCOUNT_MANAGER', P), permission: 'users:read', target: { ...PC, status: 'SUSPENDED' as const }, reason: 'suspended' },
      { title: 'an inactive principal', principal: { ...holder('ACCOUNT_MANAGER', P), active: false }, permission: 'users:read', target: P, reason: 'not active' },
    ])('$title is denied', ({ principal, permission, target, reason }) => {
      const decision = engine.authorize(principal, permission, target);
      expect(decision).toMatchObject({ allowed: false, scope: null });
      expect(decision.reason).toContain(reason);
    });
  });

  describe('delegated account administration', () => {
    const relationship = (customer: AccountFacts): RoleAssignmentFact => ({
      role: 'ACCOUNT_MANAGER',
      accountId: customer.id,
      accountType: customer.type,
      source: { kind: 'delegated', relationshipId: `rel-${customer.id}` },
    });
    const advisor: PrincipalFacts = {
      ...holder('DELEGATED_ACCOUNT_ADMINISTRATOR', P),
      assignments: [assignment('DELEGATED_ACCOUNT_ADMINISTRATOR', P), relationship(PC)],
    };

    it('without a relationship the advisor cannot manage the customers below the partner', () => {
      const alone = holder('DELEGATED_ACCOUNT_ADMINISTRATOR', P);
      expect(allowedOn(alone, PC)).toEqual([]);
      expect(engine.authorizeAction(alone, 'accounts.manage', PC).allowed).toBe(false);
    });

    it('an active relationship lets the advisor manage that customer, under their own identity', () => {
      expect(allowedOn(advisor, PC)).toEqual([...EVERY]);
      const decision = engine.authorizeAction(advisor, 'accounts.manage', PC);
      expect(decision).toMatchObject({ allowed: true, grant: { role: 'ACCOUNT_MANAGER', accountId: PC.id, via: 'delegated' } });
      expect(decision.reason).toContain('rel-PC');
    });

    it.each([SC, QC, D, S].map((target) => ({ title: target.id, target })))('the relationship for PC gives nothing on $title', ({ target }) => {
      expect(allowedOn(advisor, target)).toEqual([]);
      expect(engine.authorizeAction(advisor, 'accounts.manage', target).allowed).toBe(false);
    });
  });

  describe('field level: offers', () => {
    // The contract: retailPrice needs offers:read or offers:readRetailPrice; cost and suggestedRetailPrice need priceList:read.
    const OFFER_FIELDS: ReadonlyArray<{ field: string; anyOf: readonly Permission[] }> = [
      { field: 'retailPrice', anyOf: ['offers:read', 'offers:readRetailPrice'] },
      { field: 'cost', anyOf: ['priceList:read'] },
      { field: 'suggestedRetailPrice', anyOf: ['priceList:read'] },
    ];
    const readableFields = (principal: PrincipalFacts, target: AccountFacts): string[] =>
      OFFER_FIELDS.filter(({ anyOf }) => anyOf.some((p) => engine.authorize(principal, p, target).allowed)).map(({ field }) => field);

    it.each([
      { title: 'partner Technical Manager: retail price only', role: 'TECHNICAL_MANAGER', at: P, fields: ['retailPrice'] },
      { title: 'partner Billing Manager: all three', role: 'BILLING_MANAGER', at: P, fields: ['retailPrice', 'cost', 'suggestedRetailPrice'] },
      { title: 'partner Account Manager: all three', role: 'ACCOUNT_MANAGER', at: P, fields: ['retailPrice', 'cost', 'suggestedRetailPrice'] },
      { title: 'partner Subscription Manager: none', role: 'SUBSCRIPTION_MANAGER', at: P, fields: [] },
      { title: 'sub-partner Technical Manager: retail price only', role: 'TECHNICAL_MANAGER', at: S, fields: ['retailPrice'] },
      { title: 'customer Billing Manager: retail price only', role: 'BILLING_MANAGER', at: PC, fields: ['retailPrice'] },
      { title: 'customer Technical Manager: none (offers:add without offers:read)', role: 'TECHNICAL_MANAGER', at: PC, fields: [] },
    ])('$title', ({ role, at, fields }) => {
      expect(readableFields(holder(role, at), at)).toEqual(fields);
    });

    it("the affiliate Technical Manager sees its customers' retail prices, never their cost", () => {
      expect(readableFields(holder('TECHNICAL_MANAGER', A), AC)).toEqual(['retailPrice']);
    });
  });

  describe('assignment', () => {
    type Outcome = 'ok' | 'FORBIDDEN' | 'CONFLICT' | 'BAD_USER_INPUT';
    const outcome = (assigner: PrincipalFacts, roleName: string, target: AccountFacts): Outcome => {
      const check = engine.checkAssignment(assigner, engine.role(target.type, roleName), roleName, target);
      return check.ok ? 'ok' : check.code;
    };
    const rolesFor = (type: AccountType): string[] => (type === 'PLATFORM' ? [] : Object.keys(CONTRACT_ROLES[type]));

    // An Account Manager assigns every role of its own account type and of the accounts below it, within the
    // invariant that nobody grants rights they do not hold: the sub-partner's Account Manager, who has no
    // billing, cannot hand a customer below it the billing permissions (customer ACCOUNT_MANAGER, BILLING_MANAGER).
    const managerCases = [P, S, PC, D, A].flatMap((at) => {
      const manager = contractRole(at.type, 'ACCOUNT_MANAGER')!;
      return reachOf(at).flatMap((target) =>
        rolesFor(target.type).map((roleName) => {
          const held = target === at ? manager.own : manager.below;
          const expected: Outcome = contractRole(target.type, roleName)!.own.every((p) => held.includes(p)) ? 'ok' : 'CONFLICT';
          return { title: `${at.id}'s ACCOUNT_MANAGER assigns ${target.type} ${roleName} on ${target.id}: ${expected}`, at, target, roleName, expected };
        }),
      );
    });

    it.each(managerCases)('$title', ({ at, target, roleName, expected }) => {
      expect(outcome(holder('ACCOUNT_MANAGER', at), roleName, target)).toBe(expected);
    });

    const othersCases = HOLDINGS.filter(({ role }) => role !== 'ACCOUNT_MANAGER').flatMap(({ role, at }) =>
      reachOf(at).flatMap((target) =>
        rolesFor(target.type).map((roleName) => ({ title: `${at.id}'s ${role} cannot assign ${roleName} on ${target.id}`, role, at, target, roleName })),
      ),
    );

    it.each(othersCases)('$title (FORBIDDEN)', ({ role, at, target, roleName }) => {
      expect(outcome(holder(role, at), roleName, target)).toBe('FORBIDDEN');
    });

    it.each([
      { title: 'BILLING_MANAGER on an AFFILIATE', assigner: holder('ACCOUNT_MANAGER', A), roleName: 'BILLING_MANAGER', target: A },
      { title: 'SUBSCRIPTION_MANAGER on an AFFILIATE', assigner: holder('ACCOUNT_MANAGER', A), roleName: 'SUBSCRIPTION_MANAGER', target: A },
      { title: 'DELEGATED_ACCOUNT_ADMINISTRATOR on a CUSTOMER', assigner: holder('ACCOUNT_MANAGER', P), roleName: 'DELEGATED_ACCOUNT_ADMINISTRATOR', target: PC },
      { title: 'BILLING_MANAGER on a SUB_PARTNER', assigner: holder('ACCOUNT_MANAGER', P), roleName: 'BILLING_MANAGER', target: S },
      { title: 'DELEGATED_ACCOUNT_ADMINISTRATOR on a SUB_PARTNER', assigner: holder('ACCOUNT_MANAGER', P), roleName: 'DELEGATED_ACCOUNT_ADMINISTRATOR', target: S },
      { title: 'PLATFORM_OPERATOR on a PARTNER', assigner: holder('ACCOUNT_MANAGER', P), roleName: 'PLATFORM_OPERATOR', target: P },
      { title: 'an unknown role', assigner: holder('ACCOUNT_MANAGER', P), roleName: 'OWNER', target: P },
      { title: 'BILLING_MANAGER on an AFFILIATE, by the platform operator', assigner: holder('PLATFORM_OPERATOR', platform), roleName: 'BILLING_MANAGER', target: A },
    ])('a role that does not exist for the account type: $title is BAD_USER_INPUT', ({ assigner, roleName, target }) => {
      expect(outcome(assigner, roleName, target)).toBe('BAD_USER_INPUT');
    });

    it.each(
      [P, S, PC, SC].flatMap((target) =>
        rolesFor(target.type).map((roleName) => ({ title: `${roleName} on ${target.id}`, target, roleName })),
      ),
    )("partner Q's Account Manager cannot assign in partner P's tree: $title (FORBIDDEN)", ({ target, roleName }) => {
      expect(outcome(holder('ACCOUNT_MANAGER', Q), roleName, target)).toBe('FORBIDDEN');
    });

    it.each([P, S, PC, A, AC, D].flatMap((target) => rolesFor(target.type).map((roleName) => ({ title: `${roleName} on ${target.id}`, target, roleName }))))(
      'the platform operator assigns $title',
      ({ target, roleName }) => {
        expect(outcome(holder('PLATFORM_OPERATOR', platform), roleName, target)).toBe('ok');
      },
    );
  });
});
