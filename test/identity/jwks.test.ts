import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { TokenVerifier } from '../../src/identity';

/** An OIDC provider's JWKS endpoint on loopback. */
describe('bearer tokens from an identity provider (JWKS)', () => {
  let server: Server;
  let url: string;
  let providerKey: KeyLike;
  let otherKey: KeyLike;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    providerKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'provider-1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sign = (key: KeyLike, claims: Record<string, unknown>, issuer = 'https://idp.example') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'provider-1' }).setIssuer(issuer).setAudience('portal').setIssuedAt().setExpirationTime('5m').sign(key);

  it('accepts a token signed by the provider and reads who it is there: issuer, subject and what it says of the email', async () => {
    const verifier = new TokenVerifier({ jwksUrl: url, issuer: 'https://idp.example', audience: 'portal' });
    const identity = await verifier.verify(await sign(providerKey, { sub: 'user-1', email: 'a@b.example', email_verified: true }));
    expect(identity.external).toEqual({ issuer: 'https://idp.example', subject: 'user-1', email: 'a@b.example', emailVerified: true, mayLink: true });
  });

  it('never lets a token link an identity unless its issuer and audience were checked', async () => {
    const verifier = new TokenVerifier({ jwksUrl: url });
    expect((await verifier.verify(await sign(providerKey, { sub: 'user-2', email: 'a@b.example', email_verified: true }))).external?.mayLink).toBe(false);
  });

  it('refuses a token without sub: an email claim alone is nobody', async () => {
    const verifier = new TokenVerifier({ jwksUrl: url });
    await expect(verifier.verify(await sign(providerKey, { email: 'only@mail.example' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'the token carries no sub claim' });
  });

  it.each([
    { title: 'a token signed by another key', make: () => sign(otherKey, { sub: 'user-1' }), message: "the token is not valid: its signature matches none of the identity provider's keys (PORTICO_JWKS_URL)" },
    { title: 'a token from another issuer', make: () => sign(providerKey, { sub: 'user-1' }, 'https://evil.example'), message: 'the token is not valid' },
  ])('refuses $title', async ({ make, message }) => {
    const verifier = new TokenVerifier({ jwksUrl: url, issuer: 'https://idp.example', audience: 'portal' });
    await expect(verifier.verify(await make())).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message });
  });
});
