import { randomBytes } from 'crypto';
import { AccountEntity, AccountSettingEntity, AuditEventEntity, OutboxEventEntity } from '../../src/storage/entities';
import { SecretBox } from '../../src/storage/secret-box';
import { databaseKinds } from '../support/databases';
import { ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const UPDATE = 'mutation($id: ID!, $input: UpdateAccountInput!) { updateAccount(id: $id, input: $input) { id settings } }';
const CREATE = 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id settings } }';
const ENTRIES = 'query($id: ID!) { account(id: $id) { settings settingEntries { key type value defaultValue isSecret isSet set updatedAt updatedBy { email } viewerCanChange } } }';
const AUDIT = 'query($id: ID!) { auditEvents(accountId: $id, first: 50) { nodes { action details } } }';
const CREATE_WEBHOOK = 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }';

/** Every row of every table of Portico's database, as text: where a secret must not be found. */
async function everyRow(t: TestPortico): Promise<string> {
  const ds = t.portico.services.db.dataSource;
  const tables = ds.entityMetadatas.map((m) => m.tableName);
  const dumps: string[] = [];
  for (const table of tables) dumps.push(`${table}: ${JSON.stringify(await ds.query(`SELECT * FROM ${ds.driver.escape(table)}`))}`);
  return dumps.join('\n');
}

describe.each(databaseKinds())('typed settings and secrets on %s', (kind) => {
  describe('unifyr', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'unifyr');
    });
    afterAll(() => t.stop());

    const ADMIN = 'admin@northwind.example';
    const entry = async (as: string, accountId: string, key: string) => {
      const data = ok(await t.gql(as, ENTRIES, { id: accountId }));
      return data.account.settingEntries.find((e: { key: string }) => e.key === key);
    };

    it('keeps a secret write-only: no read, audit event, export, outbox row or table holds its value, and it opens only with the key', async () => {
      const northwind = await t.account('Northwind Solutions');
      ok(await t.gql(ADMIN, CREATE_WEBHOOK, { input: { accountId: northwind.id, url: 'https://hooks.example.com/settings', events: ['account.updated'] } }));
      const secret = `crm-${randomBytes(12).toString('hex')}`;
      const data = ok(await t.gql(ADMIN, UPDATE, { id: northwind.id, input: { settings: { crm: 'hubspot', crmApiKey: secret } } }));
      const admin = await t.user(ADMIN);
      // A secret reads { set: true, updatedAt, updatedBy }, never its value; one never set is absent.
      const sealedRead = { set: true, updatedAt: expect.any(String), updatedBy: admin.id };
      expect(data.updateAccount.settings).toEqual({ adminsMayAssignRoles: true, crm: 'hubspot', crmApiKey: sealedRead });

      const read = ok(await t.gql(ADMIN, ENTRIES, { id: northwind.id }));
      expect(read.account.settings).toEqual({ adminsMayAssignRoles: true, crm: 'hubspot', crmApiKey: sealedRead });
      const byKey = Object.fromEntries(read.account.settingEntries.map((e: { key: string }) => [e.key, e]));
      expect(byKey.crmApiKey).toMatchObject({ type: 'STRING', value: null, defaultValue: null, isSecret: true, isSet: true, set: true, updatedBy: { email: ADMIN }, viewerCanChange: true });
      expect(read.account.settings.crmApiKey.updatedAt).toBe(byKey.crmApiKey.updatedAt);
      expect(new Date(byKey.crmApiKey.updatedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(byKey.videoConferencingSecret).toMatchObject({ isSecret: true, isSet: false, set: false, value: null, updatedAt: null, updatedBy: null });
      expect(byKey.crm).toMatchObject({ value: 'hubspot', isSet: true, isSecret: false, updatedBy: { email: ADMIN } });
      expect(byKey.modules).toMatchObject({ type: 'LIST', isSet: false, value: ['leads', 'deals', 'campaigns', 'contactLists', 'content', 'social'], viewerCanChange: false });
      expect(JSON.stringify(read)).not.toContain(secret);

      const audit = ok(await t.gql(ADMIN, AUDIT, { id: northwind.id }));
      const update = audit.auditEvents.nodes.find((e: { action: string }) => e.action === 'account.update');
      expect(update.details).toEqual({ settings: { from: { adminsMayAssignRoles: true }, to: { adminsMayAssignRoles: true, crm: 'hubspot' } }, secretSettingsChanged: ['crmApiKey'] });

      const outbox = await t.portico.services.db.manager.findBy(OutboxEventEntity, { accountId: northwind.id, type: 'account.updated' });
      expect(outbox).toHaveLength(1);
      expect(JSON.parse(outbox[0].body).data.secretSettingsChanged).toEqual(['crmApiKey']);

      const exportUrl = `${t.portico.url.replace(/\/graphql$/, '')}/audit/export?${new URLSearchParams({ accountId: northwind.id, format: 'ndjson' })}`;
      const exported = await (await fetch(exportUrl, { headers: { authorization: `Bearer ${await t.token(ADMIN)}` } })).text();
      expect(exported).toContain('secretSettingsChanged');
      expect(exported).not.toContain(secret);

      const rows = await everyRow(t);
      expect(rows).toContain('account_settings');
      expect(rows).not.toContain(secret);

      const sealed = await t.portico.services.db.manager.findOneByOrFail(AccountSettingEntity, { accountId: northwind.id, key: 'crmApiKey' });
      expect(t.portico.services.secrets.open(sealed.sealedValue!, `account-setting:${northwind.id}:crmApiKey`)).toBe(secret);
      // Bound to its place and its key: another setting's context, or another key, does not open it.
      expect(() => t.portico.services.secrets.open(sealed.sealedValue!, `account-setting:${northwind.id}:videoConferencingSecret`)).toThrow();
      expect(() => new SecretBox(randomBytes(32)).open(sealed.sealedValue!, `account-setting:${northwind.id}:crmApiKey`)).toThrow();
    });

    it('removes a secret with null: it reads as unset, and the trail names it', async () => {
      const northwind = await t.account('Northwind Solutions');
      ok(await t.gql(ADMIN, UPDATE, { id: northwind.id, input: { settings: { videoConferencingSecret: 'zoom-secret-1' } } }));
      expect(await entry(ADMIN, northwind.id, 'videoConferencingSecret')).toMatchObject({ isSet: true, value: null });
      ok(await t.gql(ADMIN, UPDATE, { id: northwind.id, input: { settings: { videoConferencingSecret: null } } }));
      expect(await entry(ADMIN, northwind.id, 'videoConferencingSecret')).toMatchObject({ isSet: false, set: false, updatedAt: null });
      expect(ok(await t.gql(ADMIN, ENTRIES, { id: northwind.id })).account.settings).not.toHaveProperty('videoConferencingSecret');
      const last = await t.portico.services.db.manager.find(AuditEventEntity, { where: { subjectAccountId: northwind.id, action: 'account.update' }, order: { sequence: 'DESC' }, take: 1 });
      expect(last[0].details).toEqual({ secretSettingsChanged: ['videoConferencingSecret'] });
    });

    it('sets secrets given at creation sealed, never in the settings read back', async () => {
      const platform = (await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' })).id;
      const data = ok(await t.gql('supplier@platform.local', CREATE, { input: { type: 'PARTNER', name: 'Sealed Partners', parentId: platform, settings: { crm: 'salesforce', crmApiKey: 'created-with-a-secret' } } }));
      const supplier = await t.user('supplier@platform.local');
      expect(data.createAccount.settings).toEqual({ crm: 'salesforce', crmApiKey: { set: true, updatedAt: expect.any(String), updatedBy: supplier.id } });
      expect(await entry('supplier@platform.local', data.createAccount.id, 'crmApiKey')).toMatchObject({ isSet: true, value: null, updatedBy: { email: 'supplier@platform.local' } });
      expect(await everyRow(t)).not.toContain('created-with-a-secret');
    });

    it.each([
      { title: 'a key the policy does not declare', settings: { crmApiKye: 'x' }, message: /unknown setting crmApiKye \(the unifyr policy has modules, adminsMayAssignRoles, .*crmApiKey/ },
      { title: 'a secret that is not a string', settings: { crmApiKey: 42 }, message: /settings\.crmApiKey must be a string/ },
      { title: 'an empty secret', settings: { crmApiKey: '' }, message: /settings\.crmApiKey is a secret of 1 to 4096 characters/ },
      { title: 'a string setting given a list', settings: { crm: ['hubspot'] }, message: /settings\.crm must be a string/ },
    ])('refuses $title with BAD_USER_INPUT, changing nothing', async ({ settings, message }) => {
      const northwind = await t.account('Northwind Solutions');
      const rows = await t.portico.services.db.manager.findBy(AccountSettingEntity, { accountId: northwind.id });
      await refused(t, ADMIN, UPDATE, { id: northwind.id, input: { settings: { crm: 'pipedrive', ...settings } } }, 'BAD_USER_INPUT', message);
      expect((await t.account('Northwind Solutions')).settings).toEqual(northwind.settings);
      expect(await t.portico.services.db.manager.findBy(AccountSettingEntity, { accountId: northwind.id })).toEqual(rows);
    });

    it('refuses an unknown key at creation', async () => {
      const platform = (await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' })).id;
      await refused(t, 'supplier@platform.local', CREATE, { input: { type: 'PARTNER', name: 'Loose Partners', parentId: platform, settings: { theme: 'dark' } } }, 'BAD_USER_INPUT', /unknown setting theme/);
    });

    it('lets only those the setting names change it: Marketing may not set the CRM key', async () => {
      const northwind = await t.account('Northwind Solutions');
      await refused(t, 'marketing@northwind.example', UPDATE, { id: northwind.id, input: { settings: { crmApiKey: 'marketing-key' } } }, 'FORBIDDEN');
    });
  });

  describe('appdirect: each setting names who changes it', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'appdirect');
    });
    afterAll(() => t.stop());

    it('a sub-partner Account Manager sets its single sign-on secret, but not the payment key, which needs billing:access', async () => {
      const east = await t.account('Northwind East');
      ok(await t.gql('am@east.example', UPDATE, { id: east.id, input: { settings: { ssoClientSecret: 'sso-secret' } } }));
      await refused(t, 'am@east.example', UPDATE, { id: east.id, input: { settings: { paymentGatewayKey: 'pay-key' } } }, 'FORBIDDEN', /paymentGatewayKey .* billing:access/);
      const entries = ok(await t.gql('am@east.example', ENTRIES, { id: east.id })).account.settingEntries;
      expect(entries.map((e: { key: string; viewerCanChange: boolean; isSet: boolean }) => [e.key, e.viewerCanChange, e.isSet])).toEqual([
        ['brandingTheme', true, false],
        ['ssoClientSecret', true, true],
        ['paymentGatewayKey', false, false],
      ]);
    });

    it("the partner's Account Manager, who holds billing:access on it from above, sets the payment key", async () => {
      const east = await t.account('Northwind East');
      ok(await t.gql('am@northwind.example', UPDATE, { id: east.id, input: { settings: { paymentGatewayKey: 'pay-key-2' } } }));
      const paymentKey = async (as: string) => ok(await t.gql(as, ENTRIES, { id: east.id })).account.settingEntries.find((e: { key: string }) => e.key === 'paymentGatewayKey');
      expect(await paymentKey('am@northwind.example')).toMatchObject({ isSet: true, value: null, updatedBy: { email: 'am@northwind.example' } });
      // Who set it shows only to a viewer who may see that user: the sub-partner does not see its parent's people.
      expect(await paymentKey('am@east.example')).toMatchObject({ isSet: true, value: null, updatedBy: null });
      const settingsAs = async (as: string) => ok(await t.gql(as, ENTRIES, { id: east.id })).account.settings.paymentGatewayKey;
      expect(await settingsAs('am@northwind.example')).toEqual({ set: true, updatedAt: expect.any(String), updatedBy: (await t.user('am@northwind.example')).id });
      expect(await settingsAs('am@east.example')).toEqual({ set: true, updatedAt: expect.any(String), updatedBy: null });
    });
  });
});
