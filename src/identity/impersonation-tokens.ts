import { importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import { DEV_AUDIENCE, loadOrCreateDevKeys, type DevKeyPair } from './dev-keys';

/** The issuer of the tokens Portico signs itself: impersonation sessions. */
export const PORTICO_ISSUER = 'portico';

/** Portico's own key pair: the configured key, else the one kept under the data directory. */
export async function loadSigningKeys(dataDir: string, privateJwk?: string): Promise<DevKeyPair> {
  if (!privateJwk) return loadOrCreateDevKeys(dataDir);
  const jwk = JSON.parse(privateJwk) as JWK & { kid?: string };
  const { d: _private, ...publicJwk } = jwk;
  return {
    privateKey: (await importJWK(jwk, 'ES256')) as KeyLike,
    publicKey: (await importJWK(publicJwk, 'ES256')) as KeyLike,
    kid: jwk.kid ?? 'portico',
  };
}

export interface ImpersonationTokenInput {
  sessionId: string;
  actor: { id: string; email: string; accountId: string };
  customerAccountId: string;
  expiresAt: Date;
}

/**
 * A session token: `sub` is the acting partner user, `act` (RFC 8693) names them as the actor, `sid` the session
 * and `acct` the customer account the session is limited to. It is worth nothing once the session or its grant
 * ends: every request checks both in the database.
 */
export async function signImpersonationToken(keys: DevKeyPair, input: ImpersonationTokenInput): Promise<string> {
  return new SignJWT({
    email: input.actor.email,
    act: { sub: input.actor.id, email: input.actor.email, acct: input.actor.accountId },
    sid: input.sessionId,
    acct: input.customerAccountId,
  })
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'JWT' })
    .setSubject(input.actor.id)
    .setIssuer(PORTICO_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(input.expiresAt.getTime() / 1000))
    .sign(keys.privateKey);
}
