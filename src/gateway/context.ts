import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionNode } from 'graphql';
import type { IncomingMessage } from 'http';
import type { JWTPayload } from 'jose';
import { RequestContext, type Services } from '../domain/context';
import { PorticoError } from '../errors';
import { partnerGroupsOfPrincipal } from '../domain/partner-groups.service';
import { loadPrincipal, type Principal } from '../domain/principal';
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
   * request names, so that the subgraph need not ask again; undefined when there are none.
   */
  decisionsToken(subgraph: string, accountIds: Iterable<string>): Promise<string | undefined>;
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
  const claims: ContextClaims = { sub: principal.user.id, acct: principal.account.id, email: principal.user.email };
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
 * The principals of the client requests this gateway instance is serving right now, by request id. A subgraph's
 * decision call for one of them (it sends the request's `x-request-id` back beside the caller's context token)
 * reuses the principal the gateway loaded for that request instead of loading it again, when the token's claims
 * describe that very caller. An entry lives exactly as long as its request: nothing
 * here can outlive a revocation, and a call that reaches another instance, or arrives after the request ended,
 * loads the principal from the database as before.
 */
export class PrincipalsInFlight {
  private readonly byRequest = new Map<string, { principal: Principal; scopes: Set<string> }>();

  /** Holds the request's principal until the returned release is called (once its response is written). */
  hold(requestId: string, principal: Principal, scopes: Set<string>): () => void {
    const entry = { principal, scopes };
    // A client may send the request id of a request in flight: the first holder keeps it, the second is not held.
    if (this.byRequest.has(requestId)) return () => {};
    this.byRequest.set(requestId, entry);
    return () => {
      if (this.byRequest.get(requestId) === entry) this.byRequest.delete(requestId);
    };
  }

  /** The principal of request `requestId`, when it is in flight here and the token's claims describe its caller. */
  reuse(requestId: string, claims: ContextClaims): { principal: Principal; scopes: Set<string> } | undefined {
    const entry = this.byRequest.get(requestId);
    return entry && claimsDescribe(claims, entry.principal, entry.scopes) ? entry : undefined;
  }

  get size(): number {
    return this.byRequest.size;
  }
}

/** What a principal vouched for by a context token may ask: the decisions a subgraph needs, nothing else. */
export const CONTEXT_TOKEN_FIELDS: ReadonlySet<string> = new Set(['authorize', 'viewer', '__typename']);

/** The root fields an operation selects, through its fragments. */
export function rootFieldsOf(operation: OperationDefinitionNode, document: DocumentNode): string[] {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const names: string[] = [];
  const seen = new Set<string>();
  const walk = (selections: readonly SelectionNode[]) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) names.push(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet.selections);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        walk(fragments.get(selection.name.value)?.selectionSet.selections ?? []);
      }
    }
  };
  walk(operation.selectionSet.selections);
  return names;
}

/**
 * A context token is what a subgraph holds for its caller; sent back to Portico it answers only the decision
 * queries, so a subgraph (or whoever reads its traffic) cannot use it to change anything or read the graph.
 */
export function contextTokenLimits(principalOf: (context: BaseContext) => Principal | null): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document }) {
          if (!principalOf(contextValue)?.viaContextToken) return;
          const allowed = operation !== undefined && operation.operation === 'query' && rootFieldsOf(operation, document).every((name) => CONTEXT_TOKEN_FIELDS.has(name));
          if (!allowed) {
            const refusal = new PorticoError('FORBIDDEN', 'a context token answers only the decision queries authorize and viewer');
            throw new GraphQLError(refusal.message, { originalError: refusal, extensions: { code: refusal.code, http: { status: 403 } } });
          }
        },
      };
    },
  };
}

/**
 * Reads who is calling. A bearer token from the identity provider comes first; a context token this gateway
 * signed (what downstream subgraphs forward when they call back for decisions) is accepted in its place.
 */
export function identityResolver(services: Services, bearer: TokenVerifier, signer: ContextSigner, inFlight?: PrincipalsInFlight): IdentityResolver {
  const contextTokens: ContextVerifier = contextVerifier({ jwks: signer.jwks() }, 'any-subgraph');
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
          // Reused, but still vouched for by a context token: it answers only the decision queries.
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

export function gatewayContext(services: Services, requestId: string, principal: Principal | null, scopes: Set<string>, tokens: ContextTokens): GatewayContext {
  const portico = new RequestContext(services, requestId, principal);
  // The caller's groups are computed once per request, and only when a downstream subgraph is asked.
  let claims: Promise<ContextClaims> | undefined;
  const claimsOf = (caller: Principal) => (claims ??= partnerGroupsOfPrincipal(portico, caller).then((found) => contextClaimsOf(caller, scopes, found)));
  return {
    portico,
    scopes,
    contextToken(subgraph) {
      if (!principal) return Promise.resolve(undefined);
      return claimsOf(principal).then((held) => tokens.forSubgraph(held, subgraph));
    },
    async decisionsToken(subgraph, accountIds) {
      if (!principal) return undefined;
      const made = portico.authorizedOn(accountIds);
      if (made.length === 0) return undefined;
      // The caller exactly as the context token beside it names it, so that a subgraph can match the two.
      const { sub, acct, act, sid } = await claimsOf(principal);
      const handed = made.slice(0, MAX_HANDED_DECISIONS).map(({ asked, decision }) => ({ asked, permission: decision.permission, accountId: decision.accountId, allowed: decision.allowed, scope: decision.scope, reason: decision.reason }));
      return tokens.decisionsFor({ sub, acct, act, sid, rid: requestId }, handed, subgraph);
    },
  };
}

