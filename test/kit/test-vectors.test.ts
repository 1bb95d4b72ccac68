import { execFileSync, spawnSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import type { JWK } from 'jose';
import { join } from 'path';
import { CONTEXT_HEADER, ContextTokenError, contextVerifier, DECISIONS_HEADER, porticoKit, type ContextClaims, type HandedDecision } from 'portico-kit';

// The token contract's test vectors (packages/kit/test-vectors, written by `npm run kit:vectors`): what the kit makes
// of each, and what a second implementation (PyJWT) makes of them.
const DIR = join(__dirname, '..', '..', 'packages', 'kit', 'test-vectors');
const jwks = JSON.parse(readFileSync(join(DIR, 'jwks.json'), 'utf8')) as { keys: JWK[] };
type Expect = { valid: true; claims?: ContextClaims; decisions?: HandedDecision[] } | { valid: false; reason?: string };
interface Vector {
  name: string;
  token: string;
  expect: Expect;
}
const vectors = JSON.parse(readFileSync(join(DIR, 'vectors.json'), 'utf8')) as {
  subgraph: string;
  context: Vector[];
  decisions: { context: string; requestId: string; vectors: Vector[] };
};

/** The system's Python, where Debian installs python3-jwt. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const pyjwt = spawnSync(PYTHON, ['-c', 'import jwt, cryptography'], { encoding: 'utf8' }).status === 0;

describe("the token contract's test vectors", () => {
  const verifier = contextVerifier({ jwks }, { subgraph: vectors.subgraph });

  it('cover valid tokens and every refusal a subgraph must make', () => {
    const reasons = vectors.context.map((v) => (v.expect.valid ? 'valid' : v.expect.reason));
    expect(new Set(reasons)).toEqual(new Set(['valid', 'expired', 'audience', 'key', 'algorithm', 'issuer', 'claims']));
    expect(vectors.decisions.vectors.filter((v) => v.expect.valid)).toHaveLength(1);
  });

  it.each(vectors.context.map((v) => ({ ...v, title: v.name })))('context token, $title', async ({ token, expect: expected }) => {
    if (expected.valid) {
      expect(await verifier.verify(token)).toEqual(expected.claims);
    } else {
      const error = await verifier.verify(token).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ContextTokenError);
      expect((error as ContextTokenError).reason).toBe(expected.reason);
    }
  });

  it.each(vectors.decisions.vectors.map((v) => ({ ...v, title: v.name })))('decisions token, $title', async ({ token, expect: expected }) => {
    const claims = await verifier.verify(vectors.decisions.context);
    expect(await verifier.verifyDecisions(token, claims, vectors.decisions.requestId)).toEqual(expected.valid ? expected.decisions : undefined);
  });

  it('are what the kit takes through a request: the viewer from the context token, the decisions without asking Portico', async () => {
    const asked: string[] = [];
    const kit = porticoKit({ subgraph: vectors.subgraph, porticoUrl: 'http://portico.invalid/graphql', contextJwks: jwks, fetch: async (url) => (asked.push(String(url)), new Response('{}')), logger: { warn: () => undefined } });
    const taken = vectors.decisions.vectors.find((v) => v.expect.valid)!;
    const { portico } = await kit.context({ headers: { [CONTEXT_HEADER]: vectors.decisions.context, [DECISIONS_HEADER]: taken.token, 'x-request-id': vectors.decisions.requestId } });
    expect(portico?.accountId).toBe('acct-northwind');
    expect(await portico!.can('invoices:read')).toBe(true);
    expect(await portico!.can('billing.manage')).toBe(false);
    expect(asked).toEqual([]);
  });

  it.each([
    { reason: 'audience', says: /\(audience\): it is for "portico-subgraph:tickets", and this verifier accepts portico-subgraph:invoices/ },
    { reason: 'expired', says: /\(expired\): it expired at 2000-01-01T00:00:00\.000Z/ },
    { reason: 'key', says: /\(key\): its signature does not verify with the gateway's published key/ },
  ])('the kit logs why it refused a token ($reason), and tells the client only that it is not valid', async ({ reason, says }) => {
    const lines: string[] = [];
    const kit = porticoKit({ subgraph: vectors.subgraph, porticoUrl: 'http://portico.invalid/graphql', contextJwks: jwks, logger: { warn: (line) => lines.push(line) } });
    const vector = vectors.context.find((v) => !v.expect.valid && v.expect.reason === reason)!;
    await expect(kit.context({ headers: { [CONTEXT_HEADER]: vector.token } })).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.not.stringContaining('portico-subgraph') });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('portico-kit: refused a context token for subgraph "invoices"');
    expect(lines[0]).toMatch(says);
  });

  // A second implementation of the contract, from the system's packages (Debian's python3-jwt): what a subgraph in
  // another language checks. CI installs it (.ci/run), and there it must run.
  if (pyjwt || process.env.CI) {
    it('a second implementation, PyJWT, makes the same of every vector (packages/kit/test-vectors/verify.py)', () => {
      const out = execFileSync(PYTHON, [join(DIR, 'verify.py')], { encoding: 'utf8' });
      const total = vectors.context.length + vectors.decisions.vectors.length;
      expect(out).toContain(`${total} of ${total} vectors as expected`);
      expect(out).not.toContain('MISMATCH');
    });
  } else {
    it.todo('a second implementation, PyJWT, makes the same of every vector: not run here, python3-jwt is not installed (apt-get install python3-jwt python3-cryptography)');
  }
});
