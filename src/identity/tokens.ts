import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import { DEV_AUDIENCE, DEV_ISSUER, type DevKeyPair } from './dev-keys';
import { AuthenticationError } from './errors';
import { PORTICO_ISSUER } from './impersonation-tokens';
import { VerifiedTokens } from 'portico-kit';

/**
 * Who a verified token says the caller is. Portico's own tokens (development and impersonation) name a user id in
 * `subject`; an identity provider's token names an account of the provider, mapped to a user only through a stored
 * external identity.
 */
export interface Identity {
  subject: string;
  claims: JWTPayload;
  /** Set only for a session token Portico issued itself: the impersonation session the request runs in. */
  impersonationSessionId?: string;
  /** Set for an identity provider's token: who it is there, and what it says about their email (read only to link once). */
  external?: ExternalIdentity;
}

export interface ExternalIdentity {
  issuer: string;
  subject: string;
  email?: string;
  emailVerified: boolean;
  /** The token's issuer and audience were both checked against configuration: only then may it make a link. */
  mayLink: boolean;
  /**
   * The user this identity is linked to, once read: kept with the verified token (at most a minute), since a link
   * never changes once made; a removed user is still refused, by the look-up of the user itself.
   */
  linkedUserId?: string;
}

export interface TokenVerifierOptions {
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  devKeys?: DevKeyPair;
  /** Portico's own key, which signs impersonation tokens. */
  ownKeys?: DevKeyPair;
}

const ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'];

/** Verifies `Authorization: Bearer` tokens against a JWKS (any OIDC provider) or the development key. */
export class TokenVerifier {
  private readonly key: ReturnType<typeof createRemoteJWKSet> | KeyLike;
  private readonly issuer?: string;
  private readonly audience?: string;
  private readonly ownKey?: KeyLike;
  /** The development key's id, named when a token signed by another key is refused. */
  private readonly devKid?: string;
  /** Tokens are an identity provider's (JWKS), not Portico's development tokens. */
  private readonly fromProvider: boolean;
  private readonly verified = new VerifiedTokens<Identity>();

  constructor(options: TokenVerifierOptions) {
    this.ownKey = (options.ownKeys ?? options.devKeys)?.publicKey;
    this.fromProvider = Boolean(options.jwksUrl);
    if (options.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(options.jwksUrl));
      this.issuer = options.issuer;
      this.audience = options.audience;
    } else if (options.devKeys) {
      this.key = options.devKeys.publicKey;
      this.devKid = options.devKeys.kid;
      this.issuer = options.issuer ?? DEV_ISSUER;
      this.audience = options.audience ?? DEV_AUDIENCE;
    } else {
      throw new Error('a JWKS URL or a development key is required');
    }
  }

  /** Reads the bearer token of an Authorization header; undefined when there is none. */
  static bearer(header: string | undefined): string | undefined {
    if (header === undefined || header === '') return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AuthenticationError('the Authorization header must be "Bearer <token>"');
    return match[1];
  }

  async verify(token: string): Promise<Identity> {
    const known = this.verified.get(token);
    if (known) return known;
    const identity = await this.verifySignature(token);
    this.verified.set(token, identity, identity.claims.exp);
    return identity;
  }

  private async verifySignature(token: string): Promise<Identity> {
    try {
      if (this.isPorticoIssued(token)) return await this.verifySession(token);
      // A token without `exp` would be good forever: refused, whoever signed it.
      const { payload } = await jwtVerify(token, this.key as KeyLike, { issuer: this.issuer, audience: this.audience, algorithms: ALGORITHMS, requiredClaims: ['exp', 'iss', 'sub'] });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthenticationError('the token names no subject');
      // An identity provider's own `sid` (its login session) means nothing here: only Portico's tokens carry sessions.
      if (!this.fromProvider) return { subject: payload.sub, claims: payload };
      const email = typeof payload.email === 'string' ? payload.email : undefined;
      return {
        subject: payload.sub,
        claims: payload,
        external: { issuer: payload.iss!, subject: payload.sub, email, emailVerified: payload.email_verified === true, mayLink: this.issuer !== undefined && this.audience !== undefined },
      };
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      if (error instanceof errors.JWTExpired) throw new AuthenticationError('the token has expired');
      if (error instanceof errors.JWTClaimValidationFailed && error.reason === 'missing') throw new AuthenticationError(`the token carries no ${error.claim} claim`);
      // Say which key it was checked against: a development token minted for another data directory is the usual case.
      if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
        throw new AuthenticationError(this.fromProvider ? "the token is not valid: its signature matches none of the identity provider's keys (PORTICO_JWKS_URL)" : this.otherKeyMessage(token));
      }
      throw new AuthenticationError('the token is not valid');
    }
  }

  /** A development token this key did not sign: most often minted in another data directory, which has a key of its own. */
  private otherKeyMessage(token: string): string {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      kid = undefined;
    }
    const which = typeof kid === 'string' && kid !== this.devKid && /^[\w-]{1,64}$/.test(kid) ? ` (key ${kid}; this server's is ${this.devKid})` : '';
    return `the token is not valid: it was signed by another key${which}, as a token minted in another data directory is; mint one with npm run token with the server's PORTICO_POLICY and PORTICO_DATA_DIR`;
  }

  private isPorticoIssued(token: string): boolean {
    try {
      return decodeJwt(token).iss === PORTICO_ISSUER;
    } catch {
      return false;
    }
  }

  /** An impersonation token: signed with Portico's own key, naming its actor and session. */
  private async verifySession(token: string): Promise<Identity> {
    if (!this.ownKey) throw new AuthenticationError('the token is not valid');
    const { payload } = await jwtVerify(token, this.ownKey, { issuer: PORTICO_ISSUER, audience: DEV_AUDIENCE, algorithms: ['ES256'], requiredClaims: ['exp'] });
    const actor = payload.act as { sub?: unknown } | undefined;
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || actor?.sub !== payload.sub) throw new AuthenticationError('the token is not valid');
    return { subject: payload.sub, claims: payload, impersonationSessionId: payload.sid };
  }
}

/** Signs a development token for a user; used by `npm run token` and the tests. */
export async function signDevToken(keys: DevKeyPair, user: { id: string; email: string }, lifetime = '12h', extra: JWTPayload = {}): Promise<string> {
  return new SignJWT({ email: user.email, ...extra })
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'JWT' })
    .setSubject(user.id)
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(lifetime)
    .sign(keys.privateKey);
}
