import { generateKeyPair } from 'jose';
import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import { signDevToken, type DevKeyPair } from '../../src/identity';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { databaseKinds, type DatabaseKind } from '../support/databases';
import { codes, startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const ACME_ADMIN = 'admin@acme.example';

/** Portico in production with the tickets demo subgraph behind it: the front door as deployed. */
async function startProductionGateway(kind: DatabaseKind): Promise<{ t: TestPortico; tickets: DemoSubgraph; stop(): Promise<void> }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const tickets = await startDemoSubgraph('tickets', { porticoUrl: `${base}/graphql`, contextJwksUrl: `${base}${CONTEXT_JWKS_PATH}` });
  try {
    const t = await startTestPortico(kind, 'dstny', { port, environment: 'production', subgraphs: [{ name: tickets.name, url: tickets.url }] });
    return { t, tickets, stop: async () => (await t.stop(), await tickets.stop()) };
  } catch (error) {
    await tickets.stop();
    throw error;
  }
}

const nested = (levels: number, leaf: string) => 'parent { '.repeat(levels) + leaf + ' }'.repeat(levels);
const repeated = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(' ');
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

interface Attempt {
  title: string;
  as?: string | null;
  /** The request: an operation (POSTed as JSON) or a raw request. */
  query?: string | ((ids: Ids) => string);
  variables?: (ids: Ids) => Record<string, unknown>;
  raw?: (ids: Ids) => { body: string; contentType?: string; method?: string; search?: string; headers?: Record<string, string> };
  status: number;
  code?: string;
  message: RegExp;
}

interface Ids {
  acme: string;
  globex: string;
}

/** Refused by the operation limits, the parser or validation: before the context's principal is even used. */
const LIMITS: Attempt[] = [
  { title: 'an over-deep query', query: `{ viewer { account { ${nested(9, 'name')} } } }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /^Query depth limit of 10 exceeded, found 12\.$/ },
  { title: 'an over-deep query in an operation named __schema', query: `query __schema { viewer { account { ${nested(9, 'name')} } } }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /depth limit of 10 exceeded/ },
  { title: 'an over-deep query in a fragment named __schema', query: `{ viewer { ...__schema } } fragment __schema on Viewer { account { ${nested(9, 'name')} } }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /depth limit of 10 exceeded/ },
  {
    title: 'a deep fragment reused deeper down',
    query: `{ a: viewer { account { ...Deep } } b: viewer { account { ${nested(4, '...Deep')} } } } fragment Deep on Account { ${nested(4, 'name')} }`,
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /depth limit of 10 exceeded, found 11/,
  },
  { title: '16 aliases', query: `{ viewer { ${repeated(16, (i) => `r${i}: roles`)} } }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /^Aliases limit of 15 exceeded, found 16\.$/ },
  { title: '101 aliases of __typename', query: `{ ${repeated(101, (i) => `t${i}: __typename`)} }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Aliases limit of 15 exceeded, found 101/ },
  {
    title: 'an alias brute force over authorize, 20 accounts at once',
    query: ({ acme }) => `{ ${repeated(20, (i) => `d${i}: authorize(checks: [{ permission: "invoices:read", accountId: "${i === 7 ? acme : `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`}" }]) { allowed }`)} }`,
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /Aliases limit of 15 exceeded, found 20/,
  },
  { title: 'directive overloading (50 @include)', query: `{ ${repeated(50, () => '__typename @include(if: true)')} }`, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /^Directives limit of 20 exceeded, found 50\.$/ },
  { title: '__typename 500 times', query: `{ ${repeated(500, () => '__typename')} }`, status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /more that 500 tokens/ },
  {
    title: 'a high-cost list: three nested pages of 100',
    query: '{ accounts(first: 100) { nodes { children(first: 100) { nodes { users(first: 100) { nodes { email name roles } } } } } } }',
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /^Query Cost limit of 100000 exceeded, found \d+/,
  },
  {
    title: 'the same high-cost list with its page sizes in variables',
    query: 'query($a: Int, $b: Int, $c: Int) { accounts(first: $a) { nodes { children(first: $b) { nodes { users(first: $c) { nodes { email name roles } } } } } } }',
    variables: () => ({ a: 100, b: 100, c: 100 }),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /^Query Cost limit of 100000 exceeded/,
  },
  { title: 'a page over the cap', query: '{ accounts(first: 101) { nodes { id } } }', status: 400, code: 'BAD_USER_INPUT', message: /^first must be between 0 and 100$/ },
  // Written in the operation, a huge page is a page size over the cap before it is a cost over the limit.
  { title: 'a page of 100000 written in the operation', query: '{ accounts(first: 100000) { nodes { id } } }', status: 400, code: 'BAD_USER_INPUT', message: /^first must be between 0 and 100$/ },
  { title: 'nested pages of 100000 written in the operation', query: '{ accounts(first: 100000) { nodes { children(first: 100000) { nodes { id } } } } }', status: 400, code: 'BAD_USER_INPUT', message: /^first must be between 0 and 100$/ },
  { title: 'a page of 100000 in a variable', query: 'query($n: Int) { accounts(first: $n) { nodes { id } } }', variables: () => ({ n: 100000 }), status: 400, code: 'BAD_USER_INPUT', message: /^first must be between 0 and 100$/ },
  { title: 'a page over the cap in a variable default', query: 'query($n: Int = 5000) { accounts(first: $n) { nodes { id } } }', status: 400, code: 'BAD_USER_INPUT', message: /^first must be between 0 and 100$/ },
  { title: 'circular fragments', query: '{ viewer { ...A } } fragment A on Viewer { roles ...B } fragment B on Viewer { roles ...A }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Cannot spread fragment "A" within itself via "B"/ },
  { title: 'introspection of the schema', query: '{ __schema { types { name fields { name } } } }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /introspection is not allowed/ },
  { title: 'introspection of one type', query: '{ __type(name: "Account") { fields { name } } }', status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /introspection is not allowed/ },
  { title: 'a JSON array of operations (batch)', raw: () => ({ body: JSON.stringify([{ query: '{ viewer { roles } }' }, { query: '{ viewer { roles } }' }]) }), status: 400, message: /batching/i },
  { title: 'a wrong variable type (an object for an ID)', query: 'query($id: ID!) { account(id: $id) { name } }', variables: () => ({ id: { $ne: null } }), status: 400, code: 'BAD_USER_INPUT', message: /\$id.*ID cannot represent value/s },
  { title: 'a wrong variable type (a string for a page size)', query: 'query($n: Int) { accounts(first: $n) { nodes { id } } }', variables: () => ({ n: '10; DROP TABLE accounts' }), status: 400, code: 'BAD_USER_INPUT', message: /\$n.*Int cannot represent/s },
];

/** Refused at the HTTP layer or by identity: the CSRF rules, the method, the body, the token. */
const REQUESTS: Attempt[] = [
  {
    title: 'a mutation over GET',
    raw: ({ globex }) => ({ method: 'GET', body: '', search: `?query=${encodeURIComponent(`mutation { setAccountStatus(id: "${globex}", status: SUSPENDED) { status } }`)}`, headers: { 'apollo-require-preflight': 'true' } }),
    status: 405,
    code: 'BAD_REQUEST',
    message: /GET requests only support query operations/,
  },
  { title: 'a query over GET without a preflight-forcing header (CSRF)', raw: () => ({ method: 'GET', body: '', search: `?query=${encodeURIComponent('{ viewer { roles } }')}` }), status: 400, message: /CSRF/ },
  {
    title: 'a form-encoded POST (CSRF)',
    raw: ({ globex }) => ({ contentType: 'application/x-www-form-urlencoded', body: `query=${encodeURIComponent(`mutation { setAccountStatus(id: "${globex}", status: SUSPENDED) { status } }`)}` }),
    status: 400,
    message: /CSRF/,
  },
  { title: 'a text/plain POST (CSRF)', raw: ({ globex }) => ({ contentType: 'text/plain', body: JSON.stringify({ query: `mutation { setAccountStatus(id: "${globex}", status: SUSPENDED) { status } }` }) }), status: 400, message: /CSRF/ },
  { title: 'a multipart POST (CSRF)', raw: () => ({ contentType: 'multipart/form-data; boundary=x', body: '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ viewer { roles } }\r\n--x--' }), status: 400, message: /CSRF/ },
  { title: 'a body over 1 MB (a 1 MB string in an input)', raw: ({ globex }) => ({ body: JSON.stringify({ query: 'mutation($n: String!, $p: ID!) { createAccount(input: { type: CUSTOMER, name: $n, parentId: $p }) { id } }', variables: { n: 'x'.repeat(1_048_576), p: globex } }) }), status: 413, code: 'BAD_REQUEST', message: /^request body too large$/ },
  { title: 'no token', as: null, query: '{ viewer { user { email } } }', status: 200, code: 'UNAUTHENTICATED', message: /./ },
  { title: 'a malformed Authorization header', raw: () => ({ body: JSON.stringify({ query: '{ viewer { roles } }' }), headers: { authorization: 'Token abc' } }), status: 401, code: 'UNAUTHENTICATED', message: /must be "Bearer <token>"/ },
  { title: 'a malformed token', raw: () => ({ body: JSON.stringify({ query: '{ viewer { roles } }' }), headers: { authorization: 'Bearer not.a.jwt' } }), status: 401, code: 'UNAUTHENTICATED', message: /^the token is not valid$/ },
  {
    title: 'an alg: none token',
    raw: () => ({ body: JSON.stringify({ query: '{ viewer { roles } }' }), headers: { authorization: `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'anyone', email: OPERATOR, exp: 4102444800 })}.` } }),
    status: 401,
    code: 'UNAUTHENTICATED',
    message: /^the token is not valid$/,
  },
];

describe.each(databaseKinds())('attacks on the production gateway on %s', (kind) => {
  let t: TestPortico;
  let tickets: DemoSubgraph;
  let stop: () => Promise<void>;
  let ids: Ids;
  let intruderKeys: DevKeyPair;
  beforeAll(async () => {
    ({ t, tickets, stop } = await startProductionGateway(kind));
    ids = { acme: (await t.account('Acme Logistics')).id, globex: (await t.account('Globex')).id };
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    intruderKeys = { privateKey, publicKey, kid: 'test-idp-1' };
  });
  afterAll(() => stop?.());

  /** The statements a signed-in request costs before any resolver: loading the caller. */
  async function statementsOf(send: () => Promise<Response>): Promise<{ statements: number; response: Response }> {
    const counter = t.portico.services.db.statements;
    counter.reset();
    const response = await send();
    await response.clone().text();
    return { statements: counter.count, response };
  }

  const send = (attempt: Attempt, token: string | undefined) => {
    if (attempt.raw) {
      const { body, contentType, method = 'POST', search = '', headers = {} } = attempt.raw(ids);
      const type: Record<string, string> = method === 'GET' ? {} : { 'content-type': contentType ?? 'application/json' };
      return fetch(t.portico.url + search, { method, headers: { ...type, ...(token && !headers.authorization ? { authorization: `Bearer ${token}` } : {}), ...headers }, body: method === 'GET' ? undefined : body });
    }
    const query = typeof attempt.query === 'function' ? attempt.query(ids) : attempt.query!;
    return t.raw({ token, body: JSON.stringify({ query, variables: attempt.variables?.(ids) }) });
  };

  it.each([...LIMITS, ...REQUESTS])('refuses $title before any resolver runs, leaking nothing', async (attempt) => {
    const as = attempt.as === undefined ? OPERATOR : attempt.as;
    const token = as ? await t.token(as) : undefined;
    const callerOnly = await statementsOf(() => t.raw({ token, body: JSON.stringify({ query: '{ __typename }' }) }));
    const before = await t.snapshot();
    const subgraphRequests = tickets.requests();

    const { statements, response } = await statementsOf(() => send(attempt, token));
    const text = await response.text();
    expect(response.status).toBe(attempt.status);
    const json = JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
    expect(json.errors?.length).toBeGreaterThan(0);
    expect(json.errors![0].message).toMatch(attempt.message);
    if (attempt.code) expect(json.errors!.map((e) => e.extensions?.code)).toContain(attempt.code);
    // Nothing answered: no data beyond the nulls of a refused field, no stack, no schema hint.
    expect(Object.values(json.data ?? {}).every((v) => v === null)).toBe(true);
    expect(text).not.toMatch(/stacktrace|Did you mean|at .*\.(ts|js):\d+/i);
    // No resolver ran: no statement beyond loading the caller, no subgraph request, nothing changed.
    expect(statements).toBeLessThanOrEqual(callerOnly.statements);
    expect(tickets.requests()).toBe(subgraphRequests);
    expect(await t.snapshot()).toEqual(before);
  });

  it.each([
    { title: 'an expired token', token: async () => t.token(ACME_ADMIN, '-10m'), message: /^the token has expired$/ },
    { title: 'a token signed by another key under the same key id', token: async () => signDevToken(intruderKeys, await t.user(OPERATOR)), message: /^the token is not valid: its signature matches none of the identity provider's keys \(PORTICO_JWKS_URL\)$/ },
    { title: 'a development-key token in production', token: async () => signDevToken({ ...intruderKeys, kid: 'dev-1' }, await t.user(OPERATOR)), message: /^the token is not valid: its signature matches none of the identity provider's keys \(PORTICO_JWKS_URL\)$/ },
  ])('refuses $title with 401 UNAUTHENTICATED before any statement', async ({ token, message }) => {
    const before = await t.snapshot();
    const bearer = await token();
    const { statements, response } = await statementsOf(() => t.raw({ token: bearer, body: JSON.stringify({ query: `mutation { setAccountStatus(id: "${ids.globex}", status: SUSPENDED) { status } }` }) }));
    expect(response.status).toBe(401);
    const json = (await response.json()) as { data?: unknown; errors: Array<{ message: string; extensions: { code: string } }> };
    expect(json.data).toBeUndefined();
    expect(json.errors.map((e) => [e.message, e.extensions.code])).toEqual([[expect.stringMatching(message), 'UNAUTHENTICATED']]);
    expect(statements).toBe(0);
    expect(await t.snapshot()).toEqual(before);
  });

  it('answers a page size at the cap, so the cap is the limit and not a refusal of lists', async () => {
    const result = await t.gql(OPERATOR, 'query($n: Int) { accounts(first: $n) { nodes { name } } }', { n: 100 });
    expect(result.errors).toBeUndefined();
    expect(result.data!.accounts.nodes.length).toBeGreaterThan(5);
  });

  describe('SQL metacharacters and long strings in inputs are literals or clear errors, and change nothing', () => {
    it.each([
      { title: "a quote-and-OR in an id", query: 'query($id: ID!) { account(id: $id) { name } }', variables: { id: "' OR '1'='1" } },
      { title: 'a comment and a UNION in an id', query: 'query($id: ID!) { user(id: $id) { email } }', variables: { id: "x' UNION SELECT email FROM users -- " } },
      { title: 'LIKE wildcards in a name filter', query: 'query($s: String) { accounts(filter: { nameContains: $s }, first: 100) { nodes { name } } }', variables: { s: "%' OR 1=1 -- " } },
      { title: 'a percent sign alone in a name filter', query: 'query($s: String) { accounts(filter: { nameContains: $s }, first: 100) { nodes { name } } }', variables: { s: '%' } },
    ])('$title reads nothing', async ({ query, variables }) => {
      const before = await t.snapshot();
      const result = await t.gql(ACME_ADMIN, query, variables);
      expect(result.status).toBe(200);
      expect(result.errors).toBeUndefined();
      const value = Object.values(result.data!)[0] as { nodes?: unknown[] } | null;
      expect(value === null || value.nodes?.length === 0).toBe(true);
      expect(await t.snapshot()).toEqual(before);
    });

    it.each([
      { title: 'an email with SQL in it', input: (ids: Ids) => ({ accountId: ids.acme, email: "x'); DROP TABLE users; --", name: 'Bobby', roles: [] }), message: /email/ },
      { title: 'a 900 KB name', input: (ids: Ids) => ({ accountId: ids.acme, email: 'long@acme.example', name: 'n'.repeat(900_000), roles: [] }), message: /a user name has 1 to 200 characters/ },
    ])('inviting a user with $title is BAD_USER_INPUT', async ({ input, message }) => {
      const before = await t.snapshot();
      const result = await t.gql(ACME_ADMIN, 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }', { input: input(ids) });
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].message).toMatch(message);
      expect(result.errors![0].message.length).toBeLessThan(300);
      expect(await t.snapshot()).toEqual(before);
    });

    it('a name full of SQL is stored as the literal it is, and nothing else changes', async () => {
      const name = "Robert'); DROP TABLE accounts; -- \\ \" ` ;";
      const before = await t.snapshot();
      const result = await t.gql(OPERATOR, 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { name } }', { input: { type: 'CUSTOMER', name, parentId: (await t.account('Northwind Telecom')).id } });
      expect(result.errors).toBeUndefined();
      expect(result.data!.createAccount.name).toBe(name);
      const after = await t.snapshot();
      expect({ accounts: after.accounts - before.accounts, audits: after.audits - before.audits, users: after.users - before.users, roles: after.roles - before.roles }).toEqual({ accounts: 1, audits: 1, users: 0, roles: 0 });
      expect((await t.account(name)).name).toBe(name);
    });
  });

  describe('a demo subgraph called directly, past the gateway', () => {
    const TICKETS = (acme: string) => JSON.stringify({ query: `{ tickets(accountId: "${acme}") { number subject } }` });
    const direct = (headers: Record<string, string>) => fetch(tickets.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: TICKETS(ids.acme) });

    it.each([
      { title: 'without a context token', headers: async () => ({}), status: 401, code: 'UNAUTHENTICATED' },
      { title: "with the client's own bearer token", headers: async () => ({ authorization: `Bearer ${await t.token(ACME_ADMIN)}` }), status: 401, code: 'UNAUTHENTICATED' },
      { title: 'with a forged context token', headers: async () => ({ 'x-portico-context': await signDevToken(intruderKeys, await t.user(ACME_ADMIN)) }), status: 401, code: 'UNAUTHENTICATED' },
      { title: 'with an unsigned context token', headers: async () => ({ 'x-portico-context': `${base64url({ alg: 'none' })}.${base64url({ sub: 'x', acct: ids.acme })}.` }), status: 401, code: 'UNAUTHENTICATED' },
    ])('$title gets no tickets', async ({ headers, status, code }) => {
      const response = await direct(await headers());
      expect(response.status).toBe(status);
      const text = await response.text();
      expect(text).not.toMatch(/T-100\d|dial tone/);
      const json = JSON.parse(text) as { data?: { tickets: unknown } | null; errors: Array<{ extensions: { code: string } }> };
      expect(json.data?.tickets ?? null).toBeNull();
      expect(json.errors.map((e) => e.extensions.code)).toEqual([code]);
    });

    it('the same query through the gateway, signed in, does get them: the refusals above are the guard, not a broken subgraph', async () => {
      const result = await t.gql(ACME_ADMIN, '{ tickets(accountId: "' + ids.acme + '") { number } }');
      expect(result.errors).toBeUndefined();
      expect(result.data!.tickets.length).toBeGreaterThan(0);
    });
  });
});
