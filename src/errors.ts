/** The codes clients see in `extensions.code`. */
export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'UNAUTHORIZED_FIELD_OR_TYPE' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'SERVICE_UNAVAILABLE';

/** An error whose message is written for the client; anything else is masked as an internal error. */
export class PorticoError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'PorticoError';
  }
}

/** A request that would break an invariant: nothing was changed. */
export class InvariantError extends PorticoError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFLICT', message, details);
    this.name = 'InvariantError';
  }
}

export const badInput = (message: string, details: Record<string, unknown> = {}) => new PorticoError('BAD_USER_INPUT', message, details);
/** Echoes at most this much of an id the client sent: enough to recognise it, never a 10 KB payload back. */
const ECHOED_ID_LENGTH = 64;
const echoed = (id: string) => (id.length > ECHOED_ID_LENGTH ? `${id.slice(0, ECHOED_ID_LENGTH)}…` : id);

export const notFound = (what: string, id: string) => new PorticoError('NOT_FOUND', `${what} ${echoed(id)} was not found`, { id: echoed(id) });
export const forbidden = (message: string, details: Record<string, unknown> = {}) => new PorticoError('FORBIDDEN', message, details);
