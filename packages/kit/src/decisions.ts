import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { CONTEXT_HEADER } from './token';

/** Row scopes Portico's presets use (`leads:read`: assigned < distributed < all); `all` for an unscoped permission. */
export type PorticoScope = 'all' | 'distributed' | 'assigned';

export interface PorticoDecision {
  permission: string;
  accountId: string;
  allowed: boolean;
  scope: string | null;
  reason: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Portico takes at most this many checks per `authorize` query. */
const MAX_CHECKS_PER_CALL = 100;

/** The decision query the client sends; Portico answers a query of `authorize` alone without its gateway's passes. */
export const AUTHORIZE_QUERY = 'query PorticoAuthorize($c: [AuthorizationCheckInput!]!) { authorize(checks: $c) { permission accountId allowed scope reason } }';

export interface PorticoClientOptions {
  /** Portico's GraphQL endpoint, e.g. `http://portico:4000/graphql`. */
  porticoUrl: string;
  /** The context token of the request, sent back to Portico as the caller's identity. */
  token: string;
  /** The gateway's request id, passed on so Portico's logs line up with the subgraph's. */
  requestId?: string;
  /** Counts or replaces the HTTP calls (tests). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** How long to wait for Portico before the field fails. @default 10000 */
  timeoutMs?: number;
}

/**
 * Talks to Portico for one request, as the request's caller: decisions are batched (every check asked in the same
 * tick goes out in one `authorize` query) and cached for the request, so two viewers never share an answer.
 */
export class PorticoClient {
  private readonly decisions: DataLoader<{ permission: string; accountId: string }, PorticoDecision, string>;

  constructor(private readonly options: PorticoClientOptions) {
    this.decisions = new DataLoader((checks) => this.authorizeMany(checks), {
      cacheKeyFn: (check) => `${check.permission}\n${check.accountId}`,
      maxBatchSize: MAX_CHECKS_PER_CALL,
    });
  }

  /** A decision Portico already made for this request (the gateway handed it over): answered without asking. */
  known(asked: string, decision: PorticoDecision): void {
    this.decisions.prime({ permission: asked, accountId: decision.accountId }, decision);
  }

  /** Portico's decision on one permission (or Portico action) on one account. */
  authorize(permission: string, accountId: string): Promise<PorticoDecision> {
    return this.decisions.load({ permission, accountId });
  }

  /** Runs a GraphQL operation against Portico as the request's caller. */
  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(this.options.porticoUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [CONTEXT_HEADER]: this.options.token,
          ...(this.options.requestId ? { 'x-request-id': this.options.requestId } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(`Portico is unreachable at ${this.options.porticoUrl}: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    const refused = body.errors?.find((e) => e.extensions?.code === 'UNAUTHENTICATED');
    if (refused) throw new GraphQLError(`Portico refused the request's identity: ${refused.message}`, { extensions: { code: 'UNAUTHENTICATED' } });
    if (!body.data || body.errors?.length) {
      throw new Error(`Portico answered ${response.status}: ${body.errors?.map((e) => e.message).join('; ') ?? 'no data'}`);
    }
    return body.data;
  }

  private async authorizeMany(checks: ReadonlyArray<{ permission: string; accountId: string }>): Promise<PorticoDecision[]> {
    const data = await this.query<{ authorize: PorticoDecision[] }>(AUTHORIZE_QUERY, { c: checks.map(({ permission, accountId }) => ({ permission, accountId })) });
    if (data.authorize.length !== checks.length) throw new Error(`Portico answered ${data.authorize.length} decisions for ${checks.length} checks`);
    return data.authorize;
  }
}
