import { existsSync, mkdtempSync, readFileSync } from 'fs';
import { createServer, type Server } from 'http';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  CONTEXT_AUDIENCE,
  CONTEXT_ISSUER,
  contextVerifier,
  loadOrCreateContextSigner,
  type ContextClaims,
  type ContextSigner,
} from '../../src/identity/context-token';
import { AuthenticationError } from '../../src/identity/errors';

const claims: ContextClaims = {
  sub: 'user-1',
  acct: 'account-1',
  email: 'ada@example.test',
  act: { sub: 'partner-user', acct: 'partner-account' },
  sid: 'session-1',
  scope: 'read:tickets',
};

function b64url(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

async function refusal(promise: Promise<unknown>): Promise<{ name: string; code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    return { name: error.name, code: error.code, message: error.message };
  }
  throw new Error('the token was accepted');
}

const TICKETS = { subgraph: 'tickets' };

describe('context tokens', () => {
  let dataDir: string;
  let signer: ContextSigner;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portico-context-'));
    signer = await loadOrCreateContextSigner(dataDir);
  });

  it('a token the gateway signed verifies and yields its claims', async () => {
    const verifier = contextVerifier({ jwks: signer.jwks() }, TICKETS);
    await expect(verifier.verify(await signer.sign(claims, 'tickets'))).resolves.toEqual(claims);
  });

  it('optional claims are left out when absent', async () => {
    const verifier = contextVerifier({ jwks: signer.jwks() }, TICKETS);
    await expect(verifier.verify(await signer.sign({ sub: 'u', acct: 'a' }, 'tickets'))).resolves.toEqual({ sub: 'u', acct: 'a' });
  });

  it('the key is created once under the data directory and reused', async () => {
    const file = join(dataDir, 'context-signing-key.json');
    expect(existsSync(file)).toBe(true);
    const again = await loadOrCreateContextSigner(dataDir);
    expect(again.jwks()).toEqual(signer.jwks());
    await expect(contextVerifier({ jwks: signer.jwks() }, TICKETS).verify(await again.sign(claims, 'tickets'))).resolves.toEqual(claims);
    // the published key set holds no private part
    expect(JSON.stringify(signer.jwks())).not.toContain('"d"');
    expect(JSON.parse(readFileSync(file, 'utf8')).d).toEqual(expect.any(String));
  });

  it('a private JWK given in configuration is used instead of the file', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'configured' };
    const configured = await loadOrCreateContextSigner(mkdtempSync(join(tmpdir(), 'portico-context-')), JSON.stringify(jwk));
    expect(configured.jwks().keys[0].kid).toBe('configured');
    await expect(contextVerifier({ jwks: configured.jwks() }, TICKETS).verify(await configured.sign(claims, 'tickets'))).resolves.toEqual(claims);
    await expect(loadOrCreateContextSigner(dataDir, '{"kty":"oct","k":"c2VjcmV0"}')).rejects.toThrow('private EC P-256');
  });

  it('tokens live sixty seconds', async () => {
    const token = await signer.sign(claims, 'tickets');
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as JWTPayload;
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload).toMatchObject({ iss: CONTEXT_ISSUER, aud: 'portico-subgraph:tickets', sub: 'user-1', acct: 'account-1' });
  });

  it('verifies against a JWKS URL, fetching the keys once', async () => {
    let fetches = 0;
    const server: Server = createServer((_req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(signer.jwks()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const verifier = contextVerifier({ jwksUrl: `http://127.0.0.1:${port}/.well-known/portico/context-jwks.json` }, TICKETS);
      for (let i = 0; i < 3; i += 1) await expect(verifier.verify(await signer.sign(claims, 'tickets'))).resolves.toEqual(claims);
      expect(fetches).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('refusals', () => {
    const signWith = async (key: CryptoKeyLike, payload: JWTPayload, options: { iss?: string; aud?: string; exp?: string | number; kid?: string } = {}) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? signer.jwks().keys[0].kid })
        .setSubject('user-1')
        .setIssuer(options.iss ?? CONTEXT_ISSUER)
        .setAudience(options.aud ?? `${CONTEXT_AUDIENCE}:tickets`)
        .setIssuedAt()
        .setExpirationTime(options.exp ?? '60s')
        .sign(key);
    type CryptoKeyLike = Parameters<SignJWT['sign']>[0];
    let ownKey: CryptoKeyLike;

    beforeAll(async () => {
      const jwk = JSON.parse(readFileSync(join(dataDir, 'context-signing-key.json'), 'utf8'));
      const { importJWK } = await import('jose');
      ownKey = (await importJWK(jwk, 'ES256')) as CryptoKeyLike;
    });

    it.each([
      {
        title: 'expired',
        token: () => signWith(ownKey, { acct: 'account-1' }, { exp: Math.floor(Date.now() / 1000) - 120 }),
        message: 'the context token has expired',
      },
      { title: 'wrong issuer', token: () => signWith(ownKey, { acct: 'account-1' }, { iss: 'portico-dev' }), message: 'the context token is not valid' },
      { title: 'wrong audience', token: () => signWith(ownKey, { acct: 'account-1' }, { aud: 'portico' }), message: 'the context token is not valid' },
      { title: 'signed for another subgraph', token: () => signer.sign(claims, 'billing'), message: 'the context token is not valid' },
      { title: 'the audience every subgraph shared before', token: () => signWith(ownKey, { acct: 'account-1' }, { aud: CONTEXT_AUDIENCE }), message: 'the context token is not valid' },
      {
        title: 'signed with another key under the same kid',
        token: async () => signWith((await generateKeyPair('ES256')).privateKey, { acct: 'account-1' }),
        message: 'the context token is not valid',
      },
      {
        title: 'alg none',
        token: async () =>
          `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'user-1', acct: 'account-1', iss: CONTEXT_ISSUER, aud: `${CONTEXT_AUDIENCE}:tickets`, exp: Math.floor(Date.now() / 1000) + 60 })}.`,
        message: 'the context token is not valid',
      },
      {
        title: 'tampered payload',
        token: async () => {
          const [header, , signature] = (await signer.sign(claims, 'tickets')).split('.');
          const forged = { ...claims, acct: 'someone-elses-account', iss: CONTEXT_ISSUER, aud: `${CONTEXT_AUDIENCE}:tickets`, exp: Math.floor(Date.now() / 1000) + 60 };
          return `${header}.${b64url(forged)}.${signature}`;
        },
        message: 'the context token is not valid',
      },
      { title: 'no account claim', token: () => signWith(ownKey, {}), message: 'the context token names no user or account' },
      { title: 'not a JWT', token: async () => 'not-a-token', message: 'the context token is not valid' },
      { title: 'empty', token: async () => '', message: 'the request carries no context token' },
    ])('$title → UNAUTHENTICATED', async ({ token, message }) => {
      const verifier = contextVerifier({ jwks: signer.jwks() }, TICKETS);
      await expect(refusal(verifier.verify(await token()))).resolves.toEqual({ name: 'AuthenticationError', code: 'UNAUTHENTICATED', message });
    });
  });
});
