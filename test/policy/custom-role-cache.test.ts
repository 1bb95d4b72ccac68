import { readFileSync } from 'fs';
import { join } from 'path';
import { parsePolicy, PolicyEngine, type RoleAssignmentFact } from '../../src/policy';

const engine = new PolicyEngine(parsePolicy(readFileSync(join(__dirname, '..', '..', 'schema', 'policies', 'unifyr.yaml'), 'utf8'), 'unifyr.yaml'));

const assignment = (grants: Array<{ permission: string }>): RoleAssignmentFact => ({
  role: 'Deal Desk',
  accountId: 'partner-1',
  accountType: 'PARTNER',
  custom: { id: 'custom-role-1', grants: grants.map((g) => ({ ...g, descendants: false })) },
  source: { kind: 'role' },
});

describe("the engine's compiled custom roles", () => {
  it('are reused while a role is unchanged, and compiled again once its grants change', () => {
    const before = engine.resolve(assignment([{ permission: 'leads:create' }]))!;
    expect(engine.resolve(assignment([{ permission: 'leads:create' }]))).toBe(before);
    const after = engine.resolve(assignment([{ permission: 'deals:read' }]))!;
    expect(after).not.toBe(before);
    expect(after.grants.has('deals:read')).toBe(true);
    expect(after.grants.has('leads:create')).toBe(false);
  });
});
