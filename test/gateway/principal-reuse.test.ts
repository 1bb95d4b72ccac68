import type { IncomingMessage } from 'http';
import { loadPrincipal, type Principal } from '../../src/domain/principal';
import { contextClaimsOf, identityResolver, PrincipalsInFlight, type IdentityResolver } from '../../src/gateway/context';
import { TokenVerifier } from '../../src/identity';
import { CONTEXT_HEADER, loadOrCreateContextSigner, type ContextSigner } from '../../src/identity/context-token';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

/** A decision call as a subgraph makes it: no bearer token, the context token the gateway signed. */
const decisionCall = (token: string) => ({ headers: { [CONTEXT_HEADER]: token } }) as unknown as IncomingMessage;

describe.each(databaseKinds())("a subgraph's decision call reuses the principal of its request on %s", (kind) => {
  let t: TestPortico;
  let signer: ContextSigner;
  let inFlight: PrincipalsInFlight;
  let identities: IdentityResolver;
  let admin: Principal;
  let billing: Principal;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
    const { services, devKeys } = t.portico;
    signer = await loadOrCreateContextSigner(services.config.dataDir, services.config.contextSigningKey);
    inFlight = new PrincipalsInFlight();
    identities = identityResolver(services, new TokenVerifier({ devKeys, ownKeys: devKeys }), signer, ['tickets'], inFlight);
    admin = await loadPrincipal(services.db, services.engine, { subject: (await t.user('admin@acme.example')).id, claims: {} }, 'test');
    billing = await loadPrincipal(services.db, services.engine, { subject: (await t.user('billing@acme.example')).id, claims: {} }, 'test');
  }, 120_000);
  afterAll(() => t?.stop());

  const tokenFor = (principal: Principal, scopes = ['tickets.read']): Promise<string> => signer.sign(contextClaimsOf(principal, new Set(scopes)), 'tickets');

  /** Resolves a decision call sent with request id `requestId` (its x-request-id): the principal, and the SQL it took. */
  const resolve = async (token: string, requestId: string) => {
    const { db } = t.portico.services;
    db.statements.reset();
    const caller = await identities.resolve(decisionCall(token), requestId);
    return { caller, statements: db.statements.count };
  };

  it('while the request is in flight: the same principal and scopes, no statement', async () => {
    const release = inFlight.hold('request-1', admin, new Set(['tickets.read']));
    try {
      const { caller, statements } = await resolve(await tokenFor(admin), 'request-1');
      // The loaded facts themselves, marked as vouched for by a context token (which answers only decisions).
      expect(caller.principal!.facts).toBe(admin.facts);
      expect(caller.principal).toEqual({ ...admin, viaContextToken: true });
      expect([...caller.scopes]).toEqual(['tickets.read']);
      expect(caller.bearer).toBe(false);
      expect(statements).toBe(0);
    } finally {
      release();
    }
  });

  it.each([
    { title: 'once the request has ended', requestId: 'request-2', hold: false, as: 'admin', scopes: ['tickets.read'] },
    { title: 'for a call naming another request', requestId: 'request-other', hold: true, as: 'admin', scopes: ['tickets.read'] },
    { title: "for another user's token that names the request", requestId: 'request-2', hold: true, as: 'billing', scopes: ['tickets.read'] },
    { title: "for the same user's token with other scopes", requestId: 'request-2', hold: true, as: 'admin', scopes: ['tickets.read', 'tickets.write'] },
    { title: "for the same user's token without the request's scopes", requestId: 'request-2', hold: true, as: 'admin', scopes: [] },
  ])('loads the principal again $title', async ({ requestId, hold, as, scopes }) => {
    const release = hold ? inFlight.hold('request-2', admin, new Set(['tickets.read'])) : () => {};
    try {
      const expected = as === 'admin' ? admin : billing;
      const { caller, statements } = await resolve(await tokenFor(expected, scopes), requestId);
      expect(caller.principal).not.toBe(expected);
      expect(caller.principal?.user.id).toBe(expected.user.id);
      expect(statements).toBeGreaterThan(0);
    } finally {
      release();
    }
  });

  it('once the request turned out to be a mutation: the principal is dropped, the request still known', async () => {
    const release = inFlight.hold('request-4', admin, new Set(['tickets.read']));
    try {
      inFlight.drop('request-4');
      expect(inFlight.has('request-4')).toBe(true);
      const { caller, statements } = await resolve(await tokenFor(admin), 'request-4');
      expect(caller.principal).not.toBe(admin);
      expect(caller.principal?.user.id).toBe(admin.user.id);
      expect(statements).toBeGreaterThan(0);
    } finally {
      release();
    }
    expect(inFlight.has('request-4')).toBe(false);
  });

  it('holds an entry only as long as its request: released, nothing is left', () => {
    const release = inFlight.hold('request-3', admin, new Set());
    // A second holder of the same id never replaces the first one's entry.
    const second = inFlight.hold('request-3', billing, new Set());
    second();
    expect(inFlight.size).toBe(1);
    release();
    expect(inFlight.size).toBe(0);
  });
});
