import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { AuthenticationError } from '../identity';
import { PorticoError } from '../errors';
import { DatabaseUnavailableError, isConnectionError } from '../storage/availability';

const PASS_THROUGH = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE', 'UNAUTHENTICATED']);

/**
 * The one place errors become client errors: Portico's own carry their code and message; GraphQL's request
 * errors pass; a lost database is SERVICE_UNAVAILABLE; everything else is masked as INTERNAL_SERVER_ERROR and logged with the request id.
 */
export function formatErrorWith(logger: Logger, development: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
    if (original instanceof PorticoError) {
      return { ...base, message: original.message, extensions: { ...original.details, code: original.code } };
    }
    if (original instanceof AuthenticationError) {
      return { ...base, message: original.message, extensions: { code: 'UNAUTHENTICATED' } };
    }
    if (isConnectionError(original)) {
      // The database went away under this request: a clear, retryable refusal, never the driver's text.
      logger.warn({ err: original, path: formatted.path }, 'database unavailable');
      return { ...base, message: new DatabaseUnavailableError('').message, extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      return { ...base, extensions: { code } };
    }
    logger.error({ err: original, path: formatted.path }, 'internal error');
    return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', ...(development ? { detail: String((original as Error)?.message ?? original) } : {}) } };
  };
}
