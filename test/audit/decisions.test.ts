import { drawSampling } from '../../src/domain/decision-tally';
import { AuditEventEntity, AuthorizationDecisionEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, startTestPortico, type TestPortico } from '../support/portico';

const AUDIT = 'query($a: ID!) { auditEvents(accountId: $a, first: 1) { nodes { id } } }';
const ASSIGN = 'mutation($u: ID!) { assignRole(userId: $u, role: "FLEET_ADMINISTRATOR") { id } }';

describe('sampling decisions', () => {
  it.each([
    { title: 'the defaults keep every denied request and no allowed one', rates: { denied: 1, allowed: 0 }, draws: [0.999, 0], expected: { denied: true, allowed: false } },
    { title: 'a rate keeps the requests drawn below it', rates: { denied: 0.25, allowed: 0.5 }, draws: [0.2, 0.7], expected: { denied: true, allowed: false } },
    { title: 'a draw at the rate is not kept', rates: { denied: 0.25, allowed: 0.5 }, draws: [0.25, 0.49], expected: { denied: false, allowed: true } },
    { title: 'rate 0 keeps nothing', rates: { denied: 0, allowed: 0 }, draws: [0, 0], expected: { denied: false, allowed: false } },
  ])('$title', ({ rates, draws, expected }) => {
    const next = [...draws];
    expect(drawSampling(rates, () => next.shift()!)).toEqual(expected);
  });
});

describe.each(databaseKinds())('the decision table on %s', (kind) => {
  it.each([
    { title: 'with PORTICO_DECISION_LOG=denied, the denied decisions only', mode: 'denied', denied: 1, allowed: 0, keepsDenied: true, keepsAllowed: false },
    { title: 'with PORTICO_DECISION_LOG=denied, never the allowed ones, whatever their rate', mode: 'denied', denied: 1, allowed: 1, keepsDenied: true, keepsAllowed: false },
    { title: 'with PORTICO_DECISION_LOG=off (the default), none, whatever the rates', mode: 'off', denied: 1, allowed: 1, keepsDenied: false, keepsAllowed: false },
    { title: 'with PORTICO_DECISION_SAMPLE_RATE=0, none', mode: 'denied', denied: 0, allowed: 0, keepsDenied: false, keepsAllowed: false },
    { title: 'with PORTICO_DECISION_LOG=all and PORTICO_DECISION_SAMPLE_RATE_ALLOWED=1, the allowed ones too', mode: 'all', denied: 1, allowed: 1, keepsDenied: true, keepsAllowed: true },
  ] as const)('stores $title, by request id, joined to the audit trail', async ({ mode, denied, allowed, keepsDenied, keepsAllowed }) => {
    const t: TestPortico = await startTestPortico(kind, 'dstny', { decisionLog: mode, decisionSampleRate: denied, decisionSampleRateAllowed: allowed });
    try {
      const em = t.portico.services.db.manager;
      const [acme, insight, admin, billing] = await Promise.all([t.account('Acme Logistics'), t.user('insight@acme.example'), t.user('admin@acme.example'), t.user('billing@acme.example')]);
      // Each request's decisions are stored under the id Portico made for it.
      const refusedRequest = await t.gql('insight@acme.example', AUDIT, { a: acme.id });
      expect(codes(refusedRequest)).toEqual(['FORBIDDEN']);
      const changedRequest = await t.gql('admin@acme.example', ASSIGN, { u: billing.id });
      ok(changedRequest);
      const lastRequest = await t.gql('insight@acme.example', AUDIT, { a: acme.id });
      expect(codes(lastRequest)).toEqual(['FORBIDDEN']);
      // Decisions are written after the response: once the writes started for these requests have ended, whatever
      // they stored is there, and what is absent was never written. The last request's shows the wait is real.
      await t.portico.decisionsWritten();
      expect((await em.countBy(AuthorizationDecisionEntity, { requestId: lastRequest.requestId })) > 0).toBe(keepsDenied);

      const refused = await em.findBy(AuthorizationDecisionEntity, { requestId: refusedRequest.requestId });
      expect(refused.length > 0).toBe(keepsDenied);
      if (keepsDenied) {
        expect(refused.find((d) => d.permission === 'audit.read')).toMatchObject({ userId: insight.id, actorUserId: null, accountId: acme.id, allowed: false, reason: expect.stringMatching(/audit\.read|rights:assign/) });
        expect(refused.every((d) => !d.allowed)).toBe(true);
      }

      // The change's audit event and the decisions that allowed it share the request id.
      const joined = (await em
        .createQueryBuilder(AuditEventEntity, 'a')
        .innerJoin(AuthorizationDecisionEntity, 'd', 'd.requestId = a.requestId')
        .select(['a.action AS action', 'a.actorUserId AS actor', 'd.userId AS who', 'd.permission AS permission', 'd.allowed AS allowed'])
        .where('a.requestId = :id', { id: changedRequest.requestId })
        .getRawMany()) as Array<{ action: string; actor: string; who: string; permission: string; allowed: number | boolean }>;
      expect(joined.length > 0).toBe(keepsAllowed);
      for (const row of joined) expect({ ...row, allowed: Boolean(Number(row.allowed)) }).toMatchObject({ action: 'user.assignRole', actor: admin.id, who: admin.id, allowed: true });
      expect(await em.countBy(AuditEventEntity, { requestId: changedRequest.requestId, action: 'user.assignRole' })).toBe(1);
    } finally {
      await t.stop();
    }
  });
});
