import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import { join } from 'path';
import { AuthenticationError } from './errors';
import { VerifiedTokens } from './verified-tokens';

/** The header the gateway sends to downstream subgraphs in place of the client's own credentials. */
export const CONTEXT_HEADER = 'x-portico-context';
export const CONTEXT_ISSUER = 'portico-gateway';
/** Every context token is for one subgraph: its audience is this prefix and the subgraph's name. */
export const CONTEXT_AUDIENCE = 'portico-subgraph';

/** The audience of the context tokens signed for one subgraph, `portico-subgraph:<name>`. */
export const contextAudience = (subgraph: string): string => `${CONTEXT_AUDIENCE}:${subgraph}`;

const ALG = 'ES256';
/** How long a context token is valid. */
export const CONTEXT_TOKEN_LIFETIME_SECONDS = 60;
const KEY_FILE = 'context-signing-key.json';

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

export interface ContextSigner {
  /** Signs the claims for one subgraph only: another subgraph refuses the token. */
  sign(claims: ContextClaims, subgraph: string): Promise<string>;
  /** Signs the decisions made for one request of this caller, for one subgraph only. */
  signDecisions(subject: DecisionsSubject, decisions: readonly HandedDecision[], subgraph: string): Promise<string>;
  jwks(): { keys: JWK[] };
}

export interface ContextVerifier {
  /** Throws AuthenticationError when the token is missing, forged, expired or not meant for a subgraph. */
  verify(token: string): Promise<ContextClaims>;
  /**
   * The decisions of a decisions token, when it is valid, meant for this subgraph, about the caller the context
   * token names and for request `requestId`; undefined otherwise (the subgraph then asks Portico).
   */
  verifyDecisions(token: string, claims: ContextClaims, requestId: string): Promise<HandedDecision[] | undefined>;
}

/**
 * The gateway's signer for context tokens: ES256, short-lived (60 s). The key comes from a private JWK (JSON string)
 * when given, so several gateway instances sign alike; otherwise it is created once under the data directory.
 */
export async function loadOrCreateContextSigner(dataDir: string, privateJwk?: string): Promise<ContextSigner> {
  const jwk = privateJwk !== undefined ? parsePrivateJwk(privateJwk) : await loadOrCreateKeyFile(dataDir);
  const kid = jwk.kid ?? `context-${Date.now().toString(36)}`;
  const privateKey = (await importJWK({ ...jwk, alg: ALG }, ALG)) as KeyLike;
  const { d: _private, ...rest } = jwk;
  const publicJwk: JWK = { ...rest, alg: ALG, use: 'sig', kid };
  /** A token for one subgraph (its audience), from this issuer, about `sub`, valid for `seconds`. */
  const signFor = (payload: JWTPayload, sub: string, issuer: string, subgraph: string, seconds: number): Promise<string> =>
    new SignJWT(payload).setProtectedHeader({ alg: ALG, kid, typ: 'JWT' }).setSubject(sub).setIssuer(issuer).setAudience(contextAudience(subgraph)).setIssuedAt().setExpirationTime(`${seconds}s`).sign(privateKey);
  return {
    async sign(claims: ContextClaims, subgraph: string): Promise<string> {
      const { sub, ...others } = claims;
      const payload: JWTPayload = {};
      for (const [name, value] of Object.entries(others)) if (value !== undefined) payload[name] = value;
      return signFor(payload, sub, CONTEXT_ISSUER, subgraph, CONTEXT_TOKEN_LIFETIME_SECONDS);
    },
    async signDecisions({ sub, ...subject }, decisions, subgraph): Promise<string> {
      const payload: JWTPayload = { acct: subject.acct, rid: subject.rid, dec: decisions.map(decisionEntry) };
      if (subject.act) payload.act = subject.act;
      if (subject.sid) payload.sid = subject.sid;
      return signFor(payload, sub, DECISIONS_ISSUER, subgraph, DECISIONS_LIFETIME_SECONDS);
    },
    jwks: () => ({ keys: [{ ...publicJwk }] }),
  };
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
      if (typeof token !== 'string' || token === '') throw new AuthenticationError('the request carries no context token');
      const known = verified.get(token);
      if (known) return known;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, { issuer: CONTEXT_ISSUER, algorithms: [ALG], requiredClaims: ['exp', 'sub', 'aud'] }));
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw new AuthenticationError('the context token has expired');
        throw new AuthenticationError('the context token is not valid');
      }
      // Exactly one audience: a token naming several subgraphs would replay to each of them.
      if (!accepts(payload.aud)) throw new AuthenticationError('the context token is not valid');
      const claims = toClaims(payload);
      verified.set(token, claims, payload.exp);
      return claims;
    },
    async verifyDecisions(token, claims, requestId) {
      // Only a subgraph takes decisions: Portico itself makes them.
      if (!('subgraph' in audience) || typeof token !== 'string' || token === '') return undefined;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, { issuer: DECISIONS_ISSUER, audience: contextAudience(audience.subgraph), algorithms: [ALG], requiredClaims: ['exp', 'sub', 'aud'] }));
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
type DecisionEntry = [string, string, boolean, string | null, string] | [string, string, boolean, string | null, string, string];

function decisionEntry(d: HandedDecision): DecisionEntry {
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
    throw new AuthenticationError('the context token names no user or account');
  }
  const claims: ContextClaims = { sub, acct };
  if (typeof email === 'string') claims.email = email;
  if (typeof acct_name === 'string') claims.acct_name = acct_name;
  if (typeof acct_type === 'string') claims.acct_type = acct_type;
  if (roles !== undefined) {
    if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) throw new AuthenticationError('the context token names its roles wrongly');
    claims.roles = [...(roles as string[])];
  }
  if (typeof sid === 'string') claims.sid = sid;
  if (typeof scope === 'string') claims.scope = scope;
  if (groups !== undefined) {
    if (!Array.isArray(groups) || !groups.every((id) => typeof id === 'string' && id !== '')) throw new AuthenticationError('the context token names its partner groups wrongly');
    claims.groups = [...(groups as string[])];
  }
  if (act !== undefined && act !== null) {
    const actor = act as Record<string, unknown>;
    if (typeof actor !== 'object' || typeof actor.sub !== 'string') throw new AuthenticationError('the context token names no acting user');
    claims.act = typeof actor.acct === 'string' ? { sub: actor.sub, acct: actor.acct } : { sub: actor.sub };
  }
  return claims;
}

function parsePrivateJwk(text: string): JWK {
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new Error('the context signing key is not a JSON Web Key');
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
    throw new Error('the context signing key must be a private EC P-256 JSON Web Key (ES256)');
  }
  return jwk;
}

async function loadOrCreateKeyFile(dataDir: string): Promise<JWK> {
  const file = join(dataDir, KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), alg: ALG, kid: `context-${Date.now().toString(36)}` };
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, JSON.stringify(jwk, null, 2), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // another instance sharing the data directory created it first: use theirs
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return parsePrivateJwk(readFileSync(file, 'utf8'));
}
