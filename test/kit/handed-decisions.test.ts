import { mkdtempSync } from 'fs';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { tmpdir } from 'os';
import { join } from 'path';
import { porticoKit, type PorticoViewer } from 'portico-kit';
import {
  CONTEXT_HEADER,
  contextAudience,
  DECISIONS_HEADER,
  DECISIONS_ISSUER,
  DECISIONS_LIFETIME_SECONDS,
  loadOrCreateContextSigner,
  type ContextClaims,
  type ContextSigner,
  type DecisionsSubject,
  type HandedDecision,
} from '../../src/identity/context-token';

const claims: ContextClaims = { sub: 'user-1', acct: 'account-1', email: 'ada@example.test', act: { sub: 'partner-user', acct: 'partner-account' }, sid: 'session-1' };
const REQUEST = 'request-1';
const subject: DecisionsSubject = { sub: claims.sub, acct: claims.acct, act: claims.act, sid: claims.sid, rid: REQUEST };
const allowed: HandedDecision = { asked: 'leads:read', permission: 'leads:read', accountId: 'account-7', allowed: true, scope: 'distributed', reason: 'SALES_MANAGER on account-7 grants leads:read' };
const denied: HandedDecision = { asked: 'leads:write', permission: 'leads:write', accountId: 'account-7', allowed: false, scope: null, reason: 'no role grants leads:write on account account-7' };
/** What Portico answers when the kit does ask: distinguishable from every handed decision. */
const ASKED = { allowed: false, scope: null, reason: 'answered by Portico' };

describe('decisions the gateway hands a subgraph with its request', () => {
  let signer: ContextSigner;
  /** The signer's own private key, to sign a malformed token by hand. */
  let privateKey: KeyLike;
  let other: ContextSigner;
  let contextToken: string;
  let asked: Array<Array<{ permission: string; accountId: string }>>;

  const fetchStub = (async (_url: string, init: { body: string }) => {
    const checks = (JSON.parse(init.body) as { variables: { c: Array<{ permission: string; accountId: string }> } }).variables.c;
    asked.push(checks);
    return new Response(JSON.stringify({ data: { authorize: checks.map((c) => ({ ...c, ...ASKED })) } }), { headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;

  const kitFor = (subgraph = 'leads', gatewayDecisions?: boolean) => porticoKit({ subgraph, porticoUrl: 'http://portico.test/graphql', contextJwks: signer.jwks(), fetch: fetchStub, gatewayDecisions });

  /** The viewer of a request carrying these headers, through the kit of subgraph `leads`. */
  async function viewerWith(headers: Record<string, string>, kit = kitFor()): Promise<PorticoViewer> {
    const { portico } = await kit.context({ headers: new Map(Object.entries(headers)) });
    if (!portico) throw new Error('no viewer');
    return portico;
  }

  beforeAll(async () => {
    ({ privateKey } = await generateKeyPair('ES256', { extractable: true }));
    signer = await loadOrCreateContextSigner(mkdtempSync(join(tmpdir(), 'portico-handed-')), JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'handed' }));
    // Another key under the same key id: only the signature tells the two apart.
    other = await loadOrCreateContextSigner(mkdtempSync(join(tmpdir(), 'portico-handed-other-')), JSON.stringify({ ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)), kid: 'handed' }));
    contextToken = await signer.sign(claims, 'leads');
  });
  beforeEach(() => {
    asked = [];
  });

  it('answers an allowed and a denied decision as handed, asking Portico nothing', async () => {
    const viewer = await viewerWith({ [CONTEXT_HEADER]: contextToken, 'x-request-id': REQUEST, [DECISIONS_HEADER]: await signer.signDecisions(subject, [allowed, denied], 'leads') });
    const { asked: _a, ...expectedAllowed } = allowed;
    const { asked: _d, ...expectedDenied } = denied;
    expect(await viewer.authorize('leads:read', 'account-7')).toEqual(expectedAllowed);
    expect(await viewer.scopeFor('leads:read', 'account-7')).toBe('distributed');
    expect(await viewer.authorize('leads:write', 'account-7')).toEqual(expectedDenied);
    expect(await viewer.can('leads:write', 'account-7')).toBe(false);
    expect(asked).toEqual([]);
  });

  it('asks Portico for a check the gateway did not make: another permission, another account', async () => {
    const viewer = await viewerWith({ [CONTEXT_HEADER]: contextToken, 'x-request-id': REQUEST, [DECISIONS_HEADER]: await signer.signDecisions(subject, [allowed], 'leads') });
    expect((await viewer.authorize('leads:read', 'account-8')).reason).toBe('answered by Portico');
    expect((await viewer.authorize('campaigns:read', 'account-7')).reason).toBe('answered by Portico');
    expect(asked.flat()).toEqual([
      { permission: 'leads:read', accountId: 'account-8' },
      { permission: 'campaigns:read', accountId: 'account-7' },
    ]);
  });

  it('a permission the gateway answered for an action keeps the decision’s own permission', async () => {
    const action: HandedDecision = { asked: 'users.read', permission: 'users:read', accountId: 'account-7', allowed: true, scope: null, reason: 'granted' };
    const viewer = await viewerWith({ [CONTEXT_HEADER]: contextToken, 'x-request-id': REQUEST, [DECISIONS_HEADER]: await signer.signDecisions(subject, [action], 'leads') });
    expect(await viewer.authorize('users.read', 'account-7')).toEqual({ permission: 'users:read', accountId: 'account-7', allowed: true, scope: null, reason: 'granted' });
    expect(asked).toEqual([]);
  });

  /** Each of these decisions tokens is ignored: the kit asks Portico, which answers differently from the token. */
  const ignored: Array<{ title: string; headers: () => Promise<Record<string, string>>; kit?: () => ReturnType<typeof kitFor> }> = [
    { title: 'for another request (a replay into a later request)', headers: async () => ({ 'x-request-id': 'request-2', [DECISIONS_HEADER]: await signer.signDecisions(subject, [allowed], 'leads') }) },
    { title: 'with no request id to bind it to', headers: async () => ({ [DECISIONS_HEADER]: await signer.signDecisions(subject, [allowed], 'leads') }) },
    { title: 'signed by another key under the same key id (forged)', headers: async () => ({ 'x-request-id': REQUEST, [DECISIONS_HEADER]: await other.signDecisions(subject, [allowed], 'leads') }) },
    { title: 'meant for another subgraph', headers: async () => ({ 'x-request-id': REQUEST, [DECISIONS_HEADER]: await signer.signDecisions(subject, [allowed], 'tickets') }) },
    { title: 'about another user', headers: async () => ({ 'x-request-id': REQUEST, [DECISIONS_HEADER]: await signer.signDecisions({ ...subject, sub: 'user-2' }, [allowed], 'leads') }) },
    { title: 'about another account of the user', headers: async () => ({ 'x-request-id': REQUEST, [DECISIONS_HEADER]: await signer.signDecisions({ ...subject, acct: 'account-2' }, [allowed], 'leads') }) },
    { title: 'outside the impersonation session', headers: async () => ({ 'x-request-id': REQUEST, [DECISIONS_HEADER]: await signer.signDecisions({ ...subject, sid: undefined }, [allowed], 'leads') }) },
    { title: 'with another acting partner user', headers: async () => ({ 'x-request-id': REQUEST, [DECISIONS_HEADER]: await signer.signDecisions({ ...subject, act: { sub: 'someone-else', acct: 'partner-account' } }, [allowed], 'leads') }) },
    { title: 'a context token in its place (another issuer)', headers: async () => ({ 'x-request-id': REQUEST, [DECISIONS_HEADER]: contextToken }) },
    { title: 'not a token at all', headers: async () => ({ 'x-request-id': REQUEST, [DECISIONS_HEADER]: 'allowed' }) },
    {
      title: 'whose decisions are malformed',
      headers: async () => ({
        'x-request-id': REQUEST,
        [DECISIONS_HEADER]: await new SignJWT({ acct: subject.acct, act: subject.act, sid: subject.sid, rid: REQUEST, dec: [['leads:read', 'account-7', 'yes', 'all', 'forged']] })
          .setProtectedHeader({ alg: 'ES256', kid: 'handed' })
          .setSubject(subject.sub)
          .setIssuer(DECISIONS_ISSUER)
          .setAudience(contextAudience('leads'))
          .setExpirationTime('10s')
          .sign(privateKey),
      }),
    },
    { title: 'when the subgraph turned handed decisions off', headers: async () => ({ 'x-request-id': REQUEST, [DECISIONS_HEADER]: await signer.signDecisions(subject, [allowed], 'leads') }), kit: () => kitFor('leads', false) },
  ];

  it('a token signed by hand like the malformed one below, but well formed, is taken: the malformed case fails on its decisions alone', async () => {
    const token = await new SignJWT({ acct: subject.acct, act: subject.act, sid: subject.sid, rid: REQUEST, dec: [['leads:read', 'account-7', true, 'all', 'by hand']] })
      .setProtectedHeader({ alg: 'ES256', kid: 'handed' })
      .setSubject(subject.sub)
      .setIssuer(DECISIONS_ISSUER)
      .setAudience(contextAudience('leads'))
      .setExpirationTime('10s')
      .sign(privateKey);
    const viewer = await viewerWith({ [CONTEXT_HEADER]: contextToken, 'x-request-id': REQUEST, [DECISIONS_HEADER]: token });
    expect((await viewer.authorize('leads:read', 'account-7')).reason).toBe('by hand');
    expect(asked).toEqual([]);
  });

  it.each(ignored)('a decisions token $title is ignored: Portico is asked', async ({ headers, kit }) => {
    const viewer = await viewerWith({ [CONTEXT_HEADER]: contextToken, ...(await headers()) }, kit?.());
    expect(await viewer.authorize('leads:read', 'account-7')).toEqual({ permission: 'leads:read', accountId: 'account-7', ...ASKED });
    expect(asked.flat()).toEqual([{ permission: 'leads:read', accountId: 'account-7' }]);
  });

  it(`an expired decisions token (older than ${DECISIONS_LIFETIME_SECONDS} s) is ignored: Portico is asked`, async () => {
    const token = await signer.signDecisions(subject, [allowed], 'leads');
    // Only the clock moves on (jose reads it through `new Date()`); timers and promises run as usual.
    jest.useFakeTimers({ now: Date.now() + (DECISIONS_LIFETIME_SECONDS + 1) * 1000, doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      const viewer = await viewerWith({ [CONTEXT_HEADER]: await signer.sign(claims, 'leads'), 'x-request-id': REQUEST, [DECISIONS_HEADER]: token });
      expect((await viewer.authorize('leads:read', 'account-7')).reason).toBe('answered by Portico');
    } finally {
      jest.useRealTimers();
    }
    expect(asked).toHaveLength(1);
  });

  it('a decisions token in place of the context token is refused: UNAUTHENTICATED', async () => {
    const kit = kitFor();
    await expect(kit.context({ headers: new Map([[CONTEXT_HEADER, await signer.signDecisions(subject, [allowed], 'leads')]]) })).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });
});
