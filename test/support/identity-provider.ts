import { exportJWK, generateKeyPair } from 'jose';
import { createServer } from 'http';
import type { AddressInfo } from 'net';
import type { DevKeyPair } from '../../src/identity';

/** An identity provider's JWKS endpoint on loopback, for Portico in production mode, where the development key is refused. */
export interface TestIdentityProvider {
  jwksUrl: string;
  /** The provider's signing key, shaped like the development key so `signDevToken` signs with it. */
  keys: DevKeyPair;
  stop(): Promise<void>;
}

export async function startTestIdentityProvider(): Promise<TestIdentityProvider> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = 'test-idp-1';
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    keys: { privateKey, publicKey, kid },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
