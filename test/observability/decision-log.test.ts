import type { DecisionLogMode } from '../../src/config';
import { databaseKinds } from '../support/databases';
import { logSink } from '../support/logs';
import { codes, startTestPortico } from '../support/portico';

const AUDIT = 'query($a: ID!) { auditEvents(accountId: $a, first: 1) { nodes { id } } }';

describe.each(databaseKinds())('the decision log on %s', (kind) => {
  it.each([
    { mode: 'off' as DecisionLogMode, denied: 0, allowed: false },
    { mode: 'denied' as DecisionLogMode, denied: 1, allowed: false },
    { mode: 'all' as DecisionLogMode, denied: 1, allowed: true },
  ])('PORTICO_DECISION_LOG=$mode logs $denied denied decision line(s) for a refusal, and the grants too: $allowed', async ({ mode, denied, allowed }) => {
    const sink = logSink();
    const t = await startTestPortico(kind, 'dstny', { logLevel: 'info', decisionLog: mode }, { logDestination: sink.stream });
    try {
      const acme = await t.account('Acme Logistics');
      const insight = await t.user('insight@acme.example');
      const admin = await t.user('admin@acme.example');
      const refusedRequest = await t.gql('insight@acme.example', AUDIT, { a: acme.id });
      expect(codes(refusedRequest)).toEqual(['FORBIDDEN']);
      const grantedRequest = await t.gql('admin@acme.example', AUDIT, { a: acme.id });
      expect(codes(grantedRequest)).toEqual([]);
      const lines = sink.records().filter((r) => r.msg === 'authorization decision');
      const refused = lines.filter((r) => r.requestId === refusedRequest.requestId);
      const granted = lines.filter((r) => r.requestId === grantedRequest.requestId);
      expect(refused).toHaveLength(denied);
      // The directive and the service each decide: every decision of the granted request is a line of its own.
      expect(granted.length > 0).toBe(allowed);
      expect(granted.every((r) => r.decision.allowed === true)).toBe(true);
      if (denied) {
        expect(refused[0]).toMatchObject({ userId: insight.id, decision: { permission: 'audit.read', accountId: acme.id, allowed: false } });
        expect(refused[0].decision.reason).toMatch(/audit\.read|rights:assign/);
      }
      if (allowed) expect(granted[0]).toMatchObject({ userId: admin.id, decision: { permission: 'audit.read', accountId: acme.id, allowed: true } });
    } finally {
      await t.stop();
    }
  });
});
