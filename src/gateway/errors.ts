import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { passesFromSubgraph, PorticoError } from '../errors';
import { formatErrorWith } from '../graph/errors';
import { isSubgraphUnavailable, SUBGRAPH_UNAVAILABLE_MESSAGE } from './subgraph-faults';
import { ACCESS_CONTROL_SUBGRAPH } from './supergraph';

/** Extensions that describe the gateway's inside, never the client's problem. */
const INTERNAL_EXTENSIONS = new Set(['serviceName', 'stacktrace', 'exception']);

/**
 * The gateway's error formatter: Portico's own errors as in the access-control graph; a subgraph's error passes
 * with its message and extensions when its code is one the contract defines (the in-process graph's were masked
 * already); a subgraph that is down or too slow is SERVICE_UNAVAILABLE; anything else is masked and logged.
 */
export function formatGatewayErrorWith(logger: Logger, development: boolean) {
  const format = formatErrorWith(logger, development);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    const service = formatted.extensions?.serviceName;
    const code = formatted.extensions?.code;
    const fromSubgraph = typeof service === 'string' && !(original instanceof PorticoError);
    if (fromSubgraph && typeof code === 'string' && (passesFromSubgraph(code) || (service === ACCESS_CONTROL_SUBGRAPH && (code === 'INTERNAL_SERVER_ERROR' || code === 'SERVICE_UNAVAILABLE')))) {
      const extensions = Object.fromEntries(Object.entries(formatted.extensions ?? {}).filter(([key]) => !INTERNAL_EXTENSIONS.has(key)));
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
    }
    if (isSubgraphUnavailable(formatted, error)) {
      // The transport logged which subgraph and why; the client learns only that some fields could not be fetched.
      return { message: SUBGRAPH_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    return format(formatted, error);
  };
}
