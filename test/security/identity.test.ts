import { randomUUID } from 'crypto';
import { SignJWT } from 'jose';
import { loadConfig } from '../../src/config';
import { startPortico } from '../../src/gateway/server';
import { AuditEventEntity, ExternalIdentityEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { startTestIdentityProvider, type TestIdentityProvider } from '../support/identity-provider';
import { codes, ok, startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';

const ISSUER = 'https://idp.test/';
const AUDIENCE = 'portico-portal';
const OPERATOR = 'admin@platform.local';
const NOT_LINKED = 'no Portico user is linked to this identity';
const VIEWER = '{ viewer { user { email status } } }';
/** Acme's administrator, linked before the tests: the one who invites the users they sign in as. */
const ACME_ADMIN_SUBJECT = 'idp-acme-admin';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }';

interface TokenShape {
  sub?: string;
  email?: string;
  email_verified?: unknown;
  iss?: string | null;
  aud?: string;
  exp?: boolean;
}

describe.each(databaseKinds())('signing in with an identity provider in production on %s', (kind) => {
  let provider: TestIdentityProvider;
  let t: TestPortico;
  beforeAll(async () => {
    provider = await startTestIdentityProvider();
    t = await startTestPortico(kind, 'dstny', { environment: 'production', jwksUrl: provider.jwksUrl, jwtIssuer: ISSUER, jwtAudience: AUDIENCE });
    const admin = await t.user('admin@acme.example');
    await t.portico.services.db.manager.insert(ExternalIdentityEntity, { id: randomUUID(), issuer: ISSUER, subject: ACME_ADMIN_SUBJECT, userId: admin.id, linkedAt: new Date() });
  });
  afterAll(async () => {
    await t.stop();
    await provider.stop();
  });

  /** A token of the test provider, shaped as the case needs: a real signature, whatever the claims say. */
  function providerToken({ sub = `idp-${randomUUID()}`, email, email_verified, iss = ISSUER, aud = AUDIENCE, exp = true }: TokenShape): Promise<string> {
    const claims: Record<string, unknown> = { sub };
    if (email !== undefined) claims.email = email;
    if (email_verified !== undefined) claims.email_verified = email_verified;
    let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: provider.keys.kid }).setAudience(aud).setIssuedAt();
    if (iss !== null) jwt = jwt.setIssuer(iss);
    if (exp) jwt = jwt.setExpirationTime('5m');
    return jwt.sign(provider.keys.privateKey);
  }

  const send = async (token: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResult> => {
    const response = await t.raw({ token, body: JSON.stringify({ query, variables }) });
    return { ...((await response.json()) as GraphQLResult), status: response.status };
  };
  const links = () => t.portico.services.db.manager.count(ExternalIdentityEntity);
  const state = async () => ({ ...(await t.snapshot()), links: await links() });

  it('reads the link once per token: the same token again costs only the look-up of the user', async () => {
    const token = await providerToken({ sub: ACME_ADMIN_SUBJECT });
    expect(ok(await send(token, VIEWER)).viewer.user.email).toBe('admin@acme.example');
    const { db } = t.portico.services;
    db.statements.reset();
    db.statements.record = true;
    try {
      expect(ok(await send(token, VIEWER)).viewer.user.email).toBe('admin@acme.example');
      expect(db.statements.statements.filter((sql) => /external_identities/.test(sql))).toEqual([]);
    } finally {
      db.statements.record = false;
    }
  });

  /** An invited user nobody has linked yet: the kind of user a first sign-in links. */
  async function invite(email: string): Promise<UserEntity> {
    const acme = await t.account('Acme Logistics');
    ok(await send(await providerToken({ sub: ACME_ADMIN_SUBJECT }), INVITE, { input: { accountId: acme.id, email, name: 'Newcomer', roles: ['FLEET_ADMINISTRATOR'] } }));
    return t.user(email);
  }

  it.each<{ title: string; token: () => Promise<TokenShape>; message: string }>([
    { title: 'the attack: another client of the provider, email ADMIN@PLATFORM.LOCAL, email_verified false', token: async () => ({ email: 'ADMIN@PLATFORM.LOCAL', email_verified: false, aud: 'another-client' }), message: 'the token is not valid' },
    { title: 'the same claims for the configured audience', token: async () => ({ email: 'ADMIN@PLATFORM.LOCAL', email_verified: false }), message: NOT_LINKED },
    { title: 'a verified email that is the operator\'s in upper case', token: async () => ({ email: 'ADMIN@PLATFORM.LOCAL', email_verified: true }), message: NOT_LINKED },
    { title: 'the exact email with email_verified false', token: async () => ({ email: (await invite(`unverified-${randomUUID().slice(0, 8)}@acme.example`)).email, email_verified: false }), message: NOT_LINKED },
    { title: 'the exact email with email_verified "true" (a string)', token: async () => ({ email: (await invite(`stringly-${randomUUID().slice(0, 8)}@acme.example`)).email, email_verified: 'true' }), message: NOT_LINKED },
    { title: 'the exact email, verified, with no email_verified claim at all', token: async () => ({ email: (await invite(`silent-${randomUUID().slice(0, 8)}@acme.example`)).email }), message: NOT_LINKED },
    { title: 'a verified email for another audience', token: async () => ({ email: (await invite(`audience-${randomUUID().slice(0, 8)}@acme.example`)).email, email_verified: true, aud: 'another-client' }), message: 'the token is not valid' },
    { title: 'a verified email from another issuer', token: async () => ({ email: (await invite(`issuer-${randomUUID().slice(0, 8)}@acme.example`)).email, email_verified: true, iss: 'https://evil.example/' }), message: 'the token is not valid' },
    { title: 'a verified email with no iss', token: async () => ({ email: (await invite(`noiss-${randomUUID().slice(0, 8)}@acme.example`)).email, email_verified: true, iss: null }), message: 'the token carries no iss claim' },
    { title: 'a verified email with no exp', token: async () => ({ email: (await invite(`noexp-${randomUUID().slice(0, 8)}@acme.example`)).email, email_verified: true, exp: false }), message: 'the token carries no exp claim' },
    {
      title: 'a suspended user\'s verified email',
      token: async () => {
        const user = await invite(`suspended-${randomUUID().slice(0, 8)}@acme.example`);
        await t.portico.services.db.manager.update(UserEntity, { id: user.id }, { status: 'SUSPENDED' });
        return { email: user.email, email_verified: true };
      },
      message: NOT_LINKED,
    },
    {
      title: 'a second identity for a user already linked',
      token: async () => {
        const user = await invite(`linked-${randomUUID().slice(0, 8)}@acme.example`);
        expect(ok(await send(await providerToken({ email: user.email, email_verified: true }), VIEWER)).viewer.user.email).toBe(user.email);
        return { email: user.email, email_verified: true };
      },
      message: NOT_LINKED,
    },
    { title: 'a verified email no user has', token: async () => ({ email: 'nobody@acme.example', email_verified: true }), message: NOT_LINKED },
  ])('$title: UNAUTHENTICATED, HTTP 401, nothing read and nothing changed', async ({ token, message }) => {
    const bearer = await providerToken(await token());
    const before = await state();
    const acme = await t.account('Acme Logistics');
    for (const [query, variables] of [
      [VIEWER, undefined],
      ['mutation($id: ID!) { setAccountStatus(id: $id, status: SUSPENDED) { status } }', { id: acme.id }],
    ] as const) {
      const result = await send(bearer, query, variables);
      expect(result.status).toBe(401);
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
      expect(result.errors![0].message).toBe(message);
      expect(result.data).toBeUndefined();
    }
    expect(await state()).toEqual(before);
  });

  it('links an invited user once, at a first sign-in with their verified email, and never reads the email claim again', async () => {
    const user = await invite(`first-${randomUUID().slice(0, 8)}@acme.example`);
    const subject = `idp-${randomUUID()}`;
    const audits = () => t.portico.services.db.manager.countBy(AuditEventEntity, { targetId: user.id, action: 'user.linkIdentity' });
    const before = await links();

    const first = ok(await send(await providerToken({ sub: subject, email: user.email, email_verified: true }), VIEWER));
    expect(first.viewer.user).toEqual({ email: user.email, status: 'ACTIVE' });
    expect(await links()).toBe(before + 1);
    expect(await audits()).toBe(1);
    expect(await t.portico.services.db.manager.findOneByOrFail(ExternalIdentityEntity, { userId: user.id })).toMatchObject({ issuer: ISSUER, subject });

    // The user's email changes; the same provider account still signs them in, whatever email it claims or not.
    const renamed = `renamed-${randomUUID().slice(0, 8)}@acme.example`;
    await t.portico.services.db.manager.update(UserEntity, { id: user.id }, { email: renamed });
    for (const claims of [{ email: user.email, email_verified: true }, { email: 'ADMIN@PLATFORM.LOCAL', email_verified: false }, {}]) {
      expect(ok(await send(await providerToken({ sub: subject, ...claims }), VIEWER)).viewer.user.email).toBe(renamed);
    }
    // Another provider account with the new address, verified: the user is linked already.
    const other = await send(await providerToken({ email: renamed, email_verified: true }), VIEWER);
    expect([other.status, codes(other), other.errors![0].message]).toEqual([401, ['UNAUTHENTICATED'], NOT_LINKED]);
    expect(await links()).toBe(before + 1);
    expect(await audits()).toBe(1);
  });

  it('links the bootstrap operator at their first verified sign-in, once, under concurrent first requests', async () => {
    const subject = `idp-${randomUUID()}`;
    const token = await providerToken({ sub: subject, email: OPERATOR, email_verified: true });
    const before = await links();
    const results = await Promise.all(Array.from({ length: 4 }, () => send(token, VIEWER)));
    for (const result of results) expect(ok(result).viewer.user.email).toBe(OPERATOR);
    expect(await links()).toBe(before + 1);
    const operator = await t.user(OPERATOR);
    expect(await t.portico.services.db.manager.findOneByOrFail(ExternalIdentityEntity, { userId: operator.id })).toMatchObject({ issuer: ISSUER, subject });
  });
});

describe('production start-up with an identity provider', () => {
  it.each([
    { title: 'without PORTICO_JWT_ISSUER', overrides: { jwtAudience: AUDIENCE }, message: /^PORTICO_JWT_ISSUER=\(unset\) is not valid: expected the identity provider's issuer \(iss\) when NODE_ENV=production with PORTICO_JWKS_URL$/ },
    { title: 'without PORTICO_JWT_AUDIENCE', overrides: { jwtIssuer: ISSUER }, message: /^PORTICO_JWT_AUDIENCE=\(unset\) is not valid: expected Portico's client id at the identity provider \(aud\) when NODE_ENV=production with PORTICO_JWKS_URL$/ },
  ])('refuses to start $title, before opening anything', async ({ overrides, message }) => {
    const config = { ...loadConfig({ NODE_ENV: 'test' }), environment: 'production' as const, port: 0, dataDir: '/nonexistent/portico', jwksUrl: 'https://idp.test/jwks.json', ...overrides };
    await expect(startPortico(config)).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(message) });
  });
});
