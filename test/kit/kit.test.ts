import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { mkdtempSync, readFileSync } from 'fs';
import { parse } from 'graphql';
import { createServer, type Server } from 'http';
import { SignJWT } from 'jose';
import { tmpdir } from 'os';
import { join } from 'path';
import { applyPorticoDirectives, CONTEXT_HEADER, porticoKit, porticoSubgraphHeader, requirePortico, type PorticoContext, type PorticoViewer } from 'portico-kit';
import { loadOrCreateContextSigner, type ContextSigner } from '../../src/identity/context-token';

/** What the fake Portico allows: user → "permission@account" → scope (null for an unscoped permission). */
const GRANTS: Record<string, Record<string, string | null>> = {
  'user-a': { 'projects:read@acct-a': null, 'projects:create@acct-a': null, 'budgets:read@acct-a': null, 'leads:read@acct-a': 'distributed' },
  'user-f': { 'projects:read@acct-a': null, 'finance:read@acct-a': null },
  'user-n': {},
  // reads every account's projects, for the batching test
  'user-all': Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`projects:read@acct-${i}`, null])),
};

interface Check {
  permission: string;
  accountId: string;
}

/** Answers Portico's `authorize` query over HTTP from GRANTS, for the user named in the forwarded context token. */
async function startFakePortico(): Promise<{ url: string; calls: Check[][]; stop(): Promise<void> }> {
  const calls: Check[][] = [];
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const token = String(req.headers[CONTEXT_HEADER] ?? '');
    const sub = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}').sub as string;
    const { variables } = JSON.parse(raw) as { variables: { c: Check[] } };
    calls.push(variables.c);
    const grants = GRANTS[sub] ?? {};
    const authorize = variables.c.map(({ permission, accountId }) => {
      const key = `${permission}@${accountId}`;
      const allowed = key in grants;
      return { permission, accountId, allowed, scope: allowed ? grants[key] : null, reason: allowed ? 'granted' : `no role grants ${permission}` };
    });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ data: { authorize } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/graphql`, calls, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

const PROJECTS = [
  { id: 'p-a1', name: 'Apollo', accountId: 'acct-a', budget: 100 },
  { id: 'p-a2', name: 'Gemini', accountId: 'acct-a', budget: 200 },
  { id: 'p-b1', name: 'Secret', accountId: 'acct-b', budget: 999 },
  ...Array.from({ length: 30 }, (_, i) => ({ id: `p-many-${i}`, name: `Many ${i}`, accountId: `acct-${i}`, budget: i })),
];

const typeDefs = parse(`${porticoSubgraphHeader()}
  type Query {
    projects(accountId: ID!): [Project!] @requiresPermission(permission: "projects:read", account: "accountId")
    project(id: ID!): Project @authenticated
    everyProject: [Project!]! @authenticated
    leadsScope(accountId: ID!): String @authenticated
    hello: String @public
    silent: String
  }
  type Mutation {
    createProject(input: CreateProjectInput!): Project @requiresPermission(permission: "projects:create", account: "input.accountId")
  }
  input CreateProjectInput { accountId: ID!, name: String! }
  type Project @key(fields: "id") @requiresPermission(permission: "projects:read", account: "accountId") {
    id: ID!
    name: String!
    accountId: ID!
    budget: Int @requiresPermission(permission: "budgets:read|finance:read", account: "accountId")
  }
  type Account @key(fields: "id") @authenticated {
    id: ID!
    projects: [Project!] @requiresPermission(permission: "projects:read", account: "id")
  }
`);

let created = 0;
const resolvers = {
  Query: {
    projects: (_: unknown, { accountId }: { accountId: string }) => PROJECTS.filter((p) => p.accountId === accountId),
    project: (_: unknown, { id }: { id: string }) => PROJECTS.find((p) => p.id === id) ?? null,
    everyProject: () => PROJECTS.filter((p) => p.id.startsWith('p-many-')),
    leadsScope: (_: unknown, { accountId }: { accountId: string }, ctx: PorticoContext) => ctx.portico!.scopeFor('leads:read', accountId),
    hello: () => 'hello',
    silent: () => 'should never be read',
  },
  Mutation: {
    createProject: (_: unknown, { input }: { input: { accountId: string; name: string } }) => {
      created += 1;
      return { id: `p-new-${created}`, budget: 0, ...input };
    },
  },
  Project: { __resolveReference: (ref: { id: string }) => PROJECTS.find((p) => p.id === ref.id) ?? null },
  Account: { projects: (account: { id: string }) => PROJECTS.filter((p) => p.accountId === account.id) },
};

interface Result {
  status: number;
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

describe('the subgraph kit', () => {
  let signer: ContextSigner;
  const signerDir = mkdtempSync(join(tmpdir(), 'portico-kit-'));
  let portico: Awaited<ReturnType<typeof startFakePortico>>;
  let apollo: ApolloServer<PorticoContext>;
  let url: string;

  const post = async (headers: Record<string, string>, query: string, variables?: Record<string, unknown>): Promise<Result> => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
    return { status: response.status, ...((await response.json()) as object) };
  };
  const as = async (sub: string, query: string, variables?: Record<string, unknown>) =>
    post({ [CONTEXT_HEADER]: await signer.sign({ sub, acct: sub === 'user-all' ? 'acct-0' : 'acct-a' }, 'projects') }, query, variables);
  const codes = (result: Result) => (result.errors ?? []).map((e) => e.extensions?.code);

  beforeAll(async () => {
    signer = await loadOrCreateContextSigner(signerDir);
    portico = await startFakePortico();
    const kit = porticoKit({ subgraph: 'projects', porticoUrl: portico.url, contextJwks: signer.jwks() });
    apollo = new ApolloServer<PorticoContext>({ plugins: [ApolloServerPluginInlineTraceDisabled()], schema: applyPorticoDirectives(buildSubgraphSchema({ typeDefs, resolvers: resolvers as never })) });
    ({ url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' }, context: ({ req }) => kit.context(req) }));
  });
  afterAll(async () => {
    await apollo.stop();
    await portico.stop();
  });
  beforeEach(() => {
    portico.calls.length = 0;
  });

  describe('identity', () => {
    it('a request without a context token gets the SDL through _service and nothing else', async () => {
      const sdl = await post({}, '{ _service { sdl } }');
      expect(sdl.data?._service.sdl).toContain('@requiresPermission(permission: "projects:read"');
      for (const query of ['{ hello }', '{ project(id: "p-a1") { id } }', '{ _entities(representations: [{ __typename: "Project", id: "p-a1" }]) { ... on Project { name } } }']) {
        const result = await post({}, query);
        expect(codes(result)).toEqual(['UNAUTHENTICATED']);
      }
      expect(portico.calls).toEqual([]);
    });

    it('client-supplied identity headers are ignored: they are not a context token', async () => {
      const result = await post({ authorization: `Bearer ${await signer.sign({ sub: 'user-a', acct: 'acct-a' }, 'projects')}`, 'x-user-id': 'user-a' }, '{ projects(accountId: "acct-a") { name } }');
      expect(result.data).toEqual({ projects: null });
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    });

    it.each([
      { title: 'forged (another key)', token: async () => forge({}) },
      { title: 'expired', token: async () => forge({ exp: Math.floor(Date.now() / 1000) - 300 }, true) },
      { title: 'wrong audience', token: async () => forge({ aud: 'portico' }, true) },
      { title: "another subgraph's", token: async () => signer.sign({ sub: 'user-a', acct: 'acct-a' }, 'billing') },
      { title: 'garbage', token: async () => 'not.a.token' },
    ])('a $title context token is refused with 401 UNAUTHENTICATED', async ({ token }) => {
      const result = await post({ [CONTEXT_HEADER]: await token() }, '{ _service { sdl } hello }');
      expect(result.status).toBe(401);
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
      expect(portico.calls).toEqual([]);
    });

    async function forge(claims: Record<string, unknown>, ownKey = false): Promise<string> {
      const { generateKeyPair, importJWK } = await import('jose');
      const key = ownKey
        ? await importJWK(JSON.parse(readFileSync(join(signerDir, 'context-signing-key.json'), 'utf8')), 'ES256')
        : (await generateKeyPair('ES256')).privateKey;
      return new SignJWT({ acct: 'acct-a', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: signer.jwks().keys[0].kid })
        .setSubject('user-a')
        .setIssuer('portico-gateway')
        .setAudience((claims.aud as string) ?? 'portico-subgraph:projects')
        .setIssuedAt()
        .setExpirationTime((claims.exp as number) ?? '60s')
        .sign(key);
    }
  });

  describe('rules', () => {
    it('a root field with an account argument: allowed for the holder, FORBIDDEN for anyone else', async () => {
      expect(await as('user-a', '{ projects(accountId: "acct-a") { id name } }')).toEqual({ status: 200, data: { projects: [{ id: 'p-a1', name: 'Apollo' }, { id: 'p-a2', name: 'Gemini' }] } });
      const denied = await as('user-a', '{ projects(accountId: "acct-b") { id } }');
      expect(denied.data).toEqual({ projects: null });
      expect(denied.errors).toEqual([expect.objectContaining({ path: ['projects'], extensions: expect.objectContaining({ code: 'FORBIDDEN', permission: 'projects:read', accountId: 'acct-b' }) })]);
    });

    it('a field rule nulls the field alone, at its path, naming the permission; the rest stays', async () => {
      const result = await as('user-n', '{ hello }');
      expect(result).toEqual({ status: 200, data: { hello: 'hello' } });
      const a = await as('user-a', '{ projects(accountId: "acct-a") { name budget } }');
      expect(a.data).toEqual({ projects: [{ name: 'Apollo', budget: 100 }, { name: 'Gemini', budget: 200 }] });
    });

    it('"a|b" is allowed by either permission', async () => {
      const finance = await as('user-f', '{ projects(accountId: "acct-a") { name budget } }');
      expect(finance.data).toEqual({ projects: [{ name: 'Apollo', budget: 100 }, { name: 'Gemini', budget: 200 }] });
      expect(codes(finance)).toEqual([]);
    });

    it('a type rule applies to each field of an object found through another root field, against the object\'s own account', async () => {
      const result = await as('user-a', '{ project(id: "p-b1") { id name budget } }');
      expect(result.data).toEqual({ project: null });
      // id is non-null: its denial nulls the project; budget, nullable, is denied on its own
      const errors = result.errors?.map((e) => [e.path?.join('.'), e.extensions?.code, e.extensions?.permission]).sort();
      expect(errors).toEqual([
        ['project.budget', 'UNAUTHORIZED_FIELD_OR_TYPE', 'projects:read'],
        ['project.id', 'UNAUTHORIZED_FIELD_OR_TYPE', 'projects:read'],
      ]);
      expect(JSON.stringify(result)).not.toContain('Secret');
    });

    it('a field that declares no rule is refused, whoever asks', async () => {
      const result = await as('user-a', '{ silent hello }');
      expect(result.data).toEqual({ silent: null, hello: 'hello' });
      expect(result.errors).toEqual([expect.objectContaining({ path: ['silent'], message: 'Query.silent declares no access rule', extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    });

    it('a denied mutation is FORBIDDEN and its resolver never runs', async () => {
      const before = created;
      const denied = await as('user-f', 'mutation { createProject(input: { accountId: "acct-a", name: "x" }) { id } }');
      expect(denied.data).toEqual({ createProject: null });
      expect(codes(denied)).toEqual(['FORBIDDEN']);
      expect(created).toBe(before);
      const allowed = await as('user-a', 'mutation { createProject(input: { accountId: "acct-a", name: "x" }) { name accountId } }');
      expect(allowed.data).toEqual({ createProject: { name: 'x', accountId: 'acct-a' } });
      expect(created).toBe(before + 1);
    });

    it('scopeFor: the scope held, "all" for an allowed unscoped permission, null when denied', async () => {
      expect((await as('user-a', '{ a: leadsScope(accountId: "acct-a") b: leadsScope(accountId: "acct-b") }')).data).toEqual({ a: 'distributed', b: null });
      GRANTS['user-f']['leads:read@acct-a'] = null;
      expect((await as('user-f', '{ leadsScope(accountId: "acct-a") }')).data).toEqual({ leadsScope: 'all' });
    });

    it('refuses at start a type whose rule trusts a representation field, without a reference resolver', () => {
      const sdl = parse(`${porticoSubgraphHeader()}
        type Query { x: Int @public }
        type Doc @key(fields: "id") @requiresPermission(permission: "docs:read", account: "accountId") { id: ID! accountId: ID! }`);
      expect(() => applyPorticoDirectives(buildSubgraphSchema({ typeDefs: sdl }))).toThrow('Doc: a rule reads its account from a field an _entities representation could forge');
    });
  });

  describe('_entities is not a side door', () => {
    const entities = (representations: object[]) => `{ _entities(representations: ${JSON.stringify(representations).replace(/"(\w+)":/g, '$1:')}) { ... on Project { id name budget } ... on Account { id projects { name } } } }`;

    it('resolves what the caller may read', async () => {
      const result = await as('user-a', entities([{ __typename: 'Project', id: 'p-a1' }, { __typename: 'Account', id: 'acct-a' }]));
      expect(result.data).toEqual({ _entities: [{ id: 'p-a1', name: 'Apollo', budget: 100 }, { id: 'acct-a', projects: [{ name: 'Apollo' }, { name: 'Gemini' }] }] });
    });

    it('another tenant\'s entity is refused, whatever account the representation claims', async () => {
      const result = await as('user-a', entities([{ __typename: 'Project', id: 'p-b1', accountId: 'acct-a' }]));
      expect(result.data).toEqual({ _entities: [null] });
      expect(result.errors?.map((e) => [e.path, e.extensions?.code, e.message])).toEqual([[['_entities', 0], 'UNAUTHORIZED_FIELD_OR_TYPE', 'not authorized to read Project: requires projects:read']]);
      expect(JSON.stringify(result)).not.toContain('Secret');
    });

    it('another tenant\'s account reference reads its protected field as null', async () => {
      const result = await as('user-a', entities([{ __typename: 'Account', id: 'acct-b' }]));
      expect(result.data).toEqual({ _entities: [{ id: 'acct-b', projects: null }] });
      expect(result.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['_entities', 0, 'projects'], 'UNAUTHORIZED_FIELD_OR_TYPE']]);
    });
  });

  describe('batching', () => {
    it('thirty objects on thirty accounts cost one call to Portico', async () => {
      const result = await as('user-all', '{ everyProject { id name accountId } }');
      expect(result.data?.everyProject).toHaveLength(30);
      expect(codes(result)).toEqual([]);
      expect(portico.calls).toHaveLength(1);
      expect(portico.calls[0]).toHaveLength(30);
    });

    it('the same check asked by many fields is asked once', async () => {
      await as('user-a', '{ projects(accountId: "acct-a") { id name accountId budget } }');
      // projects:read once for the root field and every Project field; budgets:read and finance:read once each
      expect(portico.calls.flat().map((c) => c.permission).sort()).toEqual(['budgets:read', 'finance:read', 'projects:read']);
      expect(portico.calls.length).toBeLessThanOrEqual(2);
    });
  });
});

describe('requirePortico: the viewer of an authenticated request, typed non-null', () => {
  it('gives the viewer of a request that carries one, and refuses one without UNAUTHENTICATED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-require-'));
    const signer = await loadOrCreateContextSigner(dir);
    const kit = porticoKit({ subgraph: 'invoices', porticoUrl: 'http://portico.invalid/graphql', contextJwks: signer.jwks() });
    const signedIn = await kit.context({ headers: { [CONTEXT_HEADER]: await signer.sign({ sub: 'user-a', acct: 'acct-a' }, 'invoices') } });
    const viewer: PorticoViewer = requirePortico(signedIn);
    expect([viewer.userId, viewer.accountId]).toEqual(['user-a', 'acct-a']);
    const anonymous = await kit.context({ headers: {} });
    expect(() => requirePortico(anonymous)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }));
  });
});
