import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { In } from 'typeorm';
import { policyPath } from '../../src/config';
import { eventActor } from '../../src/domain/audit-trail.service';
import { RequestContext } from '../../src/domain/context';
import { loadPrincipal } from '../../src/domain/principal';
import { AuditEventEntity, type AccountEntity, type UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { type Caller, codes, type GraphQLResult, ok, startTestPortico, type TestPortico } from '../support/portico';

const CUSTOMER_MANAGER = 'am@acme.example';
const PARTNER_MANAGER = 'am@northwind.example';
const ADVISOR = 'advisor@northwind.example';

const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }';
const START = 'mutation($customer: ID!) { startImpersonation(customerAccountId: $customer, reason: "audit drill") { token session { id } } }';
const END = 'mutation($id: ID!) { endImpersonation(sessionId: $id) { id } }';
const REQUEST = 'mutation($input: RequestDelegatedAdminInput!) { requestDelegatedAdmin(input: $input) { id } }';
const APPROVE = 'mutation($id: ID!) { approveDelegatedAdmin(id: $id) { id status } }';
const CONTACT_ROLES = 'mutation($userId: ID!, $roles: [ContactRole!]!) { setContactRoles(userId: $userId, roles: $roles) { id } }';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }';
const AUDIT = 'query($accountId: ID!, $after: String) { auditEvents(accountId: $accountId, first: 100, after: $after) { nodes { requestId actorUserId } pageInfo { hasNextPage endCursor } } }';

/**
 * The marketplace preset with impersonation switched on (its Account Managers grant and start sessions), so one
 * customer's trail holds direct, impersonated and delegated changes side by side.
 */
function marketplaceWithImpersonation(): string {
  const text = readFileSync(policyPath('appdirect'), 'utf8').replace(
    '  delegation.approve: [delegatedAdmin:approve]\n',
    '  delegation.approve: [delegatedAdmin:approve]\n  impersonation.grant: [settings:manage]\n  impersonation.start: [users:manage]\n',
  );
  const file = join(mkdtempSync(join(tmpdir(), 'portico-policy-')), 'marketplace.yaml');
  writeFileSync(file, text);
  return file;
}

type Expected = { actor: string; session: string | null; relationship: string | null };

describe.each(databaseKinds())('the audit trail on %s', (kind) => {
  let t: TestPortico;
  let acme: AccountEntity;
  let northwind: AccountEntity;
  let users: Record<string, UserEntity>;

  beforeAll(async () => {
    t = await startTestPortico(kind, marketplaceWithImpersonation());
    [acme, northwind] = await Promise.all([t.account('Acme Retail'), t.account('Northwind Cloud')]);
    const emails = [CUSTOMER_MANAGER, PARTNER_MANAGER, ADVISOR, 'billing@acme.example', 'tech@acme.example', 'subs@acme.example'];
    users = Object.fromEntries(await Promise.all(emails.map(async (e) => [e, await t.user(e)])));
  });
  afterAll(() => t?.stop());

  it('records exactly one event per mutation, with the right actor, subject, session and relationship', async () => {
    const expected = new Map<string, Expected>();
    const run = async (as: Caller, query: string, variables: Record<string, unknown>, who: Expected) => {
      const result = await t.gql(as, query, variables);
      const data = ok(result);
      // Keyed by the id Portico made for the request.
      expected.set(result.requestId!, who);
      return data;
    };
    const direct = (email: string): Expected => ({ actor: users[email].id, session: null, relationship: null });

    await run(CUSTOMER_MANAGER, GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['users:manage', 'users:read'] } }, direct(CUSTOMER_MANAGER));
    const started = (await run(PARTNER_MANAGER, START, { customer: acme.id }, direct(PARTNER_MANAGER))).startImpersonation;
    const session = { token: started.token as string };
    const relationship = (await run(ADVISOR, REQUEST, { input: { customerAccountId: acme.id, delegateUserId: users[ADVISOR].id, roles: ['ACCOUNT_MANAGER'], durationDays: 30 } }, direct(ADVISOR))).requestDelegatedAdmin.id as string;
    await run(CUSTOMER_MANAGER, APPROVE, { id: relationship }, direct(CUSTOMER_MANAGER));

    const impersonated: Expected = { actor: users[PARTNER_MANAGER].id, session: started.session.id, relationship: null };
    const delegated: Expected = { actor: users[ADVISOR].id, session: null, relationship };
    const targets = ['billing@acme.example', 'tech@acme.example', 'subs@acme.example'];
    for (let i = 0; i < 95; i++) {
      const target = users[targets[i % targets.length]].id;
      const roles = i % 2 === 0 ? ['TECHNICAL_CONTACT'] : ['BILLING_CONTACT', 'COMMERCIAL_CONTACT'];
      if (i % 3 === 0) await run(session, CONTACT_ROLES, { userId: target, roles }, impersonated);
      else if (i % 3 === 1 && i % 5 === 1) await run(ADVISOR, INVITE, { input: { accountId: acme.id, email: `drill-${i}@acme.example`, name: `Drill ${i}`, roles: [] } }, delegated);
      else if (i % 3 === 1) await run(ADVISOR, CONTACT_ROLES, { userId: target, roles }, delegated);
      else await run(CUSTOMER_MANAGER, CONTACT_ROLES, { userId: target, roles }, direct(CUSTOMER_MANAGER));
    }
    await run(session, END, { id: started.session.id }, impersonated);
    expect(expected.size).toBe(100);

    const events = await t.portico.services.db.manager.findBy(AuditEventEntity, { requestId: In([...expected.keys()]) });
    expect(events).toHaveLength(100);
    const seen = events.map((e) => ({ requestId: e.requestId, actor: e.actorUserId, subject: e.subjectAccountId, session: e.impersonationSessionId, relationship: e.delegatedRelationshipId }));
    const wanted = [...expected].map(([requestId, who]) => ({ requestId, ...who, subject: acme.id }));
    const byRequest = (a: { requestId: string }, b: { requestId: string }) => a.requestId.localeCompare(b.requestId);
    expect(seen.sort(byRequest)).toEqual(wanted.sort(byRequest));
    expect(events.filter((e) => e.impersonationSessionId).length).toBe(33);
    expect(events.filter((e) => e.delegatedRelationshipId).length).toBe(32);

    // The customer's administrator reads all of it, partners' changes included.
    const read = new Set<string>();
    let after: string | undefined;
    do {
      const page = ok(await t.gql(CUSTOMER_MANAGER, AUDIT, { accountId: acme.id, after })).auditEvents;
      page.nodes.forEach((e: { requestId: string }) => read.add(e.requestId));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined;
    } while (after);
    expect([...expected.keys()].filter((id) => !read.has(id))).toEqual([]);
  });

  describe('when the audit write fails, the change is undone', () => {
    const failAuditWrites = () =>
      t.portico.services.db.dataSource.query(
        kind === 'sqlite'
          ? "CREATE TRIGGER audit_unavailable BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
          : "CREATE TRIGGER audit_unavailable BEFORE INSERT ON audit_events FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit store unavailable'",
      );
    const restoreAuditWrites = () => t.portico.services.db.dataSource.query('DROP TRIGGER audit_unavailable');

    it.each([
      {
        title: 'an invitation',
        as: CUSTOMER_MANAGER,
        query: INVITE,
        variables: () => ({ input: { accountId: acme.id, email: `unaudited-${kind}@acme.example`, name: 'Nobody', roles: ['BILLING_MANAGER'] } }),
      },
      { title: 'an impersonation session (no token is handed out)', as: PARTNER_MANAGER, query: START, variables: () => ({ customer: acme.id }) },
      {
        title: 'a delegation request',
        as: ADVISOR,
        query: REQUEST,
        variables: () => ({ input: { customerAccountId: acme.id, roles: ['BILLING_MANAGER'], durationDays: 7 } }),
      },
    ])('$title', async ({ as, query, variables }) => {
      // A grant to start sessions under, made while the audit trail still works.
      if (query === START) {
        const grants = ok(await t.gql(CUSTOMER_MANAGER, 'query($id: ID!) { account(id: $id) { impersonationGrants { nodes { status } } } }', { id: acme.id }));
        expect(grants.account.impersonationGrants.nodes.map((g: { status: string }) => g.status)).toContain('ACTIVE');
      }
      const before = await t.snapshot();
      await failAuditWrites();
      let result: GraphQLResult;
      try {
        result = await t.gql(as, query, variables());
      } finally {
        await restoreAuditWrites();
      }
      expect(codes(result)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(result.data ?? null).toBeNull();
      expect(await t.snapshot()).toEqual(before);
      // With the audit trail back, the same change goes through and is recorded.
      ok(await t.gql(as, query, variables()));
      expect((await t.snapshot()).audits).toBe(before.audits + 1);
    });
  });
});

describe.each(databaseKinds())('who acted in a customer\'s portal, as the customer reads its trail, on %s', (kind) => {
  const ADMIN = 'admin@acme.example';
  const MANAGER = 'ppm@northwind.example';
  const READ = 'query($accountId: ID!) { auditEvents(accountId: $accountId, first: 100) { nodes { action requestId actorUserId actor { id email } impersonationSessionId } } }';
  let t: TestPortico;
  let acme: AccountEntity;
  let sessionId: string;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
    acme = await t.account('Acme Logistics');
  });
  afterAll(() => t?.stop());

  it('names the partner user on the session\'s start and end and on every change made in it, and keeps the partner\'s other events anonymous', async () => {
    const [manager, billing] = await Promise.all([t.user(MANAGER), t.user('billing@acme.example')]);
    // Each step by the request id Portico made for it.
    const steps = new Map<string, string>();
    const step = async (name: string, as: Caller, query: string, variables: Record<string, unknown>) => {
      const result = await t.gql(as, query, variables);
      steps.set(result.requestId!, name);
      return ok(result);
    };
    const input = { customerAccountId: acme.id, rights: ['contactRoles:manage'], reason: 'ticket 4711: number porting' };
    const grant = (await step('request', MANAGER, 'mutation($input: RequestImpersonationInput!) { requestImpersonation(input: $input) { id } }', { input })).requestImpersonation;
    await step('approve', ADMIN, 'mutation($id: ID!) { approveImpersonationGrant(id: $id) { id } }', { id: grant.id });
    const started = (await step('start', MANAGER, 'mutation($c: ID!) { startImpersonation(customerAccountId: $c, reason: "porting") { token session { id actor { email } } } }', { c: acme.id })).startImpersonation;
    const session = { token: started.token as string };
    await step('change', session, CONTACT_ROLES, { userId: billing.id, roles: ['BILLING_CONTACT'] });
    await step('end', session, END, { id: started.session.id });
    sessionId = started.session.id;

    const events = (ok(await t.gql(ADMIN, READ, { accountId: acme.id })).auditEvents.nodes as Array<{ action: string; requestId: string; actorUserId: string; actor: { id: string; email: string } | null; impersonationSessionId: string | null }>)
      .filter((e) => steps.has(e.requestId))
      .map((e) => [steps.get(e.requestId), e.action, e.actorUserId === manager.id, e.actor?.email ?? null]);
    expect(events.reverse()).toEqual([
      // Asking for consent is the partner's own business: the customer sees that it was asked, not by whom.
      ['request', 'impersonation.request', true, null],
      ['approve', 'impersonation.approve', false, ADMIN],
      ['start', 'impersonation.start', true, MANAGER],
      ['change', 'user.setContactRoles', true, MANAGER],
      ['end', 'impersonation.end', true, MANAGER],
    ]);
    // The same person ImpersonationSession.actor names; and nothing more of them than the events say.
    expect(started.session.actor.email).toBe(MANAGER);
    expect(ok(await t.gql(ADMIN, 'query($id: ID!) { user(id: $id) { email } }', { id: manager.id })).user).toBeNull();
  });

  it('names nobody else: not another user on the session\'s events, not the session\'s actor on another account\'s, not the partner on events outside a session', async () => {
    const [manager, partnerAdmin, globex] = await Promise.all([t.user(MANAGER), t.user('ppa@northwind.example'), t.account('Globex')]);
    const contextOf = async (email: string) => {
      const { db, engine } = t.portico.services;
      return new RequestContext(t.portico.services, 'test', await loadPrincipal(db, engine, { subject: (await t.user(email)).id, claims: {} }, 'test'));
    };
    const [acmeAdmin, globexAdmin] = await Promise.all([contextOf(ADMIN), contextOf('admin@globex.example')]);
    const event = (fields: Partial<AuditEventEntity>) =>
      Object.assign(new AuditEventEntity(), { action: 'user.setContactRoles', actorUserId: manager.id, subjectAccountId: acme.id, targetType: 'User', targetId: manager.id, impersonationSessionId: null, ...fields });
    const onSession = { targetType: 'ImpersonationSession', targetId: sessionId } as const;
    expect((await eventActor(acmeAdmin, event(onSession)))?.email).toBe(MANAGER);
    expect(await eventActor(acmeAdmin, event({ ...onSession, actorUserId: partnerAdmin.id }))).toBeNull();
    expect(await eventActor(globexAdmin, event({ impersonationSessionId: sessionId, subjectAccountId: globex.id }))).toBeNull();
    expect(await eventActor(acmeAdmin, event({}))).toBeNull();
  });
});
