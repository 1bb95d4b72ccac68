import { loadConfig } from '../../src/config';
import { startPortico } from '../../src/gateway/server';
import { startTestSubgraph, type TestSubgraph } from '../gateway/subgraphs';
import { startTestPortico, type TestPortico } from '../support/portico';

// Nothing here depends on stored data (every request is refused or answered before any read, or by a test
// subgraph), so one database is enough: SQLite.
const KIND = 'sqlite';
const OPERATOR = 'admin@platform.local';

/** Typos a client makes and GraphQL would answer with the right name: every one must come back without it. */
const TYPOS = [
  { title: 'a field', query: '{ viewer { acount { name } } }', variables: {}, code: 'GRAPHQL_VALIDATION_FAILED', leak: /"account"/ },
  { title: 'an argument', query: '{ accounts(frist: 5) { nodes { id } } }', variables: {}, code: 'GRAPHQL_VALIDATION_FAILED', leak: /"first"/ },
  { title: 'an enum value in the operation', query: '{ accounts(filter: { status: ACTIV }) { nodes { id } } }', variables: {}, code: 'GRAPHQL_VALIDATION_FAILED', leak: /"ACTIVE"/ },
  { title: 'an enum value in a variable', query: 'query($s: AccountStatus) { accounts(filter: { status: $s }) { nodes { id } } }', variables: { s: 'ACTIV' }, code: 'BAD_USER_INPUT', leak: /"ACTIVE"/ },
  { title: 'an input field in a variable', query: 'query($f: AccountFilter) { accounts(filter: $f) { nodes { id } } }', variables: { f: { nameContain: 'a' } }, code: 'BAD_USER_INPUT', leak: /"nameContains"/ },
  { title: 'a type name', query: 'query($id: Id!) { account(id: $id) { name } }', variables: { id: 'x' }, code: 'GRAPHQL_VALIDATION_FAILED', leak: /"ID"/ },
];

describe.each(['development', 'production'] as const)('in %s', (environment) => {
  let t: TestPortico;
  beforeAll(async () => {
    t = await startTestPortico(KIND, 'dstny', { environment });
  });
  afterAll(() => t?.stop());

  it.each(TYPOS)('a typo in $title is refused without suggesting the right name', async ({ query, variables, code, leak }) => {
    const response = await t.raw({ token: await t.token(OPERATOR), body: JSON.stringify({ query, variables }) });
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(JSON.parse(text).errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual([code]);
    expect(text).not.toMatch(/did you mean/i);
    expect(text).not.toMatch(leak);
    expect(text).not.toMatch(/stacktrace/i);
  });

  it(`${environment === 'production' ? 'refuses' : 'answers'} introspection`, async () => {
    const result = await t.gql(OPERATOR, '{ __schema { queryType { name } } }');
    if (environment === 'production') expect(result.errors![0].message).toMatch(/introspection is not allowed/);
    else expect(result).toEqual({ status: 200, data: { __schema: { queryType: { name: 'Query' } } } });
  });
});

describe('production start-up', () => {
  it('refuses to start on the development key: a JWKS URL is required', async () => {
    const config = { ...loadConfig({ NODE_ENV: 'test' }), environment: 'production' as const, port: 0, dataDir: '/nonexistent/portico' };
    await expect(startPortico(config)).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/^PORTICO_JWKS_URL=\(unset\) is not valid/) });
  });
});

describe('a gateway with a slow and a failing subgraph', () => {
  let t: TestPortico;
  let reports: TestSubgraph;
  let release: () => void;
  const stalled = new Promise<void>((resolve) => (release = resolve));
  beforeAll(async () => {
    reports = await startTestSubgraph('reports', 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])\ntype Query { slowReport: String quickReport: String brokenReport: String }', {
      Query: {
        slowReport: async () => (await stalled, 'finally'),
        quickReport: () => 'quick',
        brokenReport: () => {
          throw new Error('connection to 10.1.2.3:5432 refused (password=hunter2) at /srv/reports/db.js:42');
        },
      },
    });
    t = await startTestPortico(KIND, 'dstny', { environment: 'production', subgraphs: [{ name: 'reports', url: reports.url }], requestTimeoutMs: 2000 });
    // The slow subgraph never answers: the deadline is long enough for the request to reach it on a loaded machine.
  });
  afterAll(async () => {
    release();
    await t?.stop();
    await reports?.stop();
  });

  it('ends a request past its deadline with a masked TIMEOUT (HTTP 504), and keeps serving', async () => {
    const response = await t.raw({ token: await t.token(OPERATOR), body: JSON.stringify({ query: '{ slowReport viewer { roles } }' }), headers: { 'x-request-id': 'slow-1' } });
    expect(response.status).toBe(504);
    // Portico's own id for the request, not the one the client sent.
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await response.json()).toEqual({ errors: [{ message: 'the request took too long and was stopped', extensions: { code: 'TIMEOUT' } }] });
    expect(reports.operations().some((o) => o.query.includes('slowReport'))).toBe(true);
    expect(await t.gql(OPERATOR, '{ quickReport }')).toEqual({ status: 200, data: { quickReport: 'quick' } });
  });

  it('masks an internal failure as INTERNAL_SERVER_ERROR and logs it with the request id', async () => {
    const logged: unknown[] = [];
    const spy = jest.spyOn(t.portico.logger, 'error').mockImplementation(((fields: unknown) => void logged.push(fields)) as never);
    try {
      const response = await t.raw({ token: await t.token(OPERATOR), body: JSON.stringify({ query: '{ brokenReport quickReport }' }), headers: { 'x-request-id': 'broken-7' } });
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ data: { brokenReport: null, quickReport: 'quick' }, errors: [{ message: 'Internal server error', path: ['brokenReport'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      expect(text).not.toMatch(/10\.1\.2\.3|hunter2|db\.js|stack/);
      expect(logged).toEqual([expect.objectContaining({ requestId: response.headers.get('x-request-id'), path: ['brokenReport'] })]);
      expect(response.headers.get('x-request-id')).not.toBe('broken-7');
    } finally {
      spy.mockRestore();
    }
  });
});
