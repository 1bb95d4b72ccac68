import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionNode } from 'graphql';
import type { IncomingMessage } from 'http';
import type { JWTPayload } from 'jose';
import { RequestContext, type Services } from '../domain/context';
import { PorticoError } from '../errors';
import { partnerGroupsOfPrincipal } from '../domain/partner-groups.service';
import { callerAsNow } from '../domain/current-caller';
import { loadPrincipal, rolesOf, type Principal } from '../domain/principal';
import { LRUCache } from 'lru-cache';
import { CONTEXT_HEADER, CONTEXT_TOKEN_LIFETIME_SECONDS, contextVerifier, type ContextClaims, type ContextSigner, type ContextVerifier, type DecisionsSubject, type HandedDecision } from '../identity/context-token';
import { TokenVerifier, type Identity } from '../identity';

/** What one request through the gateway carries: the access-control request context and the token's scopes. */
export interface GatewayContext {
  portico: RequestContext;
  /** The `scope` claim of the caller's token, for @requiresScopes. */
  scopes: ReadonlySet<string>;
  /** The context token sent to one downstream subgraph for this caller; undefined for an anonymous caller. */
  contextToken(subgraph: string): Promise<string | undefined>;
  /**
   * The decisions token sent beside it: what this request decided (through `authorize`) on the accounts a subgraph
   * request names, so that the subgraph need not ask again; undefined when there are none, and in a mutation.
   */
  decisionsToken(subgraph: string, accountIds: Iterable<string>): Promise<string | undefined>;
  /**
   * Called once the request is known to be a mutation: any of its fields may change the caller's own session,
   * grants, roles or status (and so may another request while this one runs). From then on no decisions token is
   * handed on and the principal held for the subgraphs' decision calls is dropped: each such call decides again on
   * the caller as the database has them.
   */
  mutating(): void;
}

/** The scopes of a token: OAuth's space-separated `scope`, or an `scp` list as some providers send. */
export function scopesOf(claims: JWTPayload | ContextClaims): Set<string> {
  const { scope, scp } = claims as { scope?: unknown; scp?: unknown };
  const list = typeof scope === 'string' ? scope.split(/\s+/) : Array.isArray(scp) ? scp : typeof scp === 'string' ? scp.split(/\s+/) : [];
  return new Set(list.filter((s): s is string => typeof s === 'string' && s !== ''));
}

/**
 * The claims a context token carries for a principal: who, for which account, on whose behalf, in which session,
 * and the partner groups the caller belongs to (by id only), for a subgraph's custom views.
 */
export function contextClaimsOf(principal: Principal, scopes: ReadonlySet<string>, groups: ReadonlyArray<{ id: string }> = []): ContextClaims {
  const claims: ContextClaims = { sub: principal.user.id, acct: principal.account.id, email: principal.user.email, acct_name: principal.account.name, acct_type: principal.account.type, roles: rolesOf(principal) };
  if (principal.actor) claims.act = { sub: principal.actor.id, acct: principal.actor.accountId };
  const sessionId = principal.facts.impersonation?.sessionId;
  if (sessionId) claims.sid = sessionId;
  if (scopes.size > 0) claims.scope = [...scopes].join(' ');
  if (groups.length > 0) claims.groups = groups.map(({ id }) => id);
  return claims;
}

/**
 * At most this many decisions go with one subgraph request (about 5 KB of header): a subgraph's HTTP server caps
 * its headers (16 KB in Node), and the kit asks Portico for any decision it was not handed.
 */
export const MAX_HANDED_DECISIONS = 32;

/** How long a signed context token is handed out again: the subgraph always gets one valid for 30 s more. */
const REUSE_SECONDS = CONTEXT_TOKEN_LIFETIME_SECONDS / 2;

/**
 * The context tokens the gateway hands to subgraphs, signed once per caller and subgraph and reused for 30 s: the
 * gateway signs, and the subgraph and Portico verify, one ES256 signature per caller rather than per request. A
 * reused token grants nothing a fresh one would not: it names the same claims, and every decision made with it
 * still reads the principal from the database (or from the request it came with, see PrincipalsInFlight).
 */
export class ContextTokens {
  private readonly signed: LRUCache<string, Promise<string>>;

  constructor(
    private readonly signer: ContextSigner,
    options: { max?: number; now?: () => number } = {},
  ) {
    this.signed = new LRUCache({ max: options.max ?? 10_000, ttl: REUSE_SECONDS * 1000, ttlResolution: 0, ...(options.now ? { perf: { now: options.now } } : {}) });
  }

  /** Decisions are signed per request (they bind its id): nothing of them is kept. */
  decisionsFor(subject: DecisionsSubject, decisions: readonly HandedDecision[], subgraph: string): Promise<string> {
    return this.signer.signDecisions(subject, decisions, subgraph);
  }

  forSubgraph(claims: ContextClaims, subgraph: string): Promise<string> {
    const key = `${subgraph}\n${JSON.stringify(claims)}`;
    let token = this.signed.get(key);
    if (!token) {
      token = this.signer.sign(claims, subgraph);
      this.signed.set(key, token);
      // A signature that failed is not kept: the next request signs again.
      token.catch(() => this.signed.get(key) === token && this.signed.delete(key));
    }
    return token;
  }
}

/** Who a request is from: its principal and its token's scopes; `bearer` when a client's own token said so. */
export interface ResolvedCaller {
  principal: Principal | null;
  scopes: Set<string>;
  /** True when the caller showed an identity provider's token (a client), false for a context token or none. */
  bearer: boolean;
}

export interface IdentityResolver {
  /** The caller's principal and token scopes, from `Authorization: Bearer` or, without one, a gateway context token. */
  resolve(req: IncomingMessage, requestId: string): Promise<ResolvedCaller>;
}

/** Whether a context token's claims describe this caller: same user, account, session, acting partner user and scopes. */
function claimsDescribe(claims: ContextClaims, principal: Principal, scopes: ReadonlySet<string>): boolean {
  const claimed = scopesOf(claims);
  return (
    claims.sub === principal.user.id &&
    claims.acct === principal.account.id &&
    claims.sid === principal.facts.impersonation?.sessionId &&
    claims.act?.sub === principal.actor?.id &&
    claimed.size === scopes.size &&
    [...claimed].every((scope) => scopes.has(scope))
  );
}

/**
 * The principals of the client requests this gateway instance is serving right now, by request id: the id this
 * gateway made for the request (never one a client sent), which it passes to the subgraphs it calls. A subgraph's
 * decision call for one of them (it sends that id back in `x-request-id` beside the caller's context token) reuses
 * the principal the gateway loaded for that request instead of loading it again, when the token's claims describe
 * that very caller. An entry lives at most as long as its request, and a mutation drops its principal at once (see
 * GatewayContext.mutating): nothing here can outlive a revocation, and a call that reaches another instance, or
 * arrives after the request ended, loads the principal from the database as before.
 */
export class PrincipalsInFlight {
  private readonly byRequest = new Map<string, { principal?: Principal; scopes: Set<string> }>();

  /** Holds the request's principal until the returned release is called (once its response is written). */
  hold(requestId: string, principal: Principal, scopes: Set<string>): () => void {
    const entry: { principal?: Principal; scopes: Set<string> } = { principal, scopes };
    // Request ids are made by this gateway, one per request: a second holder of one is a bug, and is not held.
    if (this.byRequest.has(requestId)) return () => {};
    this.byRequest.set(requestId, entry);
    return () => {
      if (this.byRequest.get(requestId) === entry) this.byRequest.delete(requestId);
    };
  }

  /** Keeps the request known (its decision calls log under its id) but its principal no longer reused. */
  drop(requestId: string): void {
    const entry = this.byRequest.get(requestId);
    if (entry) entry.principal = undefined;
  }

  /** Whether `requestId` is a request this instance is serving: a decision call naming it is logged under it. */
  has(requestId: string): boolean {
    return this.byRequest.has(requestId);
  }

  /** The principal of request `requestId`, when it is in flight here and the token's claims describe its caller. */
  reuse(requestId: string, claims: ContextClaims): { principal: Principal; scopes: Set<string> } | undefined {
    const entry = this.byRequest.get(requestId);
    return entry?.principal && claimsDescribe(claims, entry.principal, entry.scopes) ? { principal: entry.principal, scopes: entry.scopes } : undefined;
  }

  get size(): number {
    return this.byRequest.size;
  }
}

/** The one root field a context token sent back to Portico may select (besides `__typename`): its decisions. */
export const CONTEXT_TOKEN_FIELDS: ReadonlySet<string> = new Set(['authorize', '__typename']);
/** What it may read of each decision: the decision itself, no traversal. */
const DECISION_FIELDS: ReadonlySet<string> = new Set(['permission', 'accountId', 'allowed', 'scope', 'reason', '__typename']);

/** The rule a context token sent back to Portico is held to, as refusals name it. */
export const CONTEXT_TOKEN_RULE = 'a context token may run only the query authorize (what a subgraph needs of its caller is in the token\'s claims)';

/**
 * Why a document is not one a context token may run, or undefined when it is: every operation a query, selecting
 * only `authorize` and `__typename` at its root, and only the decision's own fields below `authorize`, through
 * fragments, inline fragments and aliases alike. The whole document is read, not only the operation to be run.
 */
export function contextTokenRefusal(document: DocumentNode): string | undefined {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const refusal = (what: string) => `${CONTEXT_TOKEN_RULE}: ${what} is refused`;
  /** The first selection at this level not in `allowed`; `below` reads a field's own selections. */
  const walk = (selections: readonly SelectionNode[], allowed: ReadonlySet<string>, below: (name: string, selections: readonly SelectionNode[] | undefined) => string | undefined, seen: Set<string>): string | undefined => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (!allowed.has(name)) return refusal(`the field ${name}`);
        const found = below(name, selection.selectionSet?.selections);
        if (found) return found;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const found = walk(selection.selectionSet.selections, allowed, below, seen);
        if (found) return found;
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment) return refusal(`the unknown fragment ${selection.name.value}`);
        if (seen.has(fragment.name.value)) continue;
        const found = walk(fragment.selectionSet.selections, allowed, below, new Set([...seen, fragment.name.value]));
        if (found) return found;
      }
    }
    return undefined;
  };
  const decisionField = (name: string, selections: readonly SelectionNode[] | undefined) => (selections ? refusal(`a selection below ${name}`) : undefined);
  const rootField = (name: string, selections: readonly SelectionNode[] | undefined) => (name === 'authorize' ? walk(selections ?? [], DECISION_FIELDS, decisionField, new Set()) : selections ? refusal(`a selection below ${name}`) : undefined);
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) continue;
    if (definition.kind !== Kind.OPERATION_DEFINITION) return refusal(`a ${definition.kind}`);
    if (definition.operation !== 'query') return refusal(`a ${definition.operation}`);
    const found = walk(definition.selectionSet.selections, CONTEXT_TOKEN_FIELDS, rootField, new Set());
    if (found) return found;
  }
  return undefined;
}

/**
 * A context token is what a subgraph holds for its caller; sent back to Portico it answers only `authorize`, so a
 * subgraph (or whoever reads its traffic) cannot use it to change anything, read the graph, or reach another
 * subgraph: refused before anything is planned, let alone fetched.
 */
export function contextTokenLimits(principalOf: (context: BaseContext) => Principal | null): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, document }) {
          if (!principalOf(contextValue)?.viaContextToken) return;
          const message = contextTokenRefusal(document);
          if (message) {
            const refusal = new PorticoError('FORBIDDEN', message);
            throw new GraphQLError(refusal.message, { originalError: refusal, extensions: { code: refusal.code, http: { status: 403 } } });
          }
        },
      };
    },
  };
}

/** Tells the gateway context of a mutation that it is one (see GatewayContext.mutating), before it is planned. */
export function mutationsDropHeldRights(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          if (operation?.operation === 'mutation') (contextValue as Partial<GatewayContext>).mutating?.();
        },
      };
    },
  };
}

/**
 * Reads who is calling. A bearer token from the identity provider comes first; a context token this gateway
 * signed (what downstream subgraphs forward when they call back for decisions) is accepted in its place.
 */
export function identityResolver(services: Services, bearer: TokenVerifier, signer: ContextSigner, subgraphs: Iterable<string>, inFlight?: PrincipalsInFlight): IdentityResolver {
  // Only the subgraphs of the running supergraph hold context tokens: any other audience is refused.
  const contextTokens: ContextVerifier = contextVerifier({ jwks: signer.jwks() }, { subgraphs });
  return {
    async resolve(req, requestId) {
      const token = TokenVerifier.bearer(req.headers.authorization);
      let identity: Identity | undefined;
      if (token) identity = await bearer.verify(token);
      else {
        const forwarded = req.headers[CONTEXT_HEADER];
        if (typeof forwarded === 'string' && forwarded !== '') {
          const claims = await contextTokens.verify(forwarded);
          // A decision call made for a request this instance is serving: the principal it loaded for that request.
          const reused = inFlight?.reuse(requestId, claims);
          // Reused, but still vouched for by a context token: it answers only authorize.
          if (reused) return { principal: { ...reused.principal, viaContextToken: true }, scopes: reused.scopes, bearer: false };
          // A forwarded session keeps its limits: the principal is rebuilt from the session, checked again now.
          identity = { subject: claims.sub, claims: claims as unknown as JWTPayload, impersonationSessionId: claims.sid };
        }
      }
      if (!identity) return { principal: null, scopes: new Set(), bearer: false };
      const principal = await loadPrincipal(services.db, services.engine, identity, requestId);
      if (!token) principal.viaContextToken = true;
      return { principal, scopes: scopesOf(identity.claims), bearer: token !== undefined };
    },
  };
}

export function gatewayContext(services: Services, requestId: string, principal: Principal | null, scopes: Set<string>, tokens: ContextTokens, dropHeld: () => void = () => {}): GatewayContext {
  const portico = new RequestContext(services, requestId, principal);
  // The caller's groups are computed once per caller read, and only when a downstream subgraph is asked.
  let claims: { of: Principal; claims: Promise<ContextClaims> } | undefined;
  const claimsOf = (caller: Principal) => {
    if (claims?.of !== caller) claims = { of: caller, claims: partnerGroupsOfPrincipal(portico, caller).then((found) => contextClaimsOf(caller, scopes, found)) };
    return claims.claims;
  };
  let handsOnDecisions = true;
  /** The caller as the database has them now once a mutation of this request ran; null when they may no longer sign in. */
  const current = (): Promise<Principal | null> =>
    callerAsNow(portico).catch((error: unknown) => {
      if (error instanceof PorticoError && error.code === 'UNAUTHENTICATED') return null;
      throw error;
    });
  return {
    portico,
    scopes,
    async contextToken(subgraph) {
      // After a mutation, the caller as they are now: one who may no longer sign in (their session ended, their
      // user suspended) gets no token, and the subgraph answers them as anyone it does not know.
      const caller = await current();
      if (!caller) return undefined;
      return tokens.forSubgraph(await claimsOf(caller), subgraph);
    },
    async decisionsToken(subgraph, accountIds) {
      const caller = portico.principal;
      if (!caller || !handsOnDecisions) return undefined;
      const made = portico.authorizedOn(accountIds);
      if (made.length === 0) return undefined;
      // The caller exactly as the context token beside it names it, so that a subgraph can match the two.
      const { sub, acct, act, sid } = await claimsOf(caller);
      const handed = made.slice(0, MAX_HANDED_DECISIONS).map(({ asked, decision }) => ({ asked, permission: decision.permission, accountId: decision.accountId, allowed: decision.allowed, scope: decision.scope, reason: decision.reason }));
      return tokens.decisionsFor({ sub, acct, act, sid, rid: requestId }, handed, subgraph);
    },
    mutating() {
      handsOnDecisions = false;
      dropHeld();
    },
  };
}
