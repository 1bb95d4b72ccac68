import { request } from 'http';
import { loadConfig } from '../../src/config';
import { freePort } from '../../scripts/demo-run';
import { isLoopbackAddress, listensOnLoopbackOnly } from '../../src/gateway/playground';
import { AccountEntity, CustomRoleEntity } from '../../src/storage/entities';
import { nonLoopbackAddress } from '../support/addresses';
import { databaseKinds } from '../support/databases';
import { codes, ok, startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';

/**
 * A raw HTTP request, so the Host header can say what a rebinding page's browser would send, and the connection can
 * come from another address of the machine than loopback (`from`), as another machine's would.
 */
function send(url: string, init: { method?: string; host?: string; body?: string; headers?: Record<string, string>; from?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request(
      { hostname: target.hostname, port: target.port, path: target.pathname, method: init.method ?? 'GET', localAddress: init.from, headers: { ...(init.host ? { host: init.host } : {}), 'content-type': 'application/json', ...init.headers } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

// The checks that need a connection from elsewhere than loopback are listed as todo, with the reason, on a machine
// where no such address exists or can be made: never passed silently.
const elsewhere = nonLoopbackAddress();
const fromElsewhere = (title: string, test: (address: string) => Promise<void>): void => {
  const { address } = elsewhere;
  // The assertions are in each caller's test, which the lint checks as a test of its own (fromElsewhere).
  // eslint-disable-next-line jest/expect-expect
  if (address !== undefined) it(title, () => test(address));
  else it.todo(`${title} (not run: ${elsewhere.reason})`);
};

describe('the sign-in helper\'s idea of this machine', () => {
  it.each(['127.0.0.1', '127.9.8.7', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:7f00:1'])('a peer at %s is this machine', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each(['192.0.2.2', '10.200.0.1', '::ffff:192.0.2.2', 'fd00::2', '0.0.0.0', '::', 'localhost', '', undefined])('a peer at %s is not', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });

  it.each([
    { host: '127.0.0.1', loopback: true },
    { host: 'localhost', loopback: true },
    { host: '::1', loopback: true },
    { host: '0.0.0.0', loopback: false },
    { host: '::', loopback: false },
    { host: '192.0.2.2', loopback: false },
  ])('HOST=$host keeps the helper: $loopback', ({ host, loopback }) => {
    expect(listensOnLoopbackOnly(host)).toBe(loopback);
  });
});

describe.each(databaseKinds())('exposure and defaults on %s', (kind) => {
  describe('in development', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny', { environment: 'development' });
    });
    afterAll(() => t?.stop());

    it('listens on 127.0.0.1 and says so', async () => {
      expect(loadConfig({}).host).toBe('127.0.0.1');
      expect(t.portico.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    });

    fromElsewhere('nothing answers on another address of the machine', async (address) => {
      await expect(send(t.portico.url.replace('127.0.0.1', address), { method: 'GET' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });

    it('says at start that the sign-in helper is on, for this machine only', () => {
      expect(t.startupLines).toContain('sign-in helper: on, for requests from this machine only (a loopback address and Host)');
    });

    fromElsewhere('POST /playground/token from another address with Host: localhost: 403, no token, nothing changes', async (address) => {
      const before = await t.snapshot();
      const url = t.portico.url.replace(/\/graphql$/, '/playground/token');
      for (const host of ['localhost', `localhost:${new URL(url).port}`, new URL(url).host]) {
        const minted = await send(url, { method: 'POST', host, from: address, body: JSON.stringify({ email: OPERATOR }) });
        expect(minted.status).toBe(403);
        expect(minted.body).not.toMatch(/eyJ/);
        expect(JSON.parse(minted.body)).toEqual({ error: 'the sign-in helper answers only requests from this machine (a loopback address)' });
        const users = await send(url.replace(/token$/, 'users'), { host, from: address });
        expect(users.status).toBe(403);
        expect(users.body).not.toMatch(/@/);
      }
      expect(await t.snapshot()).toEqual(before);
    });

    it.each([
      { title: 'a rebinding name', host: 'attacker.example' },
      { title: 'a rebinding name with the port', host: 'attacker.example:4000' },
      { title: 'the machine\'s LAN address', host: '192.168.1.20:4000' },
      { title: 'a loopback lookalike', host: '127.0.0.1.attacker.example' },
    ])('POST /playground/token with $title as Host: 403, no token, nothing changes', async ({ host }) => {
      const before = await t.snapshot();
      const url = t.portico.url.replace(/\/graphql$/, '/playground/token');
      const minted = await send(url, { method: 'POST', host, body: JSON.stringify({ email: OPERATOR }) });
      expect(minted.status).toBe(403);
      expect(minted.body).not.toMatch(/eyJ/);
      expect(JSON.parse(minted.body)).toEqual({ error: 'the sign-in helper answers only requests addressed to a loopback host (localhost, 127.0.0.1, [::1])' });
      const users = await send(url.replace(/token$/, 'users'), { host });
      expect(users.status).toBe(403);
      expect(await t.snapshot()).toEqual(before);
    });

    it('answers the sign-in helper for a loopback Host', async () => {
      const url = t.portico.url.replace(/\/graphql$/, '/playground/token');
      for (const host of [new URL(url).host, `localhost:${new URL(url).port}`]) {
        const minted = await send(url, { method: 'POST', host, body: JSON.stringify({ email: OPERATOR }) });
        expect(minted.status).toBe(200);
        expect(JSON.parse(minted.body)).toMatchObject({ email: OPERATOR, token: expect.stringMatching(/^eyJ/) });
      }
    });
  });

  describe('in development on every interface (HOST=0.0.0.0, as in a container)', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny', { environment: 'development', host: '0.0.0.0' });
    });
    afterAll(() => t?.stop());

    const offMessage = 'the sign-in helper is off: Portico listens on 0.0.0.0, not on loopback only (HOST=127.0.0.1 turns it on; npm run token -- <email> prints a token)';

    it('has no sign-in helper, and says so at start', async () => {
      expect(t.startupLines).toContain('sign-in helper: off, since Portico listens on 0.0.0.0, not on loopback only (HOST=127.0.0.1 turns it on; npm run token -- <email> prints a token)');
      const page = await send(t.portico.url.replace('0.0.0.0', '127.0.0.1').replace(/\/graphql$/, '/playground'), { host: 'localhost', headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.body).not.toContain('data-testid="signin-button"');
    });

    it('POST /playground/token even from loopback with Host: localhost: 404, no token', async () => {
      const url = t.portico.url.replace('0.0.0.0', '127.0.0.1').replace(/\/graphql$/, '/playground/token');
      const minted = await send(url, { method: 'POST', host: 'localhost', body: JSON.stringify({ email: OPERATOR }) });
      expect(minted.status).toBe(404);
      expect(JSON.parse(minted.body)).toEqual({ error: offMessage });
    });

    fromElsewhere('POST /playground/token from another address with Host: localhost: 404, no token, nothing changes', async (address) => {
      const before = await t.snapshot();
      const url = t.portico.url.replace('0.0.0.0', address).replace(/\/graphql$/, '/playground/token');
      const minted = await send(url, { method: 'POST', host: 'localhost', body: JSON.stringify({ email: OPERATOR }) });
      expect(minted.status).toBe(404);
      expect(JSON.parse(minted.body)).toEqual({ error: offMessage });
      const users = await send(url.replace(/token$/, 'users'), { host: 'localhost' });
      expect(users.status).toBe(404);
      expect(users.body).not.toMatch(/example/);
      expect(await t.snapshot()).toEqual(before);
    });
  });

  describe('in production', () => {
    let t: TestPortico;
    let metricsPort: number;
    let withPort: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny', { environment: 'production', metricsToken: 'metrics-secret-0123456789' });
      metricsPort = await freePort();
      withPort = await startTestPortico(kind, 'dstny', { environment: 'production', metricsPort, seedDemo: false });
    });
    afterAll(async () => {
      await t.stop();
      await withPort.stop();
    });

    it('never seeds demo data, whatever PORTICO_SEED_DEMO says', async () => {
      const production = { NODE_ENV: 'production', PORTICO_JWKS_URL: 'https://idp.test/jwks', PORTICO_JWT_ISSUER: 'https://idp.test/', PORTICO_JWT_AUDIENCE: 'portico', PORTICO_AUDIT_KEY: 'k'.repeat(32) };
      expect(loadConfig({ ...production, PORTICO_SEED_DEMO: 'true' }).seedDemo).toBe(false);
      // Started with seedDemo forced on in the configuration object: the platform and its operator only.
      const accounts = await withPort.portico.services.db.manager.find(AccountEntity);
      expect(accounts.map((a) => a.type)).toEqual(['PLATFORM']);
      await expect(withPort.user('admin@acme.example')).rejects.toThrow();
    });

    it.each([
      { title: 'no token', headers: {} as Record<string, string>, status: 401 },
      { title: 'a wrong token', headers: { authorization: 'Bearer metrics-secret-0123456780' }, status: 401 },
      { title: "a user's bearer token", headers: {} as Record<string, string>, user: true, status: 401 },
      { title: 'the metrics token', headers: { authorization: 'Bearer metrics-secret-0123456789' }, status: 200 },
    ])('/metrics with $title: $status', async ({ headers, user, status }) => {
      const url = t.portico.url.replace(/\/graphql$/, '/metrics');
      const authorization: Record<string, string> = user ? { authorization: `Bearer ${await t.token(OPERATOR)}` } : {};
      const response = await send(url, { headers: { ...headers, ...authorization } });
      expect(response.status).toBe(status);
      if (status === 200) expect(response.body).toMatch(/portico_/);
      else expect(response.body).not.toMatch(/portico_/);
    });

    it('/metrics on its own loopback port, and not on the main one', async () => {
      const main = await send(withPort.portico.url.replace(/\/graphql$/, '/metrics'), {});
      expect(main.status).toBe(404);
      const own = await send(`http://127.0.0.1:${metricsPort}/metrics`, {});
      expect(own.status).toBe(200);
      expect(own.body).toMatch(/portico_/);
    });

    fromElsewhere('/metrics on its own port answers nothing on another address of the machine', async (address) => {
      await expect(send(`http://${address}:${metricsPort}/metrics`, {})).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });

    describe('bad input that used to fail as a server error is BAD_USER_INPUT and changes nothing', () => {
      // Written as text: a value this deep overflows JSON.stringify too.
      const nested = (levels: number) => '{"deeper":'.repeat(levels) + '{"leaf":true}' + '}'.repeat(levels);

      it.each([
        { title: 'settings nested 5,000 levels deep', levels: 5000 },
        { title: 'settings nested 17 levels deep', levels: 16 },
      ])('$title', async ({ levels }) => {
        const northwind = await t.account('Northwind Telecom');
        const before = await t.snapshot();
        const query = 'mutation($p: ID!, $s: JSONObject) { createAccount(input: { type: CUSTOMER, name: "Deep", parentId: $p, settings: $s }) { id } }';
        const response = await t.raw({ token: await t.token(OPERATOR), body: `{"query":${JSON.stringify(query)},"variables":{"p":${JSON.stringify(northwind.id)},"s":${nested(levels)}}}` });
        const result = (await response.json()) as GraphQLResult;
        expect(codes(result)).toEqual(['BAD_USER_INPUT']);
        expect(result.errors![0].message).toBe('settings nest at most 16 levels deep');
        expect(await t.snapshot()).toEqual(before);
      });

      it.each([
        { title: 'the audit trail', query: 'query($id: ID!, $after: String) { auditEvents(accountId: $id, after: $after) { nodes { id } } }' },
        { title: "an account's impersonation grants", query: 'query($id: ID!, $after: String) { account(id: $id) { impersonationGrants(after: $after) { nodes { id } } } }' },
      ])('a cursor of $title holding an invalid date', async ({ query }) => {
        const acme = await t.account('Acme Logistics');
        for (const instant of ['not-a-date', '2026-13-45T99:99:99.999Z', '1700000000000']) {
          const after = Buffer.from(JSON.stringify([instant, '00000000-0000-4000-8000-000000000000'])).toString('base64url');
          const before = await t.snapshot();
          const result = await t.gql(OPERATOR, query, { id: acme.id, after });
          expect(codes(result)).toEqual(['BAD_USER_INPUT']);
          expect(result.errors![0].message).toBe('after is not a cursor returned by this list');
          expect(await t.snapshot()).toEqual(before);
        }
      });
    });
  });

  describe('a custom role whose account type does not fit the account that owns it (unifyr)', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'unifyr');
    });
    afterAll(() => t?.stop());

    it('is BAD_USER_INPUT, and no role is created', async () => {
      const partner = await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PARTNER' });
      const before = await t.snapshot();
      const roles = await t.portico.services.db.manager.count(CustomRoleEntity);
      const result = await t.gql(OPERATOR, 'mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { name } }', {
        input: { accountId: partner.id, accountType: 'PLATFORM', name: 'MISFIT', title: 'Misfit', permissions: [{ permission: 'contacts:read' }] },
      });
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].message).toBe('custom roles are for PARTNER accounts');
      expect(await t.snapshot()).toEqual(before);
      expect(await t.portico.services.db.manager.count(CustomRoleEntity)).toBe(roles);
      // The same role on the partner account, the type it is for, is accepted.
      ok(await t.gql(OPERATOR, 'mutation($input: CreateCustomRoleInput!) { createCustomRole(input: $input) { name } }', { input: { accountId: partner.id, accountType: 'PARTNER', name: 'FITTING', title: 'Fitting', permissions: [{ permission: 'contacts:read' }] } }));
    });
  });
});
