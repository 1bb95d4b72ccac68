import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { clientCodeOf, isRaisedBeforeResolvers, PorticoError } from '../errors';
import { DatabaseUnavailableError, isConnectionError } from '../storage/availability';

const REQUEST_ID = Symbol('portico.requestId');

/** Marks an error with the request it was raised in, so that its log line names the request. */
export function stampRequestId(error: unknown, requestId: string): void {
  if (error && typeof error === 'object') (error as Record<symbol, unknown>)[REQUEST_ID] = requestId;
}

/** The request an error was raised in, when it was stamped with it. */
const requestIdOf = (error: unknown): { requestId?: string } => {
  const requestId = error && typeof error === 'object' ? (error as Record<symbol, unknown>)[REQUEST_ID] : undefined;
  return typeof requestId === 'string' ? { requestId } : {};
};

/**
 * The one place errors become client errors: Portico's own carry their code and message; GraphQL's request
 * errors pass; a lost database is SERVICE_UNAVAILABLE; everything else is masked as INTERNAL_SERVER_ERROR and logged with the request id.
 */
export function formatErrorWith(logger: Logger, development: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
    const code = clientCodeOf(original);
    if (code) return { ...base, message: (original as Error).message, extensions: { ...(original instanceof PorticoError ? original.details : {}), code } };
    if (isConnectionError(original)) {
      // The database went away under this request: a clear, retryable refusal, never the driver's text.
      logger.warn({ ...requestIdOf(error), err: original, path: formatted.path }, 'database unavailable');
      return { ...base, message: new DatabaseUnavailableError('').message, extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    const raised = formatted.extensions?.code;
    if (isRaisedBeforeResolvers(raised)) return { ...base, extensions: { code: raised } };
    logger.error({ ...requestIdOf(error), err: original, path: formatted.path }, 'internal error');
    return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', ...(development ? { detail: String((original as Error)?.message ?? original) } : {}) } };
  };
}
