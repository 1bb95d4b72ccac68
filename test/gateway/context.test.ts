import { mkdtempSync, rmSync } from 'fs';
import { print } from 'graphql';
import { tmpdir } from 'os';
import { join } from 'path';
import type { Principal } from '../../src/domain/principal';
import { ContextTokens, contextClaimsOf, gatewayContext, MAX_HANDED_DECISIONS, scopesOf } from '../../src/gateway/context';
import { normalizeSubgraph } from '../../src/gateway/supergraph';
import { contextVerifier, loadOrCreateContextSigner } from '../../src/identity/context-token';
import type { Services } from '../../src/domain/context';

const principal = (extra: Record<string, unknown> = {}, sessionId?: string) =>
  ({
    user: { id: 'u-1', email: 'insight@acme.example' },
    account: { id: 'acme', name: 'Acme Logistics', type: 'CUSTOMER' },
    facts: { userId: 'u-1', homeAccountId: 'acme', active: true, assignments: [], ...(sessionId ? { impersonation: { sessionId } } : {}) },
    ...extra,
  }) as unknown as Principal;

/** Who the caller is, beside the ids: what the kit shows a subgraph without asking Portico. */
const NAMED = { acct_name: 'Acme Logistics', acct_type: 'CUSTOMER', roles: [] };

describe('the context forwarded to subgraphs', () => {
  it.each([
    { title: 'a user in their own account', principal: principal(), scopes: [], claims: { sub: 'u-1', acct: 'acme', email: 'insight@acme.example', ...NAMED } },
    { title: 'the scopes of the caller\'s token', principal: principal(), scopes: ['fleet.read', 'fleet.admin'], claims: { sub: 'u-1', acct: 'acme', email: 'insight@acme.example', ...NAMED, scope: 'fleet.read fleet.admin' } },
    {
      title: 'a partner user acting in an impersonation session: act and sid',
      principal: principal({ actor: { id: 'partner-7', accountId: 'northwind' } }, 'session-9'),
      scopes: [],
      claims: { sub: 'u-1', acct: 'acme', email: 'insight@acme.example', ...NAMED, act: { sub: 'partner-7', acct: 'northwind' }, sid: 'session-9' },
    },
  ])('carries $title', ({ principal, scopes, claims }) => {
    expect(contextClaimsOf(principal, new Set(scopes))).toEqual(claims);
  });

  it('carries the ids of the caller\'s partner groups, never their names, and a subgraph reads them back', async () => {
    const given = [{ id: 'g-1', name: 'Gold partners' }, { id: 'g-2', name: 'Deal desks' }];
    const claims = contextClaimsOf(principal(), new Set(), given);
    const groups = ['g-1', 'g-2'];
    expect(claims).toEqual({ sub: 'u-1', acct: 'acme', email: 'insight@acme.example', ...NAMED, groups });
    const dir = mkdtempSync(join(tmpdir(), 'portico-context-'));
    try {
      const signer = await loadOrCreateContextSigner(dir);
      const verifier = contextVerifier({ jwks: signer.jwks() }, { subgraph: 'leads' });
      await expect(verifier.verify(await signer.sign(claims, 'leads'))).resolves.toMatchObject({ groups });
      // A token in no group has no claim at all; a malformed claim is refused.
      await expect(verifier.verify(await signer.sign(contextClaimsOf(principal(), new Set()), 'leads'))).resolves.not.toHaveProperty('groups');
      for (const wrong of [[{ id: 'g-1', name: 'Gold partners' }], 'g-1', [''], [7]]) {
        const malformed = { ...claims, groups: wrong } as unknown as typeof claims;
        await expect(verifier.verify(await signer.sign(malformed, 'leads'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`hands a subgraph request the decisions on the accounts it names, at most ${MAX_HANDED_DECISIONS}, and none when it names no decided account`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-context-'));
    try {
      const signer = await loadOrCreateContextSigner(dir);
      const noGroups = { tableName: 'partner_groups', columns: [], findColumnWithPropertyName: (name: string) => ({ databaseName: name }) };
      const services = { db: { manager: { query: async () => [], connection: { getMetadata: () => noGroups, driver: { escape: (name: string) => name } } } } } as unknown as Services;
      const context = gatewayContext(services, 'req-1', principal(), new Set(), new ContextTokens(signer));
      const made = Array.from({ length: 40 }, (_, i) => ({ asked: 'leads:read', decision: { allowed: i % 2 === 0, permission: 'leads:read', accountId: `a-${i}`, scope: i % 2 === 0 ? 'all' : null, reason: `reason ${i}` } }));
      jest.spyOn(context.portico, 'authorizedOn').mockImplementation((ids) => {
        const named = new Set(ids);
        return made.filter((m) => named.has(m.decision.accountId));
      });
      const verifier = contextVerifier({ jwks: signer.jwks() }, { subgraph: 'leads' });
      const caller = contextClaimsOf(principal(), new Set());
      const two = await verifier.verifyDecisions((await context.decisionsToken('leads', ['a-0', 'a-1', 'someone-else']))!, caller, 'req-1');
      expect(two).toEqual(made.slice(0, 2).map(({ asked, decision: { allowed, permission, accountId, scope, reason } }) => ({ asked, permission, accountId, allowed, scope, reason })));
      const all = await verifier.verifyDecisions((await context.decisionsToken('leads', made.map((m) => m.decision.accountId)))!, caller, 'req-1');
      expect(all).toHaveLength(MAX_HANDED_DECISIONS);
      expect(await context.decisionsToken('leads', ['someone-else'])).toBeUndefined();
      // An anonymous caller has no context token, and no decisions either.
      expect(await gatewayContext(services, 'req-2', null, new Set(), new ContextTokens(signer)).decisionsToken('leads', ['a-0'])).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    { title: "OAuth's space-separated scope", claims: { scope: 'a b  c' }, scopes: ['a', 'b', 'c'] },
    { title: 'an scp list', claims: { scp: ['a', 'b'] }, scopes: ['a', 'b'] },
    { title: 'no scope at all', claims: {}, scopes: [] },
  ])("reads the token's scopes from $title", ({ claims, scopes }) => {
    expect([...scopesOf(claims)]).toEqual(scopes);
  });

  it('signs one token per caller and subgraph, each for that subgraph alone, reused across requests and naming none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-context-'));
    try {
      const signer = await loadOrCreateContextSigner(dir);
      let signed = 0;
      const counting = { ...signer, sign: (claims: Parameters<typeof signer.sign>[0], subgraph: string) => (signed++, signer.sign(claims, subgraph)) };
      const tokens = new ContextTokens(counting);
      // A database with no partner group: the one statement the context reads answers no row.
      const noGroups = { tableName: 'partner_groups', columns: [], findColumnWithPropertyName: (name: string) => ({ databaseName: name }) };
      const services = { db: { manager: { query: async () => [], connection: { getMetadata: () => noGroups, driver: { escape: (name: string) => name } } } } } as unknown as Services;
      const first = gatewayContext(services, 'req-7', principal(), new Set(), tokens);
      const tickets = (await first.contextToken('tickets'))!;
      expect(await first.contextToken('tickets')).toBe(tickets);
      const billing = (await first.contextToken('billing'))!;
      expect(signed).toBe(2);
      // The next request of the same caller gets the same tokens; another caller, or other scopes, gets its own.
      expect(await gatewayContext(services, 'req-8', principal(), new Set(), tokens).contextToken('tickets')).toBe(tickets);
      expect(signed).toBe(2);
      const scoped = await gatewayContext(services, 'req-9', principal(), new Set(['fleet.read']), tokens).contextToken('tickets');
      const impersonated = await gatewayContext(services, 'req-10', principal({ actor: { id: 'partner-7', accountId: 'northwind' } }, 'session-9'), new Set(), tokens).contextToken('tickets');
      expect(new Set([tickets, scoped, impersonated]).size).toBe(3);
      expect(signed).toBe(4);
      const claims = await contextVerifier({ jwks: signer.jwks() }, { subgraph: 'tickets' }).verify(tickets);
      expect(claims).toEqual({ sub: 'u-1', acct: 'acme', email: 'insight@acme.example', ...NAMED });
      await expect(contextVerifier({ jwks: signer.jwks() }, { subgraph: 'tickets' }).verify(billing)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('signs again once a token has been handed out for half its lifetime, so a subgraph always gets 30 s or more', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-context-'));
    try {
      const signer = await loadOrCreateContextSigner(dir);
      let signed = 0;
      let now = 1_000_000;
      const tokens = new ContextTokens({ ...signer, sign: async () => `token-${++signed}` }, { now: () => now });
      const claims = { sub: 'u-1', acct: 'acme' };
      expect(await tokens.forSubgraph(claims, 'tickets')).toBe('token-1');
      now += 29_000;
      expect(await tokens.forSubgraph(claims, 'tickets')).toBe('token-1');
      now += 2_000;
      expect(await tokens.forSubgraph(claims, 'tickets')).toBe('token-2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a subgraph importing Portico's @authenticated", () => {
  it.each([
    {
      title: 'imports federation\'s instead (v2.5 or later), keeping the rest',
      sdl: 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@composeDirective"]) @link(url: "https://portico.dev/authz/v0.1", import: ["@authenticated", "@requiresPermission"]) @composeDirective(name: "@authenticated") @composeDirective(name: "@requiresPermission")\ndirective @authenticated on FIELD_DEFINITION | OBJECT\ntype Query { a: String @authenticated }',
      expected:
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@composeDirective", "@authenticated"]) @link(url: "https://portico.dev/authz/v0.1", import: ["@requiresPermission"]) @composeDirective(name: "@requiresPermission")\n\ntype Query {\n  a: String @authenticated\n}',
    },
    {
      title: 'gets an import list when its federation link had none',
      sdl: 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7") @link(url: "https://portico.dev/authz/v0.1", import: ["@authenticated"])\ntype Query { a: String @authenticated }',
      expected: 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@authenticated"]) @link(url: "https://portico.dev/authz/v0.1", import: [])\n\ntype Query {\n  a: String @authenticated\n}',
    },
  ])('$title', ({ sdl, expected }) => {
    expect(print(normalizeSubgraph(sdl))).toBe(expected);
  });
});
