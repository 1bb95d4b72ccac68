import { loadConfig, PRESETS } from '../../src/config';
import { EXAMPLE_COMMENT_WIDTH, exampleOperations } from '../../src/gateway/playground/examples';
import { PLAYGROUND_SCRIPT } from '../../src/gateway/playground/page';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

// What a browser sends for a page.
const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the playground configuration', () => {
  it('is on outside production and off in production unless PORTICO_PLAYGROUND=true', () => {
    expect(loadConfig({}).playground).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).playground).toBe(true);
    // Production needs an identity provider's JWKS: the development key is refused there.
    const production = { NODE_ENV: 'production', PORTICO_JWKS_URL: 'https://idp.example/.well-known/jwks.json', PORTICO_JWT_ISSUER: 'https://idp.example/', PORTICO_JWT_AUDIENCE: 'portal', PORTICO_AUDIT_KEY: 'k'.repeat(32) };
    expect(loadConfig(production).playground).toBe(false);
    expect(loadConfig({ ...production, PORTICO_PLAYGROUND: 'true' }).playground).toBe(true);
    expect(loadConfig({ PORTICO_PLAYGROUND: 'false' }).playground).toBe(false);
    expect(() => loadConfig({ PORTICO_PLAYGROUND: 'on' })).toThrow('PORTICO_PLAYGROUND="on" is not valid: expected true or false');
  });

  it("serves a page script that parses (it runs as served, with no build step)", () => {
    expect(() => new Function(PLAYGROUND_SCRIPT)).not.toThrow();
  });
});

describe.each(databaseKinds())('the playground over HTTP (%s)', (kind) => {
  describe('in development', () => {
    let t: TestPortico;
    let base: string;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny', { environment: 'development' });
      base = new URL(t.portico.url).origin;
    });
    afterAll(() => t?.stop());

    it.each(['/graphql', '/', '/playground'])('serves the page at %s to a browser, with a CSP that allows this origin only', async (path) => {
      const response = await fetch(base + path, { headers: html });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toMatch(/https?:/);
      const page = await response.text();
      expect(page).not.toMatch(/(src|href)="https?:/);
      expect(page).toContain('data-testid="signin-user"');
    });

    it('fills the example tabs with the ids of the seeded accounts', async () => {
      const page = await (await fetch(`${base}/playground`)).text();
      const data = JSON.parse(/<script type="application\/json" id="portico-playground-config">(.*?)<\/script>/s.exec(page)![1]);
      expect(data.tabs.map((tab: { title: string }) => tab.title)).toEqual(['Viewer', 'PartnerDashboard', 'GrantImpersonation', 'StartImpersonation', 'RevokeImpersonationGrant', 'RequestImpersonation', 'ApproveImpersonationGrant', 'AccessReview', 'UserAdministration', 'UpdateAccount', 'Authorize']);
      const acme = (await t.account('Acme Logistics')).id;
      expect(JSON.parse(data.tabs[2].variables)).toEqual({ customerAccountId: acme });
    });

    const pageTabs = async (): Promise<Array<{ title: string; variables?: string; idFrom?: unknown }>> => {
      const page = await (await fetch(`${base}/playground`)).text();
      return JSON.parse(/<script type="application\/json" id="portico-playground-config">(.*?)<\/script>/s.exec(page)![1]).tabs;
    };

    it('offers RevokeImpersonationGrant with the id of the grant GrantImpersonation made, so both can run again', async () => {
      const revokeTab = async () => (await pageTabs()).find((tab) => tab.title === 'RevokeImpersonationGrant')!;
      expect(JSON.parse((await revokeTab()).variables!)).toEqual({ id: '<the id GrantImpersonation returned>' });
      expect((await revokeTab()).idFrom).toEqual({ field: 'grantImpersonation', variable: 'id' });
      const acme = (await t.account('Acme Logistics')).id;
      const grant = 'mutation($acme: ID!) { grantImpersonation(input: { customerAccountId: $acme, rights: ["FLEET_ADMINISTRATOR"] }) { id } }';
      const granted = await t.gql('admin@acme.example', grant, { acme });
      const id = granted.data!.grantImpersonation.id as string;
      expect(JSON.parse((await revokeTab()).variables!)).toEqual({ id });
      // The second grant is refused while the first is active; revoked, it is made again.
      expect((await t.gql('admin@acme.example', grant, { acme })).errors?.[0].extensions?.code).toBe('CONFLICT');
      const revoked = await t.gql('admin@acme.example', 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { status } }', { id });
      expect(revoked.data).toEqual({ revokeImpersonationGrant: { status: 'REVOKED' } });
      expect(JSON.parse((await revokeTab()).variables!)).toEqual({ id: '<the id GrantImpersonation returned>' });
      expect((await t.gql('admin@acme.example', grant, { acme })).errors).toBeUndefined();
      const again = (await revokeTab()).variables!;
      await t.gql('admin@acme.example', 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { status } }', JSON.parse(again));
    });

    it.each(PRESETS.map((preset) => ({ preset })))('wraps every comment of the $preset examples within 80 characters', async ({ preset }) => {
      const tabs = await exampleOperations(preset, t.portico.services.db.manager);
      const comments = tabs.flatMap((tab) => tab.query.split('\n').filter((line) => line.startsWith('#')));
      expect(comments.length).toBeGreaterThan(tabs.length);
      expect(comments.filter((line) => line.length > EXAMPLE_COMMENT_WIDTH)).toEqual([]);
      expect(EXAMPLE_COMMENT_WIDTH).toBe(80);
    });

    it('fills the approval and the termination in with the id RequestDelegatedAdmin returns (appdirect)', async () => {
      const tabs = await exampleOperations('appdirect', t.portico.services.db.manager);
      expect(tabs.filter((tab) => tab.idFrom).map((tab) => [tab.title, tab.idFrom])).toEqual([
        ['ApproveDelegatedAdmin', { field: 'requestDelegatedAdmin', variable: 'id' }],
        ['TerminateDelegatedAdmin', { field: 'requestDelegatedAdmin', variable: 'id' }],
      ]);
      const unifyr = await exampleOperations('unifyr', t.portico.services.db.manager);
      expect(unifyr.map((tab) => tab.title)).toEqual(['Viewer', 'PartnerDashboard', 'AssignRole', 'RevokeRole', 'CreatePartnerGroup', 'DeletePartnerGroup', 'Authorize']);
      // The group CreatePartnerGroup makes is the one DeletePartnerGroup deletes: both run again.
      expect(unifyr.find((tab) => tab.title === 'DeletePartnerGroup')?.idFrom).toEqual({ field: 'createPartnerGroup', variable: 'id' });
    });

    it('leaves a GET with a query to GraphQL over HTTP, even from a browser', async () => {
      const response = await fetch(`${base}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { ...html, 'apollo-require-preflight': 'true' } });
      expect(response.headers.get('content-type')).toMatch(/json/);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    });

    it.each([
      ['react.production.min.js', /javascript/, 'React'],
      ['react-dom.production.min.js', /javascript/, 'ReactDOM'],
      ['graphiql.min.js', /javascript/, 'GraphiQL'],
      ['graphiql.min.css', /css/, '.graphiql-container'],
      ['playground.js', /javascript/, 'portico-playground-config'],
    ])('serves %s from the installed packages', async (name, type, marker) => {
      const response = await fetch(`${base}/playground/assets/${name}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(type);
      expect(await response.text()).toContain(marker);
      const again = await fetch(`${base}/playground/assets/${name}`, { headers: { 'if-none-match': response.headers.get('etag')! } });
      expect(again.status).toBe(304);
    });

    it('answers 404 for an asset it does not have', async () => {
      expect((await fetch(`${base}/playground/assets/..%2Fpackage.json`)).status).toBe(404);
      expect((await fetch(`${base}/playground/assets/secrets.js`)).status).toBe(404);
    });

    it('lists the demo users, marking who cannot log in', async () => {
      const { users } = (await (await fetch(`${base}/playground/users`)).json()) as { users: Array<{ email: string; account: string; roles: string[] }> };
      expect(users).toContainEqual({ email: 'ppm@northwind.example', name: 'Mark Manager', account: 'Northwind Telecom', roles: ['PARTNER_PORTAL_MANAGER'], canLogin: true });
      expect(users.map((u) => u.email)).toContain('admin@platform.local');
    });

    it('mints a development token that signs the user in', async () => {
      const response = await fetch(`${base}/playground/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'fleet@acme.example' }) });
      expect(response.status).toBe(200);
      const { token } = (await response.json()) as { token: string };
      const viewer = await t.gql({ token }, '{ viewer { user { email } } }');
      expect(viewer.data).toEqual({ viewer: { user: { email: 'fleet@acme.example' } } });
    });

    it.each([
      { title: 'the email in upper case and fullwidth letters', email: 'FLEET@ａｃｍｅ.example', found: 'fleet@acme.example' },
      { title: 'a Cyrillic look-alike', email: 'flееt@acme.example', found: undefined },
    ])('finds the user by the canonical form of the email: $title', async ({ email, found }) => {
      const response = await fetch(`${base}/playground/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
      expect(response.status).toBe(found ? 200 : 404);
      expect(((await response.json()) as { email?: string }).email).toBe(found);
    });

    it.each([
      { title: 'an unknown email', body: '{"email":"nobody@example.com"}', type: 'application/json', status: 404 },
      { title: 'no email', body: '{}', type: 'application/json', status: 400 },
      { title: 'malformed JSON', body: '{"email"', type: 'application/json', status: 400 },
      { title: 'a form post (no JSON, so no cross-site form can ask)', body: 'email=admin@platform.local', type: 'application/x-www-form-urlencoded', status: 415 },
    ])('refuses a token for $title', async ({ body, type, status }) => {
      const response = await fetch(`${base}/playground/token`, { method: 'POST', headers: { 'content-type': type }, body });
      expect(response.status).toBe(status);
      expect(JSON.stringify(await response.json())).not.toContain('eyJ');
    });
  });

  describe.each([
    { title: 'under test', overrides: { environment: 'test' as const }, page: true },
    { title: 'in production', overrides: { environment: 'production' as const, playground: false }, page: false },
    { title: 'in production with PORTICO_PLAYGROUND=true', overrides: { environment: 'production' as const, playground: true }, page: true },
  ])('$title', ({ overrides, page }) => {
    let t: TestPortico;
    let base: string;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny', overrides);
      base = new URL(t.portico.url).origin;
    });
    afterAll(() => t?.stop());

    it(page ? 'serves the page without the sign-in helper' : 'serves no page', async () => {
      const response = await fetch(`${base}/playground`, { headers: html });
      expect(response.status).toBe(page ? 200 : 404);
      const text = await response.text();
      expect(text).not.toContain('signin-user');
      const graphql = await fetch(`${base}/graphql`, { headers: html });
      expect((await graphql.text()).includes('<!doctype html>')).toBe(page);
    });

    it('has no sign-in helper: no user list, no token', async () => {
      expect((await fetch(`${base}/playground/users`)).status).toBe(404);
      const response = await fetch(`${base}/playground/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"admin@platform.local"}' });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('eyJ');
    });
  });
});
