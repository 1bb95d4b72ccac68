import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

describe.each(databaseKinds())('the HTTP server on %s', (kind) => {
  let t: TestPortico;
  let base: string;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
    base = t.portico.url.replace(/\/graphql$/, '');
  });
  afterAll(() => t?.stop());

  it('answers /healthz while the process runs and /readyz while the database answers', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('serves the playground landing page to a browser', async () => {
    const page = await fetch(t.portico.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<html/i);
  });

  it('answers an unknown path with 404', async () => {
    const response = await fetch(`${base}/admin`);
    expect(response.status).toBe(404);
  });

  it.each([
    { title: 'malformed JSON', body: '{"query": ', status: 400, code: 'BAD_REQUEST' },
    { title: 'a body over 1 MB', body: JSON.stringify({ query: `{ viewer { roles } } #${'x'.repeat(1_100_000)}` }), status: 413, code: 'BAD_REQUEST' },
  ])('refuses $title with HTTP $status', async ({ body, status, code }) => {
    const response = await t.raw({ token: await t.token('admin@acme.example'), body });
    expect(response.status).toBe(status);
    const json = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(json.errors.map((e) => e.extensions.code)).toEqual([code]);
  });

  it('refuses a GET operation without a preflight-forcing header (CSRF prevention)', async () => {
    const response = await fetch(`${t.portico.url}?query=${encodeURIComponent('{ viewer { roles } }')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/i);
  });

  it("makes its own request id whatever the client sends: a client's x-request-id is never echoed as the request's", async () => {
    const token = await t.token('admin@acme.example');
    const post = (requestId: string) =>
      fetch(t.portico.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': requestId },
        body: JSON.stringify({ query: '{ viewer { roles } }' }),
      });
    const chosen = (await post('req-42')).headers.get('x-request-id');
    expect(chosen).toMatch(/^[0-9a-f-]{36}$/);
    const madeUp = (await post('<script>')).headers.get('x-request-id');
    expect(madeUp).toMatch(/^[0-9a-f-]{36}$/);
    expect(madeUp).not.toBe(chosen);
  });
});
