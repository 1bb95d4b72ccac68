// The gateway's half of the context-token contract: the signer. What the tokens hold and how a subgraph verifies
// them is the kit's (portico-kit, token.ts); here they are signed, and a refusal becomes Portico's AuthenticationError.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import { join } from 'path';
import {
  CONTEXT_ALG as ALG,
  CONTEXT_ISSUER,
  CONTEXT_TOKEN_LIFETIME_SECONDS,
  contextAudience,
  contextVerifier as kitContextVerifier,
  ContextTokenError,
  decisionEntry,
  DECISIONS_ISSUER,
  DECISIONS_LIFETIME_SECONDS,
  type ContextAudience,
  type ContextClaims,
  type ContextVerifier,
  type DecisionsSubject,
  type HandedDecision,
} from 'portico-kit';
import { AuthenticationError } from './errors';

export {
  CONTEXT_AUDIENCE,
  CONTEXT_HEADER,
  CONTEXT_ISSUER,
  CONTEXT_TOKEN_LIFETIME_SECONDS,
  contextAudience,
  DECISIONS_HEADER,
  DECISIONS_ISSUER,
  DECISIONS_LIFETIME_SECONDS,
  type ContextAudience,
  type ContextClaims,
  type ContextVerifier,
  type DecisionsSubject,
  type HandedDecision,
} from 'portico-kit';

const KEY_FILE = 'context-signing-key.json';

export interface ContextSigner {
  /** Signs the claims for one subgraph only: another subgraph refuses the token. */
  sign(claims: ContextClaims, subgraph: string): Promise<string>;
  /** Signs the decisions made for one request of this caller, for one subgraph only. */
  signDecisions(subject: DecisionsSubject, decisions: readonly HandedDecision[], subgraph: string): Promise<string>;
  jwks(): { keys: JWK[] };
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

/** The kit's verifier, refusing with Portico's AuthenticationError (the same client message). */
export function contextVerifier(source: { jwksUrl: string } | { jwks: { keys: JWK[] } }, audience: ContextAudience): ContextVerifier {
  const verifier = kitContextVerifier(source, audience);
  return {
    async verify(token) {
      try {
        return await verifier.verify(token);
      } catch (error) {
        if (error instanceof ContextTokenError) throw new AuthenticationError(error.message);
        throw error;
      }
    },
    verifyDecisions: (token, claims, requestId) => verifier.verifyDecisions(token, claims, requestId),
  };
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
