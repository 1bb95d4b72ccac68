import { GraphQLError } from 'graphql';
import type { IncomingHttpHeaders } from 'http';
import type { JWK } from 'jose';
import { PorticoClient, type PorticoDecision, type PorticoScope } from './decisions';
import { alternatives } from './rules';
import { CONTEXT_HEADER, contextVerifier, ContextTokenError, DECISIONS_HEADER, type ContextClaims, type ContextVerifier, type HandedDecision } from './token';

export interface PorticoKitOptions {
  /** This subgraph's name in the supergraph: only context tokens the gateway signed for it are accepted. */
  subgraph: string;
  /** Portico's GraphQL endpoint, asked for decisions and row scopes. */
  porticoUrl: string;
  /** Where the gateway publishes its context-signing keys (`<gateway>/.well-known/portico/context-jwks.json`); fetched once and cached. */
  contextJwksUrl?: string;
  /** The keys themselves, instead of a URL. */
  contextJwks?: { keys: JWK[] };
  /** Replaces the HTTP client used to ask Portico (tests). @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Take the decisions the gateway made for the request (the `x-portico-decisions` token beside the context token)
   * as Portico's answers, instead of asking for them again. Off: every decision is asked of Portico. @default true
   */
  gatewayDecisions?: boolean;
  /**
   * Where the kit says why it refused a context token (the client is told only that it is not valid).
   * @default console
   */
  logger?: { warn(message: string): void };
}

/**
 * Who is calling, as the gateway vouched for it (everything a subgraph learns of its caller is in the context token's
 * claims: Portico answers a context token `authorize` only), and a client for Portico's decisions on their behalf.
 */
export class PorticoViewer {
  readonly userId: string;
  /** The account the caller acts for. */
  readonly accountId: string;
  /** Its name and type (`PLATFORM`, `PARTNER`, `CUSTOMER`, …); undefined from a gateway that does not send them. */
  readonly accountName?: string;
  readonly accountType?: string;
  /** The roles the caller holds in that account (in an impersonation session, the rights granted); empty from a gateway that does not send them. */
  readonly roles: readonly string[];
  readonly email?: string;
  /** In an impersonation session: the partner user acting in the customer's account. */
  readonly actor?: { userId: string; accountId?: string };
  readonly sessionId?: string;
  /** The scopes of the client's own token (space-separated), for `@requiresScopes`-style checks. */
  readonly scope?: string;
  /** The gateway's id of the client request this call serves (its `x-request-id`), sent back on decision calls. */
  readonly requestId?: string;
  /**
   * The ids of the partner groups the caller belongs to, as the gateway computed them from the groups' rules for
   * this request: filter custom views by them (by id: a group's name changes when it is renamed, its id never).
   * Empty for a caller in no group, and in an impersonation session.
   */
  readonly partnerGroupIds: readonly string[];
  /** The context token itself, sent back to Portico as the caller's identity. */
  readonly token: string;
  private readonly client: PorticoClient;

  constructor(claims: ContextClaims, token: string, options: Pick<PorticoKitOptions, 'porticoUrl' | 'fetch'>, requestId?: string, handed: readonly HandedDecision[] = []) {
    this.userId = claims.sub;
    this.accountId = claims.acct;
    this.email = claims.email;
    this.accountName = claims.acct_name;
    this.accountType = claims.acct_type;
    this.roles = claims.roles ?? [];
    if (claims.act) this.actor = { userId: claims.act.sub, accountId: claims.act.acct };
    this.sessionId = claims.sid;
    this.scope = claims.scope;
    this.requestId = requestId;
    this.partnerGroupIds = claims.groups ?? [];
    this.token = token;
    this.client = new PorticoClient({ porticoUrl: options.porticoUrl, token, requestId, fetch: options.fetch });
    for (const { asked, ...decision } of handed) this.client.known(asked, decision);
  }

  /**
   * Portico's decision on a permission (or `a|b`: any of them) on an account, the caller's own by default. Every
   * check asked in the same tick goes to Portico in one query.
   */
  async authorize(permission: string, accountId: string = this.accountId): Promise<PorticoDecision> {
    const names = alternatives(permission);
    if (names.length === 0) return { permission, accountId, allowed: false, scope: null, reason: 'no permission named' };
    if (names.length === 1) return this.client.authorize(names[0], accountId);
    const decisions = await Promise.all(names.map((name) => this.client.authorize(name, accountId)));
    return decisions.find((d) => d.allowed) ?? { ...decisions[0], permission, reason: decisions.map((d) => d.reason).join('; ') };
  }

  /** Whether the caller belongs to the partner group with this id. */
  inPartnerGroup(id: string): boolean {
    return this.partnerGroupIds.includes(id);
  }

  async can(permission: string, accountId: string = this.accountId): Promise<boolean> {
    return (await this.authorize(permission, accountId)).allowed;
  }

  /**
   * The caller's row scope for a permission on an account: the widest held (`all`, `distributed`, `assigned`), `all`
   * for an allowed permission that has no scopes, null when denied. Turn it into a WHERE clause.
   */
  async scopeFor(permission: string, accountId: string = this.accountId): Promise<PorticoScope | null> {
    const decision = await this.authorize(permission, accountId);
    if (!decision.allowed) return null;
    return (decision.scope ?? 'all') as PorticoScope;
  }

  /** Throws FORBIDDEN unless the permission is allowed on the account. */
  async require(permission: string, accountId: string = this.accountId): Promise<void> {
    const decision = await this.authorize(permission, accountId);
    if (!decision.allowed) throw forbidden(permission, accountId);
  }

  /**
   * Runs a GraphQL operation against Portico as the caller. A context token runs only `authorize` there: anything
   * else (`viewer`, another subgraph's field, a mutation) is refused FORBIDDEN. What the caller is, is on this viewer.
   */
  query<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    return this.client.query<T>(query, variables);
  }
}

/** Portico's FORBIDDEN, as a subgraph answers it: a GraphQL error with the permission and account it was refused on. */
export const forbidden = (permission: string, accountId: string): GraphQLError =>
  new GraphQLError(`not allowed: requires ${permission} on account ${accountId}`, { extensions: { code: 'FORBIDDEN', permission, accountId } });

export const unauthenticated = (message: string) => new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/** What the kit puts in a resolver's context: the viewer, or null for a request that carries no context token. */
export interface PorticoContext {
  portico: PorticoViewer | null;
}

/**
 * The context of a resolver behind `@authenticated` or `@requiresPermission`: the kit's enforcement has refused every
 * request without a viewer before the resolver runs, so `portico` is there.
 */
export interface AuthenticatedContext extends PorticoContext {
  portico: PorticoViewer;
}

/** The viewer of an authenticated request; throws UNAUTHENTICATED for a request without one. */
export function requirePortico(context: PorticoContext): PorticoViewer {
  if (!context.portico) throw unauthenticated('this field needs a signed-in caller: the request carries no context token');
  return context.portico;
}

/** Anything with request headers: Node's IncomingMessage, a Fetch Request, Apollo's HeaderMap holder. */
export type RequestWithHeaders = { headers: IncomingHttpHeaders | Headers | Map<string, string> };

function headerOf(req: RequestWithHeaders, name: string): string | undefined {
  const headers = req.headers;
  if (headers instanceof Map || (typeof Headers !== 'undefined' && headers instanceof Headers)) return (headers as Map<string, string>).get(name) ?? undefined;
  const value = (headers as IncomingHttpHeaders)[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The request ids the gateway gives and accepts back: anything else is not forwarded. */
const REQUEST_ID = /^[\w-]{1,64}$/;

export interface PorticoKit {
  verifier: ContextVerifier;
  /**
   * The context of one request: the viewer from the gateway's context token. A request without one gets
   * `portico: null` (only `_service` answers it); a forged, expired or wrongly signed token is refused with
   * UNAUTHENTICATED. Client identity headers (`Authorization`, …) are never read.
   */
  context(req: RequestWithHeaders): Promise<PorticoContext>;
}

/** The kit for a subgraph behind Portico: `context: ({ req }) => kit.context(req)`. */
export function porticoKit(options: PorticoKitOptions): PorticoKit {
  if (!options.contextJwksUrl && !options.contextJwks) throw new Error('porticoKit needs contextJwksUrl (or contextJwks) to verify context tokens');
  if (typeof options.subgraph !== 'string' || options.subgraph === '') throw new Error("porticoKit needs the subgraph's name in the supergraph (subgraph) to accept only the context tokens meant for it");
  const verifier = contextVerifier(options.contextJwksUrl ? { jwksUrl: options.contextJwksUrl } : { jwks: options.contextJwks! }, { subgraph: options.subgraph });
  const logger = options.logger ?? console;
  return {
    verifier,
    async context(req) {
      const token = headerOf(req, CONTEXT_HEADER);
      if (token === undefined || token === '') return { portico: null };
      try {
        const claims = await verifier.verify(token);
        const header = headerOf(req, 'x-request-id');
        const requestId = header !== undefined && REQUEST_ID.test(header) ? header : undefined;
        // Decisions come only with a request id to bind them to; any that do not verify are ignored, and asked of Portico.
        const decisions = headerOf(req, DECISIONS_HEADER);
        const handed = options.gatewayDecisions !== false && decisions && requestId ? await verifier.verifyDecisions(decisions, claims, requestId) : undefined;
        return { portico: new PorticoViewer(claims, token, options, requestId, handed) };
      } catch (error) {
        if (error instanceof ContextTokenError) {
          logger.warn(`portico-kit: refused a context token for subgraph ${JSON.stringify(options.subgraph)} (${error.reason}): ${error.detail}`);
          throw unauthenticated(error.message);
        }
        throw error;
      }
    },
  };
}
