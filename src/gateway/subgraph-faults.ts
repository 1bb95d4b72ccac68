import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** What a client reads when a subgraph its fields come from is down or too slow: never the subgraph's address. */
export const SUBGRAPH_UNAVAILABLE_MESSAGE = 'a service some fields come from is unavailable: they are null; try again shortly';

/**
 * True for the error the gateway's transport puts at a subgraph's fields when it got no answer from it (refused
 * or reset connection, timeout, 502/503/504 in front of it). The subgraph's own errors (a GraphQL answer) are not this.
 */
export function isSubgraphUnavailable(formatted: GraphQLFormattedError, error: unknown): boolean {
  return error instanceof GraphQLError && formatted.message === SUBGRAPH_UNAVAILABLE_MESSAGE && formatted.extensions?.code === 'SERVICE_UNAVAILABLE';
}
