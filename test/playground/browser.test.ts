import { existsSync, mkdirSync, readFileSync, rmSync } from 'fs';
import { join } from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

/** Debian's chromium, headless, with nothing that reaches the network on its own. */
async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the playground's browser test needs Debian's chromium (apt-get install -y chromium; .ci/run installs it)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

describe.each(databaseKinds())('the playground in a browser (%s)', (kind) => {
  let t: TestPortico;
  let browser: Browser;
  let page: Page;
  const foreignRequests: string[] = [];
  const scriptErrors: string[] = [];

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny', { environment: 'development' });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const origin = new URL(t.portico.url).origin;
    page.on('request', (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) foreignRequests.push(request.url());
    });
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    // Runs in the page (no DOM types here): records every Content-Security-Policy violation.
    await page.addInitScript(() => {
      const browser = globalThis as any;
      browser.cspViolations = [];
      browser.document.addEventListener('securitypolicyviolation', (event: any) => browser.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`));
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  const signIn = async (email: string) => {
    await page.getByTestId('signin-user').selectOption(email);
    await page.getByTestId('signin-button').click();
    await page.getByTestId('signed-in-as').getByText(`Token: ${email}`).waitFor();
  };

  /** Opens the pre-loaded tab, runs it and returns the text of the result pane once it shows `expected`. */
  const run = async (tab: string, expected: string) => {
    await page.locator('.graphiql-tab-button', { hasText: new RegExp(`^${tab}$`) }).click();
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.result-window');
    try {
      await result.getByText(expected).first().waitFor({ timeout: 10_000 });
    } catch (error) {
      throw new Error(`${tab}: the result pane never showed ${expected}; it shows:\n${await result.innerText()}`);
    }
    return result.innerText();
  };

  it('signs in a demo user, runs the pre-loaded Viewer operation and shows their email', async () => {
    await page.goto(t.portico.url);
    await page.locator('.graphiql-container').waitFor();
    await page.locator('#portico-user option[value="admin@acme.example"]').waitFor({ state: 'attached' });
    // GraphiQL names a tab after its first operation: the AccessReview and UserAdministration examples show as Users and UpdateUser.
    expect(await page.locator('.graphiql-tab-button').allInnerTexts()).toEqual(['Viewer', 'PartnerDashboard', 'GrantImpersonation', 'StartImpersonation', 'RevokeImpersonationGrant', 'RequestImpersonation', 'ApproveImpersonationGrant', 'Users', 'UpdateUser', 'UpdateAccount', 'Authorize']);
    await signIn('admin@acme.example');
    // The helper put the token in the Headers editor of the open tab.
    await page.getByText('Headers', { exact: true }).click();
    await page.locator('.graphiql-editor-tool').getByText('"Authorization": "Bearer ey').waitFor();
    const result = await run('Viewer', '"email": "admin@acme.example"');
    expect(result).toContain('"name": "Acme Logistics"');
    expect(result).not.toContain('"errors"');
  });

  it('grants impersonation as the customer, starts a session as the partner manager, and shows the banner with its token', async () => {
    expect(await page.getByTestId('impersonation-banner').isVisible()).toBe(false);
    const granted = await run('GrantImpersonation', '"status": "ACTIVE"');
    expect(granted).toContain('"partnerAccountName": "Northwind Telecom"');

    // The StartImpersonation example is written for the partner manager: opening it preselects him in the helper.
    await page.locator('.graphiql-tab-button', { hasText: /^StartImpersonation$/ }).click();
    expect(await page.getByTestId('signin-user').inputValue()).toBe('ppm@northwind.example');
    await signIn('ppm@northwind.example');
    expect(await page.getByTestId('use-session-token').isVisible()).toBe(false);
    await run('StartImpersonation', '"token":');
    await page.getByTestId('use-session-token').click();
    const banner = page.getByTestId('impersonation-banner');
    await banner.getByText('Acting as Acme Logistics for ppm@northwind.example').waitFor();

    // Every tab now runs in the session: viewer is the customer's account, acted by the partner user.
    const viewer = await run('Viewer', '"actor": {');
    expect(viewer).toContain('"name": "Acme Logistics"');
    expect(viewer).toContain('"email": "ppm@northwind.example"');

    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, kind === 'sqlite' ? 'playground.png' : `playground-${kind}.png`);
    rmSync(file, { force: true });
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  });

  it('revokes the grant GrantImpersonation made, its id filled in, so GrantImpersonation runs again', async () => {
    await page.getByTestId('leave-session').click();
    await signIn('admin@acme.example');
    const grantId = /"id": "([0-9a-f-]{36})"/.exec(await run('GrantImpersonation', '"errors"'))?.[1];
    expect(grantId).toBeUndefined(); // a second grant while the first is active: refused
    await page.locator('.graphiql-tab-button', { hasText: /^RevokeImpersonationGrant$/ }).click();
    await page.getByText('Variables', { exact: true }).click();
    const [grant] = await t.portico.services.db.manager.query('SELECT id FROM impersonation_grants WHERE revoked_at IS NULL');
    await page.locator('.graphiql-editor-tool').getByText(`"id": "${grant.id}"`).waitFor();
    // GraphiQL copies the variables editor into the tab's state after a debounce (500 ms): a run before that sends the
    // placeholder. A person reads the id before pressing run; the test waits out the debounce the same way.
    await page.waitForTimeout(1_000);
    const revoked = await run('RevokeImpersonationGrant', '"status": "REVOKED"');
    const [active] = await t.portico.services.db.manager.query('SELECT COUNT(*) AS n FROM impersonation_grants WHERE revoked_at IS NULL');
    expect(Number(active.n)).toBe(0);
    expect(revoked).not.toContain('"errors"');
    const again = await run('GrantImpersonation', '"status": "ACTIVE"');
    expect(again).not.toContain('"errors"');
  });

  it('loaded nothing from another origin, broke no rule of its Content-Security-Policy and threw no error', async () => {
    expect(scriptErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(await page.evaluate(() => (globalThis as any).cspViolations)).toEqual([]);
  });
});
