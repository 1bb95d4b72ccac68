// The contract between the gateway and its subgraphs: the context token (who calls) and the decisions token (what
// the gateway already decided for the request), their claims, and how a subgraph verifies them. The gateway signs
// them (src/identity/context-token.ts); test-vectors/ holds signed examples any language can check against.
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { VerifiedTokens } from './verified-tokens';

/** The header the gateway sends to downstream subgraphs in place of the client's own credentials. */
export const CONTEXT_HEADER = 'x-portico-context';
export const CONTEXT_ISSUER = 'portico-gateway';
/** Every context token is for one subgraph: its audience is this prefix and the subgraph's name. */
export const CONTEXT_AUDIENCE = 'portico-subgraph';

/** The audience of the context tokens signed for one subgraph, `portico-subgraph:<name>`. */
export const contextAudience = (subgraph: string): string => `${CONTEXT_AUDIENCE}:${subgraph}`;

/** The one algorithm of context and decisions tokens. */
export const CONTEXT_ALG = 'ES256';
/** How long a context token is valid. */
export const CONTEXT_TOKEN_LIFETIME_SECONDS = 60;

/**
 * What the gateway tells a subgraph about the caller: the user (`sub`, `email`) acting for account `acct` (its name
 * `acct_name` and type `acct_type`) with the rights `roles` held there (in a session, the rights granted); in an
 * impersonation session the partner user behind them (`act`, RFC 8693) and the session (`sid`); the scopes of the
 * client's token (`scope`) and the ids of the partner groups the caller belongs to (`groups`, left out when there are
 * none; never their names, which a rename changes). This is everything a subgraph learns of its caller: a context
 * token sent back to Portico answers `authorize` only.
 * Nothing in it names one request, so the gateway signs it once per caller and subgraph and reuses it (see
 * ContextTokens): the request goes beside it, in the `x-request-id` header.
 */
export interface ContextClaims {
  sub: string;
  acct: string;
  email?: string;
  /** The account's name and type (`PLATFORM`, `PARTNER`, `CUSTOMER`, …); left out by a gateway older than them. */
  acct_name?: string;
  acct_type?: string;
  /** The roles the caller holds in `acct` (in a session, the rights granted); left out by a gateway older than them. */
  roles?: string[];
  act?: { sub: string; acct?: string };
  sid?: string;
  scope?: string;
  groups?: string[];
}

/** The header beside the context token that carries the decisions the gateway made for the request. */
export const DECISIONS_HEADER = 'x-portico-decisions';
/** The issuer of a decisions token: not a context token's, so neither is ever taken for the other. */
export const DECISIONS_ISSUER = 'portico-gateway/decisions';
/** How long a decisions token is valid: it serves one request, sent the moment it is signed. */
export const DECISIONS_LIFETIME_SECONDS = 10;

/**
 * One decision the gateway made while checking a request, as `authorize` would answer it: `asked` is the
 * permission or action the check named (`permission` is the decision's own, the same for a permission).
 */
export interface HandedDecision {
  asked: string;
  permission: string;
  accountId: string;
  allowed: boolean;
  scope: string | null;
  reason: string;
}

/** The caller a decisions token is about (the context token's `sub`, `acct`, `act` and `sid`), and its request. */
export interface DecisionsSubject {
  sub: string;
  acct: string;
  act?: { sub: string; acct?: string };
  sid?: string;
  /** The gateway's request id (`x-request-id`): the token serves that request only. */
  rid: string;
}

/** Why a context token was refused: what a subgraph's log says, never what its client is told. */
export type RefusalReason = 'missing' | 'expired' | 'audience' | 'key' | 'issuer' | 'algorithm' | 'malformed' | 'claims';

/**
 * A context token refused. `message` is safe to show the client (it says only that the token is not valid, or has
 * expired); `reason` and `detail` say why, for the subgraph's own log.
 */
export class ContextTokenError extends Error {
  readonly code = 'UNAUTHENTICATED';
  constructor(
    message: string,
    readonly reason: RefusalReason,
    readonly detail: string,
  ) {
    super(message);
    this.name = 'ContextTokenError';
  }
}

export interface ContextVerifier {
  /** Throws ContextTokenError when the token is missing, forged, expired or not meant for a subgraph. */
  verify(token: string): Promise<ContextClaims>;
  /**
   * The decisions of a decisions token, when it is valid, meant for this subgraph, about the caller the context
   * token names and for request `requestId`; undefined otherwise (the subgraph then asks Portico).
   */
  verifyDecisions(token: string, claims: ContextClaims, requestId: string): Promise<HandedDecision[] | undefined>;
}

const NOT_VALID = 'the context token is not valid';

/** What jose's refusal of a token means for its sender. */
function refusal(error: unknown): ContextTokenError {
  if (error instanceof errors.JWTExpired) return new ContextTokenError('the context token has expired', 'expired', `it expired at ${new Date(Number(error.payload.exp) * 1000).toISOString()}`);
  if (error instanceof errors.JWKSNoMatchingKey) return new ContextTokenError(NOT_VALID, 'key', 'it is signed with a key (kid) the gateway does not publish');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new ContextTokenError(NOT_VALID, 'key', "its signature does not verify with the gateway's published key");
  if (error instanceof errors.JOSEAlgNotAllowed) return new ContextTokenError(NOT_VALID, 'algorithm', `it is not signed with ${CONTEXT_ALG}`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'iss'
      ? new ContextTokenError(NOT_VALID, 'issuer', `its issuer is not ${CONTEXT_ISSUER}`)
      : new ContextTokenError(NOT_VALID, 'claims', `its ${error.claim} claim is missing or wrong (${error.reason})`);
  }
  return new ContextTokenError(NOT_VALID, 'malformed', `it is not a signed JWT (${(error as Error).message})`);
}

/**
 * Who a verifier accepts tokens for: a subgraph accepts only its own (`{ subgraph: name }`); Portico itself, to which
 * its subgraphs send their callers' tokens back for decisions, accepts those of the subgraphs of the supergraph it
 * runs (`{ subgraphs: names }`), and no other.
 */
export type ContextAudience = { subgraph: string } | { subgraphs: Iterable<string> };

/** Verifies context tokens against the gateway's published keys (fetched once and cached) or a given key set. */
export function contextVerifier(source: { jwksUrl: string } | { jwks: { keys: JWK[] } }, audience: ContextAudience): ContextVerifier {
  const keys = 'jwksUrl' in source ? createRemoteJWKSet(new URL(source.jwksUrl)) : createLocalJWKSet(source.jwks);
  const verified = new VerifiedTokens<ContextClaims>();
  const own = 'subgraph' in audience ? undefined : new Set([...audience.subgraphs].map(contextAudience));
  const accepts = (aud: unknown): boolean => typeof aud === 'string' && (own ? own.has(aud) : aud === contextAudience((audience as { subgraph: string }).subgraph));
  return {
    async verify(token: string): Promise<ContextClaims> {
      if (typeof token !== 'string' || token === '') throw new ContextTokenError('the request carries no context token', 'missing', 'no x-portico-context header');
      const known = verified.get(token);
      if (known) return known;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, { issuer: CONTEXT_ISSUER, algorithms: [CONTEXT_ALG], requiredClaims: ['exp', 'sub', 'aud'] }));
      } catch (error) {
        throw refusal(error);
      }
      // Exactly one audience: a token naming several subgraphs would replay to each of them.
      if (!accepts(payload.aud)) throw new ContextTokenError(NOT_VALID, 'audience', `it is for ${JSON.stringify(payload.aud)}, and this verifier accepts ${own ? [...own].join(', ') : contextAudience((audience as { subgraph: string }).subgraph)} (the subgraph name given to the kit must be the one in PORTICO_SUBGRAPHS)`);
      const claims = toClaims(payload);
      verified.set(token, claims, payload.exp);
      return claims;
    },
    async verifyDecisions(token, claims, requestId) {
      // Only a subgraph takes decisions: Portico itself makes them.
      if (!('subgraph' in audience) || typeof token !== 'string' || token === '') return undefined;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, { issuer: DECISIONS_ISSUER, audience: contextAudience(audience.subgraph), algorithms: [CONTEXT_ALG], requiredClaims: ['exp', 'sub', 'aud'] }));
      } catch {
        return undefined;
      }
      if (payload.aud !== contextAudience(audience.subgraph) || payload.rid !== requestId || !sameCaller(payload, claims)) return undefined;
      const entries = payload.dec;
      if (!Array.isArray(entries)) return undefined;
      const decisions = entries.map(handedDecision);
      return decisions.every((d): d is HandedDecision => d !== undefined) ? decisions : undefined;
    },
  };
}

/** A decision as a decisions token carries it: `[asked, accountId, allowed, scope, reason]`, and the decision's own permission when it differs. */
export type DecisionEntry = [string, string, boolean, string | null, string] | [string, string, boolean, string | null, string, string];

export function decisionEntry(d: HandedDecision): DecisionEntry {
  return d.permission === d.asked ? [d.asked, d.accountId, d.allowed, d.scope, d.reason] : [d.asked, d.accountId, d.allowed, d.scope, d.reason, d.permission];
}

function handedDecision(entry: unknown): HandedDecision | undefined {
  if (!Array.isArray(entry) || (entry.length !== 5 && entry.length !== 6)) return undefined;
  const [asked, accountId, allowed, scope, reason, permission = asked] = entry as unknown[];
  if (typeof asked !== 'string' || typeof accountId !== 'string' || typeof allowed !== 'boolean' || (scope !== null && typeof scope !== 'string') || typeof reason !== 'string' || typeof permission !== 'string') return undefined;
  return { asked, permission, accountId, allowed, scope, reason };
}

/** The decisions token names the very caller of the context token: user, account, acting partner user and session. */
function sameCaller(payload: JWTPayload, claims: ContextClaims): boolean {
  const act = payload.act as { sub?: unknown; acct?: unknown } | undefined;
  return (
    payload.sub === claims.sub &&
    payload.acct === claims.acct &&
    payload.sid === claims.sid &&
    (act === undefined ? claims.act === undefined : typeof act === 'object' && act !== null && act.sub === claims.act?.sub && act.acct === claims.act?.acct)
  );
}

function toClaims(payload: JWTPayload): ContextClaims {
  const { sub, acct, email, act, sid, scope, groups, acct_name, acct_type, roles } = payload as Record<string, unknown>;
  if (typeof sub !== 'string' || sub === '' || typeof acct !== 'string' || acct === '') {
    throw new ContextTokenError('the context token names no user or account', 'claims', 'it names no user or account');
  }
  const claims: ContextClaims = { sub, acct };
  if (typeof email === 'string') claims.email = email;
  if (typeof acct_name === 'string') claims.acct_name = acct_name;
  if (typeof acct_type === 'string') claims.acct_type = acct_type;
  if (roles !== undefined) {
    if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) throw new ContextTokenError('the context token names its roles wrongly', 'claims', 'it names its roles wrongly');
    claims.roles = [...(roles as string[])];
  }
  if (typeof sid === 'string') claims.sid = sid;
  if (typeof scope === 'string') claims.scope = scope;
  if (groups !== undefined) {
    if (!Array.isArray(groups) || !groups.every((id) => typeof id === 'string' && id !== '')) throw new ContextTokenError('the context token names its partner groups wrongly', 'claims', 'it names its partner groups wrongly');
    claims.groups = [...(groups as string[])];
  }
  if (act !== undefined && act !== null) {
    const actor = act as Record<string, unknown>;
    if (typeof actor !== 'object' || typeof actor.sub !== 'string') throw new ContextTokenError('the context token names no acting user', 'claims', 'it names no acting user');
    claims.act = typeof actor.acct === 'string' ? { sub: actor.sub, acct: actor.acct } : { sub: actor.sub };
  }
  return claims;
}

