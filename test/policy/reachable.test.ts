import { readFileSync } from 'fs';
import { join } from 'path';
import { parsePolicy, PolicyEngine, type PrincipalFacts, type RoleAssignmentFact } from '../../src/policy';

const engine = new PolicyEngine(parsePolicy(readFileSync(join(__dirname, '..', '..', 'schema', 'policies', 'dstny.yaml'), 'utf8'), 'dstny.yaml'));

const role = (name: string, accountType: RoleAssignmentFact['accountType'], accountId = 'acme'): RoleAssignmentFact => ({ role: name, accountId, accountType, source: { kind: 'role' } });
const principal = (assignments: RoleAssignmentFact[], extra: Partial<PrincipalFacts> = {}): PrincipalFacts => ({ userId: 'u', homeAccountId: 'acme', active: true, assignments, ...extra });

describe('what a principal could ever be allowed (the schema view is decided from it)', () => {
  it.each([
    {
      title: 'a Fleet Administrator: deliveries, not tickets, and no action mapped to what they lack',
      facts: principal([role('FLEET_ADMINISTRATOR', 'CUSTOMER')]),
      has: ['deliveries:read', 'fleet:manage'],
      lacks: ['tickets:read', 'rights:assign', 'audit.read', 'impersonation.grant'],
    },
    {
      title: 'a Portal Administrator: tickets, and the actions their permissions map to',
      facts: principal([role('PORTAL_ADMINISTRATOR', 'CUSTOMER')]),
      has: ['tickets:read', 'deliveries:read', 'audit.read', 'users.read', 'impersonation.grant'],
      lacks: ['customers:impersonate', 'impersonation.start', 'accounts:delete'],
    },
    {
      title: 'a custom role, a delegated role and the permissions of live grants add up',
      facts: principal([
        { role: 'Ticket desk', accountId: 'acme', accountType: 'CUSTOMER', custom: { id: 'c1', grants: [{ permission: 'tickets:read', descendants: false }] }, source: { kind: 'role' } },
        { ...role('FLEET_ADMINISTRATOR', 'CUSTOMER', 'globex'), source: { kind: 'delegated', relationshipId: 'd1' } },
      ]),
      granted: ['invoices:read', 'no:such-permission'],
      has: ['tickets:read', 'deliveries:read', 'invoices:read'],
      lacks: ['no:such-permission', 'rights:assign'],
    },
    {
      title: 'a session: exactly the granted permissions, never the impersonation actions, never other grants',
      facts: principal([{ role: 'impersonation:g1', accountId: 'acme', accountType: 'CUSTOMER', custom: { id: 'impersonation:g1', grants: [{ permission: 'rights:assign', descendants: false }, { permission: 'impersonationGrants:manage', descendants: false }] }, source: { kind: 'impersonation', grantId: 'g1' } }], {
        impersonation: { sessionId: 's1', grantId: 'g1', accountId: 'acme', permissions: new Set(['rights:assign', 'impersonationGrants:manage']) },
      }),
      granted: ['invoices:read'],
      has: ['rights:assign', 'audit.read'],
      lacks: ['impersonation.grant', 'invoices:read', 'portal:access'],
    },
    { title: 'an inactive principal: nothing', facts: principal([role('PORTAL_ADMINISTRATOR', 'CUSTOMER')], { active: false }), has: [], lacks: ['tickets:read', 'deliveries:read'] },
  ])('$title', ({ facts, granted, has, lacks }) => {
    const reached = engine.reachable(facts, granted);
    for (const requirement of has) expect([requirement, reached.has(requirement)]).toEqual([requirement, true]);
    for (const requirement of lacks) expect([requirement, reached.has(requirement)]).toEqual([requirement, false]);
  });

  it('reaches every permission for the platform operator', () => {
    const reached = engine.reachable(principal([role('PLATFORM_OPERATOR', 'PLATFORM', 'platform')]));
    expect([...engine.policy.permissions].filter((p) => !reached.has(p))).toEqual([]);
  });
});
