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
 * Bounds every request to a subgraph: a slow one fails its own fields after `timeoutMs` instead of holding the
 * whole response. Uses the data source's own HTTP client, with its timeout option.
 */
export function withSubgraphTimeout<T extends RemoteGraphQLDataSource>(source: T, timeoutMs: number): T {
  const fetcher = source.fetcher;
  source.fetcher = (url, init) => fetcher(url, { ...init, timeout: timeoutMs } as typeof init);
  return source;
}
