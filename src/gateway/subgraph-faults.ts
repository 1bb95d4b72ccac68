import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';

/** What a client reads when a subgraph its fields come from is down or too slow: never the subgraph's address. */
export const SUBGRAPH_UNAVAILABLE_MESSAGE = 'a service some fields come from is unavailable: they are null; try again shortly';

/** The HTTP statuses of a subgraph (or the proxy in front of it) that is down or overloaded. */
const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);

/**
 * True when the gateway could not get an answer from a subgraph: refused or reset connection, timeout, or a
 * 502/503/504 in front of it. The subgraph's other fields' errors (a GraphQL answer) are not this.
 */
export function isSubgraphUnavailable(error: unknown): boolean {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (!original || typeof original !== 'object') return false;
  const { name, extensions } = original as { name?: unknown; extensions?: { response?: { status?: unknown } } };
  if (name === 'FetchError' || name === 'AbortError' || name === 'TimeoutError') return true;
  const status = extensions?.response?.status;
  return typeof status === 'number' && UNAVAILABLE_STATUSES.has(status);
}

/**
 * A connection reset before any answer: typically a kept-alive connection the subgraph closed while it sat idle,
 * reused by the gateway at that very moment.
 */
function isResetConnection(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'ECONNRESET' || (typeof message === 'string' && /socket hang up/.test(message));
}

/** Whether a subgraph request is a query (sent twice, it changes nothing); a mutation is never sent again. */
export function isQueryRequest(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    const { query } = JSON.parse(body) as { query?: unknown };
    return typeof query === 'string' && /^\s*(query\b|\{)/.test(query);
  } catch {
    return false;
  }
}

/**
 * Bounds every request to a subgraph: a slow one fails its own fields after `timeoutMs` instead of holding the
 * whole response (the data source's own HTTP client, with its timeout option). A query whose connection was reset
 * before any answer is sent once more, on a new connection.
 */
export function withSubgraphTimeout<T extends RemoteGraphQLDataSource>(source: T, timeoutMs: number): T {
  const fetcher = source.fetcher;
  const send: typeof fetcher = (url, init) => fetcher(url, { ...init, timeout: timeoutMs } as typeof init);
  source.fetcher = async (url, init) => {
    try {
      return await send(url, init);
    } catch (error) {
      if (!isResetConnection(error) || !isQueryRequest(init?.body)) throw error;
      return send(url, init);
    }
  };
  return source;
}
