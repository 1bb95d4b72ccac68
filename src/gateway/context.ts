import type { IncomingMessage } from 'http';
import type { JWTPayload } from 'jose';
import { RequestContext, type Services } from '../domain/context';
import { loadPrincipal, type Principal } from '../domain/principal';
import { CONTEXT_HEADER, contextVerifier, type ContextClaims, type ContextSigner, type ContextVerifier } from '../identity/context-token';
import { TokenVerifier, type Identity } from '../identity';

/** What one request through the gateway carries: the access-control request context and the token's scopes. */
export interface GatewayContext {
  portico: RequestContext;
  /** The `scope` claim of the caller's token, for @requiresScopes. */
  scopes: ReadonlySet<string>;
  /** The context token sent to downstream subgraphs for this caller; undefined for an anonymous caller. */
  contextToken(): Promise<string | undefined>;
}

/** The scopes of a token: OAuth's space-separated `scope`, or an `scp` list as some providers send. */
export function scopesOf(claims: JWTPayload | ContextClaims): Set<string> {
  const { scope, scp } = claims as { scope?: unknown; scp?: unknown };
  const list = typeof scope === 'string' ? scope.split(/\s+/) : Array.isArray(scp) ? scp : typeof scp === 'string' ? scp.split(/\s+/) : [];
  return new Set(list.filter((s): s is string => typeof s === 'string' && s !== ''));
}

/** The claims a context token carries for a principal: who, for which account, on whose behalf, in which session. */
export function contextClaimsOf(principal: Principal, scopes: ReadonlySet<string>): ContextClaims {
  const claims: ContextClaims = { sub: principal.user.id, acct: principal.account.id, email: principal.user.email };
  if (principal.actor) claims.act = { sub: principal.actor.id, acct: principal.actor.accountId };
  const sessionId = principal.facts.impersonation?.sessionId;
  if (sessionId) claims.sid = sessionId;
  if (scopes.size > 0) claims.scope = [...scopes].join(' ');
  return claims;
}

/** Reuse a signed token for this long (of its 60 s): one signature per caller and half-minute, not per request. */
const TOKEN_REUSE_MS = 30_000;
const TOKEN_CACHE_SIZE = 10_000;

/** Signs context tokens, reusing a recent one for the same claims. */
export class ContextTokens {
  private readonly recent = new Map<string, { token: Promise<string>; until: number }>();

  constructor(readonly signer: ContextSigner) {}

  sign(claims: ContextClaims): Promise<string> {
    const key = JSON.stringify(claims);
    const now = Date.now();
    const cached = this.recent.get(key);
    if (cached && cached.until > now) return cached.token;
    const token = this.signer.sign(claims);
    if (this.recent.size >= TOKEN_CACHE_SIZE) this.recent.clear();
    this.recent.set(key, { token, until: now + TOKEN_REUSE_MS });
    token.catch(() => this.recent.delete(key));
    return token;
  }
}

export interface IdentityResolver {
  /** The caller's principal and token scopes, from `Authorization: Bearer` or, without one, a gateway context token. */
  resolve(req: IncomingMessage, requestId: string): Promise<{ principal: Principal | null; scopes: Set<string> }>;
}

/**
 * Reads who is calling. A bearer token from the identity provider comes first; a context token this gateway
 * signed (what downstream subgraphs forward when they call back for decisions) is accepted in its place.
 */
export function identityResolver(services: Services, bearer: TokenVerifier, signer: ContextSigner): IdentityResolver {
  const contextTokens: ContextVerifier = contextVerifier({ jwks: signer.jwks() });
  return {
    async resolve(req, requestId) {
      const token = TokenVerifier.bearer(req.headers.authorization);
      let identity: Identity | undefined;
      if (token) identity = await bearer.verify(token);
      else {
        const forwarded = req.headers[CONTEXT_HEADER];
        if (typeof forwarded === 'string' && forwarded !== '') {
          const claims = await contextTokens.verify(forwarded);
          // A forwarded session keeps its limits: the principal is rebuilt from the session, checked again now.
          identity = { subject: claims.sub, claims: claims as unknown as JWTPayload, impersonationSessionId: claims.sid };
        }
      }
      if (!identity) return { principal: null, scopes: new Set() };
      const principal = await loadPrincipal(services.db, services.engine, identity, requestId);
      return { principal, scopes: scopesOf(identity.claims) };
    },
  };
}

export function gatewayContext(services: Services, requestId: string, principal: Principal | null, scopes: Set<string>, tokens: ContextTokens): GatewayContext {
  let token: Promise<string | undefined> | undefined;
  return {
    portico: new RequestContext(services, requestId, principal),
    scopes,
    contextToken: () => (token ??= principal ? tokens.sign(contextClaimsOf(principal, scopes)) : Promise.resolve(undefined)),
  };
}
