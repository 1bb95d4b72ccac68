import { databaseKinds } from '../support/databases';
import { logSink } from '../support/logs';
import { startTestPortico, type TestPortico } from '../support/portico';

describe.each(databaseKinds())('request logs and metrics on %s', (kind) => {
  let t: TestPortico;
  const sink = logSink();

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny', { logLevel: 'info' }, { logDestination: sink.stream });
  });
  afterAll(() => t?.stop());

  it('one line per request: request id, principal, operation, status, error codes and the decisions, never a token', async () => {
    const acme = (await t.account('Acme Logistics')).id;
    const northwind = (await t.account('Northwind Telecom')).id;
    const granted = await t.gql('admin@acme.example', 'mutation($c: ID!, $p: ID!) { grantImpersonation(input: { customerAccountId: $c, partnerAccountId: $p, rights: ["tickets:read"] }) { id } }', { c: acme, p: northwind });
    expect(granted.errors).toBeUndefined();
    const started = await t.gql('ppm@northwind.example', 'mutation($c: ID!) { startImpersonation(customerAccountId: $c, reason: "log test") { token session { id } } }', { c: acme });
    const { token: sessionToken, session } = started.data!.startImpersonation;
    const bearer = await t.token('insight@acme.example');
    sink.lines.splice(0);

    const denied = await t.gql({ token: bearer }, 'mutation Suspend($a: ID!) { setAccountStatus(id: $a, status: SUSPENDED) { status } }', { a: acme }, { 'x-request-id': 'req-denied-1' });
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const impersonated = await t.gql({ token: sessionToken }, 'query Who { viewer { user { email } } }', {}, { 'x-request-id': 'req-session-1' });
    expect(impersonated.errors).toBeUndefined();
    const forged = await t.gql({ token: bearer.slice(0, -4) + 'AAAA' }, '{ viewer { user { email } } }', {}, { 'x-request-id': 'req-forged-1' });
    expect(forged.status).toBe(401);
    const contextToken = sessionToken.split('.').reverse().join('.');
    const forgedContext = await t.raw({ body: JSON.stringify({ query: '{ viewer { user { email } } }' }), headers: { 'x-portico-context': contextToken } });
    expect(forgedContext.status).toBe(401);

    const records = sink.records().filter((r) => r.msg === 'graphql request');
    // By the client's own id, kept beside the one Portico made (which the response carries).
    const byId = new Map(records.map((r) => [r.clientRequestId, r]));
    expect(byId.get('req-denied-1')!.requestId).toBe(denied.requestId);
    expect(denied.requestId).not.toBe('req-denied-1');
    const insight = await t.user('insight@acme.example');
    expect(byId.get('req-denied-1')).toMatchObject({
      principal: { userId: insight.id, accountId: acme },
      operationName: 'Suspend',
      operationType: 'mutation',
      status: 200,
      outcome: 'denied',
      errorCodes: ['FORBIDDEN'],
      decisions: { denied: 1, deniedPermissions: ['accounts.suspend'] },
    });
    expect(byId.get('req-denied-1')!.durationMs).toEqual(expect.any(Number));
    const ppm = await t.user('ppm@northwind.example');
    expect(byId.get('req-session-1')).toMatchObject({
      principal: { accountId: acme, actorUserId: ppm.id, actorAccountId: northwind, sessionId: session.id },
      operationName: 'Who',
      outcome: 'ok',
      errorCodes: [],
    });
    expect(byId.get('req-forged-1')).toMatchObject({ principal: null, status: 401, outcome: 'denied', errorCodes: ['UNAUTHENTICATED'] });

    // No bearer token, impersonation token or context token, whole or in part, in any line.
    const everything = sink.lines.join('\n');
    for (const secret of [bearer, sessionToken, contextToken]) {
      expect(everything).not.toContain(secret);
      for (const part of secret.split('.')) expect(everything).not.toContain(part);
    }
    expect(everything).not.toMatch(/eyJ[\w-]{10,}/);
  });

  it('serves Prometheus metrics: latency by operation and outcome, errors by code, decisions by permission, database availability', async () => {
    await t.gql('insight@acme.example', 'mutation Suspend($a: ID!) { setAccountStatus(id: $a, status: SUSPENDED) { status } }', { a: (await t.account('Acme Logistics')).id });
    const response = await fetch(new URL('/metrics', t.portico.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^portico_request_duration_seconds_count\{operation="mutation",outcome="denied"\} [1-9]/m);
    expect(text).toMatch(/^portico_request_duration_seconds_bucket\{le="0.1",operation="query",outcome="ok"\} \d+/m);
    expect(text).toMatch(/^portico_graphql_errors_total\{code="FORBIDDEN"\} [1-9]/m);
    expect(text).toMatch(/^portico_authorization_decisions_total\{permission="accounts.suspend",decision="denied"\} [1-9]/m);
    expect(text).toMatch(/^portico_authorization_decisions_total\{permission="[^"]+",decision="allowed"\} [1-9]/m);
    expect(text).toMatch(/^portico_database_available 1$/m);
    expect(text).not.toMatch(/eyJ/);
  });

  it('a second instance in the same process counts only its own requests', async () => {
    const other = await startTestPortico('sqlite', 'dstny', { metrics: true });
    try {
      const text = await (await fetch(new URL('/metrics', other.portico.url))).text();
      expect(text).not.toMatch(/^portico_graphql_errors_total\{code="FORBIDDEN"\}/m);
    } finally {
      await other.stop();
    }
    const off = await startTestPortico('sqlite', 'dstny', { metrics: false });
    try {
      expect((await fetch(new URL('/metrics', off.portico.url))).status).toBe(404);
    } finally {
      await off.stop();
    }
  });
});
