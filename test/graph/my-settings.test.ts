import { randomUUID } from 'crypto';
import { SignJWT } from 'jose';
import { AuditEventEntity, ExternalIdentityEntity, OutboxEventEntity, UserEntity, UserSettingsEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { startTestIdentityProvider, type TestIdentityProvider } from '../support/identity-provider';
import { codes, ok, startTestPortico, type Caller, type GraphQLResult, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const SETTINGS = '{ viewer { user { id name email status } settings { socialConnections { network handle } eventIntegrations { provider account } notifications { topic channels } pendingEmail pendingEmailExpiresAt } } }';
const UPDATE = 'mutation($input: MySettingsInput!) { updateMySettings(input: $input) { id name email status } }';
const CONFIRM = 'mutation($code: String!) { confirmMyEmail(code: $code) { id email } }';
const PERSONAL = 'query($id: ID!) { viewer { user { id personalSettings } } user(id: $id) { email personalSettings } }';
const INPUT_FIELDS = '{ __type(name: "MySettingsInput") { inputFields { name } } }';
const MUTATION_ARGS = '{ __schema { mutationType { fields { name args { name } } } } }';

/** The confirmation code the user.email_change_requested event carries for the mail sender, the newest first. */
async function sentCode(t: TestPortico, userId: string): Promise<string> {
  const events = await t.portico.services.db.manager.find(OutboxEventEntity, { where: { type: 'user.email_change_requested' } });
  const bodies = events.map((e) => JSON.parse(e.body) as { timestamp: string; data: { targetId: string; confirmationCode: string; to: string } });
  const mine = bodies.filter((b) => b.data.targetId === userId).sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  expect(mine.length).toBeGreaterThan(0);
  return mine[0].data.confirmationCode;
}

describe.each(databaseKinds())('My Settings on %s', (kind) => {
  let t: TestPortico;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'unifyr');
  });
  afterAll(() => t?.stop());

  const em = () => t.portico.services.db.manager;
  /** Everything a refused change must leave as it was: the counted tables and every user's settings row. */
  const state = async () => ({ ...(await t.snapshot()), settings: JSON.stringify(await em().find(UserSettingsEntity, { order: { userId: 'ASC' } })), outbox: await em().count(OutboxEventEntity) });
  const refusedHere = async (as: Caller, query: string, variables: Record<string, unknown>, code: string, message?: RegExp): Promise<GraphQLResult> => {
    const before = await state();
    const result = await t.gql(as, query, variables);
    expect(codes(result)).toEqual([code]);
    if (message) expect(result.errors![0].message).toMatch(message);
    expect(await state()).toEqual(before);
    return result;
  };

  it('starts empty, for every signed-in user, on viewer.settings', async () => {
    const { viewer } = ok(await t.gql('sales@northwind.example', SETTINGS));
    expect(viewer.settings).toEqual({ socialConnections: [], eventIntegrations: [], notifications: [], pendingEmail: null, pendingEmailExpiresAt: null });
  });

  it('a Sales user changes their name, social connections, event integrations and notifications; only theirs, audited', async () => {
    const before = await t.user('marketing@northwind.example');
    const input = {
      name: '  Sol Seller ',
      socialConnections: [{ network: 'linkedin', handle: 'sol-seller' }],
      eventIntegrations: [{ provider: 'zoom', account: 'sol@northwind.example' }],
      notifications: [{ topic: 'PRODUCT_UPDATE', channels: ['SMS', 'EMAIL', 'EMAIL'] }, { topic: 'NEWS', channels: [] }],
    };
    const updated = ok(await t.gql('sales@northwind.example', UPDATE, { input })).updateMySettings;
    expect(updated).toMatchObject({ name: 'Sol Seller', email: 'sales@northwind.example', status: 'ACTIVE' });
    const { viewer } = ok(await t.gql('sales@northwind.example', SETTINGS));
    expect(viewer.user.name).toBe('Sol Seller');
    expect(viewer.settings).toEqual({
      socialConnections: [{ network: 'linkedin', handle: 'sol-seller' }],
      eventIntegrations: [{ provider: 'zoom', account: 'sol@northwind.example' }],
      notifications: [{ topic: 'PRODUCT_UPDATE', channels: ['EMAIL', 'SMS'] }, { topic: 'NEWS', channels: [] }],
      pendingEmail: null,
      pendingEmailExpiresAt: null,
    });
    // Nobody else changed, and nothing about the caller but these.
    expect(await t.user('marketing@northwind.example')).toEqual(before);
    expect(await t.rolesOf('sales@northwind.example')).toEqual(['SALES']);
    const events = await em().find(AuditEventEntity, { where: { action: 'user.updateMySettings', targetId: updated.id } });
    expect(events.map((e) => e.details)).toEqual([{ name: { from: expect.any(String), to: 'Sol Seller' }, preferences: ['socialConnections', 'eventIntegrations', 'notifications'] }]);
    expect(events[0].actorUserId).toBe(updated.id);
  });

  it('a list left out stays as it was; a list given replaces it', async () => {
    ok(await t.gql('sales@northwind.example', UPDATE, { input: { socialConnections: [] } }));
    const { viewer } = ok(await t.gql('sales@northwind.example', SETTINGS));
    expect(viewer.settings.socialConnections).toEqual([]);
    expect(viewer.settings.eventIntegrations).toEqual([{ provider: 'zoom', account: 'sol@northwind.example' }]);
  });

  it('the input has no field for a user id, roles, status or email verification, and the mutations take no user id', async () => {
    const fields = ok(await t.gql(OPERATOR, INPUT_FIELDS)).__type.inputFields.map((f: { name: string }) => f.name);
    expect(fields.sort()).toEqual(['email', 'eventIntegrations', 'name', 'notifications', 'personal', 'socialConnections']);
    const mutations = ok(await t.gql(OPERATOR, MUTATION_ARGS)).__schema.mutationType.fields as Array<{ name: string; args: Array<{ name: string }> }>;
    expect(mutations.find((m) => m.name === 'updateMySettings')!.args.map((a) => a.name)).toEqual(['input']);
    expect(mutations.find((m) => m.name === 'confirmMyEmail')!.args.map((a) => a.name)).toEqual(['code']);
  });

  it.each([
    { title: 'roles', input: { roles: ['ADMINISTRATOR'] } },
    { title: 'a status', input: { status: 'ACTIVE' } },
    { title: 'email verification', input: { emailVerified: true } },
    { title: "another user's id", input: { userId: 'someone-else', name: 'Mallory' } },
  ])('an input naming $title is refused before anything runs, and changes nothing', async ({ input }) => {
    const result = await refusedHere('sales@northwind.example', UPDATE, { input }, 'BAD_USER_INPUT');
    expect(result.errors![0].message).toMatch(/is not defined by type "MySettingsInput"/);
  });

  it('a user id as an argument is refused by validation', async () => {
    const other = await t.user('marketing@northwind.example');
    const result = await t.gql('sales@northwind.example', `mutation { updateMySettings(userId: "${other.id}", input: { name: "Mallory" }) { id } }`);
    expect(codes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect((await t.user('marketing@northwind.example')).name).toBe(other.name);
  });

  it.each([
    { title: 'nothing to change', input: {}, message: /give a name, an email or a preference/ },
    { title: 'an empty name', input: { name: '  ' }, message: /a user name has 1 to 200 characters/ },
    { title: 'a topic the policy does not have', input: { notifications: [{ topic: 'GOSSIP', channels: ['EMAIL'] }] }, message: /unknown topic GOSSIP/ },
    { title: 'a topic named twice', input: { notifications: [{ topic: 'NEWS', channels: ['EMAIL'] }, { topic: 'NEWS', channels: [] }] }, message: /notifications names NEWS twice/ },
    { title: 'a network that is not a name', input: { socialConnections: [{ network: 'Linked In!', handle: 'x' }] }, message: /socialConnections\.0\.network/ },
    { title: 'a handle with a control character', input: { socialConnections: [{ network: 'x', handle: 'a\u202Eb' }] }, message: /control characters or bidirectional overrides/ },
    { title: 'an email that is no email', input: { email: 'not-an-email' }, message: /is not an email address/ },
  ])('$title is BAD_USER_INPUT, and changes nothing', async ({ input, message }) => {
    await refusedHere('sales@northwind.example', UPDATE, { input }, 'BAD_USER_INPUT', message);
  });

  describe('as one personal object (updateMySettings(input: { name, personal }) and User.personalSettings)', () => {
    it('changes the same settings as the typed fields, read back on viewer.user.personalSettings and viewer.settings, audited alike', async () => {
      const me = await t.user('marketing@northwind.example');
      const personal = {
        socialConnections: [{ network: 'linkedin', handle: 'mia-marketing' }],
        eventIntegrations: [{ provider: 'gotowebinar', account: 'mia@northwind.example' }],
        notifications: [{ topic: 'NEWS', channels: ['IN_APP', 'EMAIL'] }],
      };
      ok(await t.gql('marketing@northwind.example', UPDATE, { input: { name: 'Mia Marketer', personal } }));
      const expected = { ...personal, notifications: [{ topic: 'NEWS', channels: ['EMAIL', 'IN_APP'] }] };
      const read = ok(await t.gql('marketing@northwind.example', PERSONAL, { id: me.id }));
      expect(read.viewer.user).toEqual({ id: me.id, personalSettings: expected });
      expect(read.user).toEqual({ email: 'marketing@northwind.example', personalSettings: expected });
      const { viewer } = ok(await t.gql('marketing@northwind.example', SETTINGS));
      expect(viewer.user.name).toBe('Mia Marketer');
      expect(viewer.settings).toMatchObject(expected);

      // A key left out stays as it was.
      ok(await t.gql('marketing@northwind.example', UPDATE, { input: { personal: { socialConnections: [] } } }));
      expect(ok(await t.gql('marketing@northwind.example', PERSONAL, { id: me.id })).viewer.user.personalSettings).toEqual({ ...expected, socialConnections: [] });
      const events = await em().find(AuditEventEntity, { where: { action: 'user.updateMySettings', targetId: me.id }, order: { occurredAt: 'ASC' } });
      expect(events.map((e) => e.details)).toEqual([
        { name: { from: 'Mia Marketing', to: 'Mia Marketer' }, preferences: ['socialConnections', 'eventIntegrations', 'notifications'] },
        { preferences: ['socialConnections'] },
      ]);
    });

    it("is null for anyone but the user: another user, and an administrator or operator who may read the user", async () => {
      const me = await t.user('marketing@northwind.example');
      expect(ok(await t.gql('marketing@northwind.example', PERSONAL, { id: me.id })).user.personalSettings).not.toBeNull();
      for (const other of ['admin@northwind.example', OPERATOR, 'sales@northwind.example']) {
        const read = ok(await t.gql(other, PERSONAL, { id: me.id }));
        if (other !== 'sales@northwind.example') expect(read.user).toEqual({ email: 'marketing@northwind.example', personalSettings: null });
        else expect(read.user?.personalSettings ?? null).toBeNull();
        expect(read.viewer.user.personalSettings).toEqual({ socialConnections: expect.any(Array), eventIntegrations: expect.any(Array), notifications: expect.any(Array) });
      }
    });

    it.each([
      { title: 'an unknown key', personal: { favouriteColour: 'blue' }, message: /personal\.favouriteColour is not a personal setting/ },
      { title: 'a role smuggled in', personal: { roles: ['ADMINISTRATOR'] }, message: /personal\.roles is not a personal setting/ },
      { title: 'a value of the wrong shape', personal: { socialConnections: 'linkedin' }, message: /personal\.socialConnections/ },
      { title: 'an entry with an unknown field', personal: { eventIntegrations: [{ provider: 'zoom', account: 'a', token: 'secret' }] }, message: /personal\.eventIntegrations\.0/ },
      { title: 'a channel that does not exist', personal: { notifications: [{ topic: 'NEWS', channels: ['PIGEON'] }] }, message: /personal\.notifications\.0\.channels/ },
      { title: 'a topic the policy does not have', personal: { notifications: [{ topic: 'GOSSIP', channels: ['EMAIL'] }] }, message: /unknown topic GOSSIP/ },
    ])('$title in personal is BAD_USER_INPUT, and changes nothing', async ({ personal, message }) => {
      await refusedHere('sales@northwind.example', UPDATE, { input: { name: 'Never Applied', personal } }, 'BAD_USER_INPUT', message);
    });

    it('a setting given both in personal and as its field is BAD_USER_INPUT, and changes nothing', async () => {
      const input = { personal: { notifications: [{ topic: 'NEWS', channels: ['EMAIL'] }] }, notifications: [{ topic: 'NEWS', channels: ['SMS'] }] };
      await refusedHere('sales@northwind.example', UPDATE, { input }, 'BAD_USER_INPUT', /notifications is given both in personal and as a field/);
    });

    it('personal and different typed fields combine', async () => {
      const me = await t.user('sales@northwind.example');
      ok(await t.gql('sales@northwind.example', UPDATE, { input: { personal: { socialConnections: [{ network: 'x', handle: 'sol' }] }, eventIntegrations: [] } }));
      const read = ok(await t.gql('sales@northwind.example', PERSONAL, { id: me.id })).viewer.user.personalSettings;
      expect(read).toMatchObject({ socialConnections: [{ network: 'x', handle: 'sol' }], eventIntegrations: [] });
    });
  });

  it('an email another user has is CONFLICT, and changes nothing', async () => {
    await refusedHere('sales@northwind.example', UPDATE, { input: { email: 'MARKETING@northwind.example' } }, 'CONFLICT', /already exists/);
  });

  describe('changing one\'s own email', () => {
    let userId: string;
    beforeAll(async () => {
      userId = (await t.user('marketing@northwind.example')).id;
    });

    it('leaves the email as it is, pending, and sends a code by the event, never by the trail', async () => {
      const result = ok(await t.gql('marketing@northwind.example', UPDATE, { input: { email: 'Mia.Marketing@northwind.example' } })).updateMySettings;
      expect(result.email).toBe('marketing@northwind.example');
      const { viewer } = ok(await t.gql('marketing@northwind.example', SETTINGS));
      expect(viewer.settings.pendingEmail).toBe('mia.marketing@northwind.example');
      expect(new Date(viewer.settings.pendingEmailExpiresAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
      const code = await sentCode(t, userId);
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const requested = await em().findOneByOrFail(AuditEventEntity, { action: 'user.requestEmailChange', targetId: userId });
      expect(requested.details).toEqual({ from: 'marketing@northwind.example', to: 'mia.marketing@northwind.example', expiresAt: expect.any(String) });
      // The code is in no audit event (the trail is exported and chained) and not stored in the clear.
      const trail = JSON.stringify(await em().find(AuditEventEntity));
      expect(trail).not.toContain(code);
      expect(JSON.stringify(await em().findOneByOrFail(UserSettingsEntity, { userId }))).not.toContain(code);
    });

    it.each([
      { title: 'a wrong code', code: 'x'.repeat(43), message: /does not match/ },
      { title: 'an empty code', code: '', message: /does not match/ },
    ])('confirming with $title is BAD_USER_INPUT, and changes nothing', async ({ code, message }) => {
      await refusedHere('marketing@northwind.example', CONFIRM, { code }, 'BAD_USER_INPUT', message);
    });

    it("another user cannot confirm it with the code: it confirms only the caller's own pending email", async () => {
      const code = await sentCode(t, userId);
      await refusedHere('admin@northwind.example', CONFIRM, { code }, 'BAD_USER_INPUT', /no email change is waiting/);
    });

    it('the code sent confirms it: the email changes, and the code is spent', async () => {
      const code = await sentCode(t, userId);
      expect(ok(await t.gql('marketing@northwind.example', CONFIRM, { code })).confirmMyEmail).toEqual({ id: userId, email: 'mia.marketing@northwind.example' });
      expect((await em().findOneByOrFail(UserEntity, { id: userId })).email).toBe('mia.marketing@northwind.example');
      const { viewer } = ok(await t.gql('mia.marketing@northwind.example', SETTINGS));
      expect(viewer.settings.pendingEmail).toBeNull();
      expect((await em().findOneByOrFail(AuditEventEntity, { action: 'user.confirmEmail', targetId: userId })).details).toEqual({ email: { from: 'marketing@northwind.example', to: 'mia.marketing@northwind.example' } });
      await refusedHere('mia.marketing@northwind.example', CONFIRM, { code }, 'BAD_USER_INPUT', /no email change is waiting/);
    });

    it('an expired code no longer confirms', async () => {
      ok(await t.gql('mia.marketing@northwind.example', UPDATE, { input: { email: 'late@northwind.example' } }));
      const code = await sentCode(t, userId);
      await em().update(UserSettingsEntity, { userId }, { emailCodeExpiresAt: new Date(Date.now() - 1000) });
      await refusedHere('mia.marketing@northwind.example', CONFIRM, { code }, 'BAD_USER_INPUT', /expired/);
      expect(ok(await t.gql('mia.marketing@northwind.example', SETTINGS)).viewer.settings.pendingEmail).toBeNull();
    });

    it('an address taken by someone else meanwhile is CONFLICT at confirmation', async () => {
      ok(await t.gql('mia.marketing@northwind.example', UPDATE, { input: { email: 'taken-later@northwind.example' } }));
      const code = await sentCode(t, userId);
      const northwind = await t.account('Northwind Solutions');
      ok(await t.gql(OPERATOR, 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }', { input: { accountId: northwind.id, email: 'taken-later@northwind.example', name: 'Quick', roles: ['SALES'] } }));
      await refusedHere('mia.marketing@northwind.example', CONFIRM, { code }, 'CONFLICT', /already exists/);
    });
  });
});

describe.each(databaseKinds())('My Settings in an impersonation session and for a suspended user on %s', (kind) => {
  let t: TestPortico;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
  });
  afterAll(() => t?.stop());

  it('an impersonation session reads no settings and changes none (not the partner user\'s, not the customer\'s)', async () => {
    const acme = await t.account('Acme Logistics');
    const northwind = await t.account('Northwind Telecom');
    ok(await t.gql('admin@acme.example', 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }', { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['PORTAL_ADMINISTRATOR'] } }));
    // The partner user has personal settings of their own: the session reads none of them.
    ok(await t.gql('ppm@northwind.example', UPDATE, { input: { personal: { socialConnections: [{ network: 'linkedin', handle: 'mark-manager' }] } } }));
    expect(ok(await t.gql('ppm@northwind.example', '{ viewer { user { personalSettings } } }')).viewer.user.personalSettings).toMatchObject({ socialConnections: [{ network: 'linkedin', handle: 'mark-manager' }] });
    const { token } = ok(await t.gql('ppm@northwind.example', 'mutation($c: ID!) { startImpersonation(customerAccountId: $c, reason: "support") { token } }', { c: acme.id })).startImpersonation;
    const inSession = ok(await t.gql({ token }, '{ viewer { settings { pendingEmail } user { personalSettings } actor { personalSettings } } }')).viewer;
    expect(inSession.settings).toBeNull();
    expect(inSession.user.personalSettings).toBeNull();
    expect(inSession.actor).toEqual({ personalSettings: null });
    const rows = JSON.stringify(await t.portico.services.db.manager.find(UserSettingsEntity));
    const before = await t.snapshot();
    for (const [query, variables] of [
      [UPDATE, { input: { name: 'Someone Else' } }],
      [UPDATE, { input: { email: 'elsewhere@northwind.example' } }],
      [UPDATE, { input: { personal: { socialConnections: [] } } }],
      [CONFIRM, { code: 'x' }],
    ] as const) {
      const result = await t.gql({ token }, query, variables);
      expect(codes(result)).toEqual(['FORBIDDEN']);
      expect(result.errors![0].message).toMatch(/an impersonation session cannot/);
    }
    expect(await t.snapshot()).toEqual(before);
    expect(JSON.stringify(await t.portico.services.db.manager.find(UserSettingsEntity))).toBe(rows);
  });

  it('a suspended user changes nothing', async () => {
    const fleet = await t.user('fleet@acme.example');
    ok(await t.gql(OPERATOR, 'mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { status } }', { id: fleet.id }));
    const before = await t.snapshot();
    const result = await t.gql('fleet@acme.example', UPDATE, { input: { name: 'Still Here' } });
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(await t.snapshot()).toEqual(before);
  });
});

describe.each(databaseKinds())('My Settings with an identity provider on %s', (kind) => {
  const ISSUER = 'https://idp.test/';
  const AUDIENCE = 'portico-portal';
  const NOT_LINKED = 'no Portico user is linked to this identity';
  let provider: TestIdentityProvider;
  let t: TestPortico;
  beforeAll(async () => {
    provider = await startTestIdentityProvider();
    t = await startTestPortico(kind, 'dstny', { environment: 'production', jwksUrl: provider.jwksUrl, jwtIssuer: ISSUER, jwtAudience: AUDIENCE });
  });
  afterAll(async () => {
    await t.stop();
    await provider.stop();
  });

  const token = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: provider.keys.kid }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('5m').sign(provider.keys.privateKey);
  const send = async (jwt: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult> =>
    (await (await t.raw({ token: jwt, body: JSON.stringify({ query, variables }) })).json()) as GraphQLResult;

  it('a confirmed email change keeps the user\'s identity link as it was, and the new address never links another identity', async () => {
    const em = t.portico.services.db.manager;
    const user = await t.user('insight@acme.example');
    const subject = `idp-${randomUUID()}`;
    await em.insert(ExternalIdentityEntity, { id: randomUUID(), issuer: ISSUER, subject, userId: user.id, linkedAt: new Date() });
    const link = await em.findOneByOrFail(ExternalIdentityEntity, { userId: user.id });
    const own = await token({ sub: subject });

    ok(await send(own, UPDATE, { input: { email: 'ivy@acme.example' } }));
    // Pending: a provider account whose verified email is the new address is no one's.
    const stranger = await token({ sub: `idp-${randomUUID()}`, email: 'ivy@acme.example', email_verified: true });
    expect((await send(stranger, '{ viewer { user { id } } }')).errors![0].message).toContain(NOT_LINKED);

    ok(await send(own, CONFIRM, { code: await sentCode(t, user.id) }));
    expect((await t.user('ivy@acme.example')).id).toBe(user.id);
    // The same link, the same subject: the email is never consulted for a linked user.
    expect(await em.findBy(ExternalIdentityEntity, { userId: user.id })).toEqual([link]);
    expect(ok(await send(own, '{ viewer { user { id email } } }')).viewer.user).toEqual({ id: user.id, email: 'ivy@acme.example' });
    // Confirmed: still no other identity is linked to the user by that address.
    const again = await token({ sub: `idp-${randomUUID()}`, email: 'ivy@acme.example', email_verified: true });
    expect((await send(again, '{ viewer { user { id } } }')).errors![0].message).toContain(NOT_LINKED);
    expect(await em.countBy(ExternalIdentityEntity, { userId: user.id })).toBe(1);
  });
});
