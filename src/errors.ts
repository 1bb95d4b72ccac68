import { AuthenticationError } from './identity/errors';

type CodeKind = 'denied' | 'input' | 'unavailable' | 'request' | 'internal';

/**
 * Every code a client may read in `extensions.code`, with what it is: the one list the formatters, the request log
 * and the HTTP endpoints derive from. `beforeResolvers`: raised by the server itself before any resolver runs (a
 * request that does not parse or validate, bad variables, a refused identity), so it carries no internal text.
 * `status`: the HTTP status a plain HTTP endpoint answers with it.
 */
const ERROR_CODES = {
  UNAUTHENTICATED: { kind: 'denied', status: 401, beforeResolvers: true },
  FORBIDDEN: { kind: 'denied', status: 403 },
  UNAUTHORIZED_FIELD_OR_TYPE: { kind: 'denied' },
  BAD_USER_INPUT: { kind: 'input', status: 400, beforeResolvers: true },
  NOT_FOUND: { kind: 'input', status: 404 },
  CONFLICT: { kind: 'input' },
  SERVICE_UNAVAILABLE: { kind: 'unavailable', status: 503 },
  GRAPHQL_PARSE_FAILED: { kind: 'request', beforeResolvers: true },
  GRAPHQL_VALIDATION_FAILED: { kind: 'request', beforeResolvers: true },
  BAD_REQUEST: { kind: 'request', beforeResolvers: true },
  PERSISTED_QUERY_NOT_FOUND: { kind: 'request', beforeResolvers: true },
  OPERATION_RESOLUTION_FAILURE: { kind: 'request', beforeResolvers: true },
  INTERNAL_SERVER_ERROR: { kind: 'internal', status: 500 },
} as const satisfies Record<string, { kind: CodeKind; status?: number; beforeResolvers?: true }>;

export type ClientErrorCode = keyof typeof ERROR_CODES;
type CodesOf<K extends CodeKind> = { [C in ClientErrorCode]: (typeof ERROR_CODES)[C]['kind'] extends K ? C : never }[ClientErrorCode];

/** The codes Portico's own errors carry (SPEC §7): a refusal, bad input, or the database gone. */
export type ErrorCode = CodesOf<'denied' | 'input' | 'unavailable'>;

const entryOf = (code: unknown): { kind: CodeKind; status?: number; beforeResolvers?: true } | undefined =>
  typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ClientErrorCode] : undefined;

/** A refusal of the caller (not signed in, not allowed): a denial in the request log, not an error. */
export const isDenial = (code: unknown): boolean => entryOf(code)?.kind === 'denied';

/** Raised by the server before any resolver ran: passes to the client as written. */
export const isRaisedBeforeResolvers = (code: unknown): boolean => entryOf(code)?.beforeResolvers === true;

/**
 * A subgraph's error the client may read as the subgraph wrote it: the contract's refusals and bad input, and a
 * request the subgraph found invalid. Anything else from a subgraph is masked.
 */
export const passesFromSubgraph = (code: unknown): boolean => ['denied', 'input'].includes(entryOf(code)?.kind ?? '') || code === 'GRAPHQL_VALIDATION_FAILED';

/** The HTTP status a plain HTTP endpoint answers a code with; 400 for a code that names none. */
export const httpStatusOf = (code: ClientErrorCode): number => (ERROR_CODES[code] as { status?: number }).status ?? 400;

/** The code of an error whose message is written for the client (Portico's own, a refused identity); undefined for any other. */
export const clientCodeOf = (error: unknown): ErrorCode | undefined => (error instanceof PorticoError || error instanceof AuthenticationError ? error.code : undefined);

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
