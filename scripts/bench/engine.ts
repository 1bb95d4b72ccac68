import { loadPolicy } from '../../src/config';
import { PolicyEngine, type AccountFacts, type PrincipalFacts, type RoleAssignmentFact } from '../../src/policy';
import type { BenchOptions } from './options';
import { measured, type Measured } from './stats';

/** The decision engine alone, on a synthetic tree: root → partner → sub-partner → three more levels, six in all. */
export interface EngineFixture {
  engine: PolicyEngine;
  /** Ten roles' worth of rights: the policy's roles on the levels they exist for. */
  principal: PrincipalFacts;
  /** The same principal with 50 role assignments (own roles and delegated relationships on other customers). */
  wide: PrincipalFacts;
  accounts: AccountFacts[];
  permissions: string[];
}

const id = (name: string) => `00000000-0000-4000-8000-${name.padStart(12, '0')}`;

export function engineFixture(): EngineFixture {
  const engine = new PolicyEngine(loadPolicy('appdirect'));
  const chain = ['1', '2', '3', '4', '5', '6'].map(id);
  const types = ['PLATFORM', 'PARTNER', 'SUB_PARTNER', 'CUSTOMER', 'CUSTOMER', 'CUSTOMER'] as const;
  // Six levels deep: every account sees the whole chain above it in its path.
  const accounts: AccountFacts[] = chain.map((accountId, depth) => ({ id: accountId, type: types[depth], status: 'ACTIVE', settings: {}, ancestorIds: chain.slice(0, depth) }));
  const role = (role: string, accountId: string, accountType: RoleAssignmentFact['accountType']): RoleAssignmentFact => ({ role, accountId, accountType, source: { kind: 'role' } });
  const principal: PrincipalFacts = {
    userId: id('u1'),
    homeAccountId: chain[1],
    active: true,
    assignments: ['ACCOUNT_MANAGER', 'BILLING_MANAGER', 'TECHNICAL_MANAGER', 'SUBSCRIPTION_MANAGER'].map((name) => role(name, chain[1], 'PARTNER')),
  };
  const delegated: RoleAssignmentFact[] = [];
  for (let i = 0; delegated.length < 46; i++) {
    for (const name of ['BILLING_MANAGER', 'TECHNICAL_MANAGER']) {
      delegated.push({ role: name, accountId: id(`c${i}`), accountType: 'CUSTOMER', source: { kind: 'delegated', relationshipId: id(`r${i}`) } });
    }
  }
  const wide: PrincipalFacts = { ...principal, assignments: [...principal.assignments, ...delegated] };
  const permissions = ['organizations:read', 'invoices:read', 'offers:read', 'priceList:read', 'users:manage', 'billing:access', 'subscriptions:update', 'settings:manage', 'no:such', 'eventLogs:read'];
  return { engine, principal, wide, accounts, permissions };
}

/** authorize() calls per second on this thread, warm: every (permission, account) pair in turn, for `ms`. */
export function decisionsPerSecond(fixture: EngineFixture, principal: PrincipalFacts, ms: number): number {
  const { engine, accounts, permissions } = fixture;
  let allowed = 0;
  let calls = 0;
  const started = process.hrtime.bigint();
  const until = started + BigInt(ms) * 1_000_000n;
  let now = started;
  while (now < until) {
    for (let round = 0; round < 20; round++) {
      for (const account of accounts) {
        for (const permission of permissions) if (engine.authorize(principal, permission, account).allowed) allowed++;
      }
    }
    calls += 20 * accounts.length * permissions.length;
    now = process.hrtime.bigint();
  }
  // Read the result so the loop cannot be optimised away.
  if (allowed < 0) throw new Error('unreachable');
  return calls / (Number(now - started) / 1e9);
}

export interface EngineResult {
  /** authorize() calls per second on one core: a partner's four roles on a six-level tree. */
  principal: Measured;
  /** The same with 50 role assignments (46 of them delegated, on other customers). */
  wide: Measured;
}

export function runEngine(options: BenchOptions): EngineResult {
  const fixture = engineFixture();
  const ms = options.engineMs;
  decisionsPerSecond(fixture, fixture.principal, ms);
  decisionsPerSecond(fixture, fixture.wide, ms);
  const rounds: Array<{ principal: number; wide: number }> = [];
  for (let round = 0; round < options.load.rounds; round++) {
    const order = round % 2 === 0 ? (['principal', 'wide'] as const) : (['wide', 'principal'] as const);
    const result = { principal: 0, wide: 0 };
    for (const which of order) result[which] = decisionsPerSecond(fixture, fixture[which], ms);
    rounds.push(result);
  }
  return { principal: measured(rounds.map((r) => r.principal), 0), wide: measured(rounds.map((r) => r.wide), 0) };
}
