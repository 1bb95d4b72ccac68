// Writes packages/kit/test-vectors/: a JWKS, context and decisions tokens signed with it (and some not), and what
// a subgraph must make of each. Run once (`npm run kit:vectors`) and committed: the kit's suites and a second
// language (packages/kit/test-vectors/verify.py) check them, so a subgraph written in any language can too.
import { writeFileSync } from 'fs';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import { join } from 'path';
import {
  CONTEXT_ALG,
  CONTEXT_ISSUER,
  contextAudience,
  decisionEntry,
  DECISIONS_ISSUER,
  type ContextClaims,
  type HandedDecision,
} from 'portico-kit';

const OUT = join(__dirname, '..', '..', 'packages', 'kit', 'test-vectors');
/** 2100-01-01: valid whenever the vectors are checked. */
const FAR_FUTURE = 4_102_444_800;
/** 2000-01-01: expired whenever they are checked. */
const FAR_PAST = 946_684_800;
/** When the valid ones were issued (2023-11-14): a token is never issued in the future. */
const ISSUED = 1_700_000_000;
const SUBGRAPH = 'invoices';
const KID = 'portico-vectors-1';

type Signer = { key: KeyLike | Uint8Array; kid: string; alg?: string };

const sign = (payload: JWTPayload, { key, kid, alg = CONTEXT_ALG }: Signer, exp = FAR_FUTURE): Promise<string> =>
  new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'JWT' }).setIssuedAt(Math.min(ISSUED, exp - 60)).setExpirationTime(exp).sign(key);

/** A context token's payload as the gateway signs it: the claims, its issuer and one subgraph's audience. */
const context = (claims: Partial<ContextClaims> & Record<string, unknown>, subgraph = SUBGRAPH, iss = CONTEXT_ISSUER): JWTPayload => ({ iss, aud: contextAudience(subgraph), ...claims });

async function main(): Promise<void> {
  const gateway = await generateKeyPair(CONTEXT_ALG, { extractable: true });
  const stranger = await generateKeyPair(CONTEXT_ALG, { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(gateway.publicKey)), alg: CONTEXT_ALG, use: 'sig', kid: KID } as JWK] };
  const key: Signer = { key: gateway.privateKey, kid: KID };

  const alice: ContextClaims = {
    sub: 'user-alice',
    acct: 'acct-northwind',
    email: 'alice@northwind.example',
    acct_name: 'Northwind',
    acct_type: 'PARTNER',
    roles: ['Administrator'],
    scope: 'openid portal',
    groups: ['group-gold'],
  };
  const impersonating: ContextClaims = { sub: 'user-carol', acct: 'acct-contoso', acct_name: 'Contoso', acct_type: 'CUSTOMER', roles: ['invoices:read'], act: { sub: 'user-alice', acct: 'acct-northwind' }, sid: 'session-1' };
  const aliceToken = await sign(context({ ...alice }), key);

  const contextVectors = [
    { name: 'valid: a partner administrator', token: aliceToken, expect: { valid: true, claims: alice } },
    { name: 'valid: an impersonation session (act, sid)', token: await sign(context({ ...impersonating }), key), expect: { valid: true, claims: impersonating } },
    { name: 'valid: only sub and acct (a gateway older than the other claims)', token: await sign(context({ sub: 'user-bob', acct: 'acct-northwind' }), key), expect: { valid: true, claims: { sub: 'user-bob', acct: 'acct-northwind' } } },
    { name: 'refused: expired (exp in 2000)', token: await sign(context({ ...alice }), key, FAR_PAST), expect: { valid: false, reason: 'expired' } },
    { name: "refused: another subgraph's audience (portico-subgraph:tickets)", token: await sign(context({ ...alice }, 'tickets'), key), expect: { valid: false, reason: 'audience' } },
    { name: 'refused: several audiences', token: await sign({ ...context({ ...alice }), aud: [contextAudience(SUBGRAPH), contextAudience('tickets')] }, key), expect: { valid: false, reason: 'audience' } },
    { name: "refused: signed with a key not in the JWKS, under the JWKS key's kid", token: await sign(context({ ...alice }), { key: stranger.privateKey, kid: KID }), expect: { valid: false, reason: 'key' } },
    { name: 'refused: a kid the JWKS does not hold', token: await sign(context({ ...alice }), { key: stranger.privateKey, kid: 'someone-else' }), expect: { valid: false, reason: 'key' } },
    { name: 'refused: HS256 instead of ES256', token: await sign(context({ ...alice }), { key: new TextEncoder().encode('a shared secret of thirty-two bytes!'), kid: KID, alg: 'HS256' }), expect: { valid: false, reason: 'algorithm' } },
    { name: 'refused: the issuer of a decisions token', token: await sign(context({ ...alice }, SUBGRAPH, DECISIONS_ISSUER), key), expect: { valid: false, reason: 'issuer' } },
    { name: 'refused: no account (acct)', token: await sign(context({ sub: 'user-alice' }), key), expect: { valid: false, reason: 'claims' } },
  ];

  const decisions: HandedDecision[] = [
    { asked: 'invoices:read', permission: 'invoices:read', accountId: 'acct-northwind', allowed: true, scope: 'all', reason: 'role Administrator grants invoices:read' },
    { asked: 'billing.manage', permission: 'billing:write', accountId: 'acct-northwind', allowed: false, scope: null, reason: 'no role grants billing:write' },
  ];
  const subject = { sub: alice.sub, acct: alice.acct };
  const decisionsPayload = (extra: JWTPayload = {}): JWTPayload => ({ iss: DECISIONS_ISSUER, aud: contextAudience(SUBGRAPH), ...subject, rid: 'request-1', dec: decisions.map(decisionEntry), ...extra });
  const decisionVectors = [
    { name: 'taken: for this caller and request', token: await sign(decisionsPayload(), key, FAR_FUTURE), expect: { valid: true, decisions } },
    { name: 'ignored: another request id', token: await sign(decisionsPayload({ rid: 'request-2' }), key), expect: { valid: false } },
    { name: 'ignored: another caller', token: await sign(decisionsPayload({ sub: 'user-bob' }), key), expect: { valid: false } },
    { name: 'ignored: expired', token: await sign(decisionsPayload(), key, FAR_PAST), expect: { valid: false } },
    { name: "ignored: another subgraph's audience", token: await sign(decisionsPayload({ aud: contextAudience('tickets') }), key), expect: { valid: false } },
    { name: 'ignored: the issuer of a context token', token: await sign(decisionsPayload({ iss: CONTEXT_ISSUER }), key), expect: { valid: false } },
    { name: 'ignored: signed with a key not in the JWKS', token: await sign(decisionsPayload(), { key: stranger.privateKey, kid: KID }), expect: { valid: false } },
  ];

  writeFileSync(join(OUT, 'jwks.json'), JSON.stringify(jwks, null, 2) + '\n');
  const vectors = {
    description:
      'Context and decisions tokens signed as the Portico gateway signs them, with what a subgraph must make of each. Verify them against jwks.json as the subgraph named `subgraph`; a decisions token is checked for the caller of `context` and the request `requestId`. See docs/kit.md, "The token contract".',
    subgraph: SUBGRAPH,
    audience: contextAudience(SUBGRAPH),
    context: contextVectors,
    decisions: { context: aliceToken, requestId: 'request-1', vectors: decisionVectors },
  };
  writeFileSync(join(OUT, 'vectors.json'), JSON.stringify(vectors, null, 2) + '\n');
  console.log(`wrote ${contextVectors.length} context and ${decisionVectors.length} decisions vectors to ${OUT}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
