import { GraphQLError } from 'graphql';
import pino from 'pino';
import { clientCodeOf, forbidden, httpStatusOf, InvariantError, isDenial, isRaisedBeforeResolvers, passesFromSubgraph, PorticoError, type ClientErrorCode } from '../src/errors';
import { formatGatewayErrorWith } from '../src/gateway/errors';
import { outcomeOf } from '../src/gateway/observability';
import { formatErrorWith } from '../src/graph/errors';
import { AuthenticationError } from '../src/identity';

const logger = pino({ level: 'silent' });

describe('error codes: one list, every classification derived from it (src/errors.ts)', () => {
  it.each<{ code: ClientErrorCode; denial: boolean; raised: boolean; fromSubgraph: boolean; status: number }>([
    { code: 'UNAUTHENTICATED', denial: true, raised: true, fromSubgraph: true, status: 401 },
    { code: 'FORBIDDEN', denial: true, raised: false, fromSubgraph: true, status: 403 },
    { code: 'UNAUTHORIZED_FIELD_OR_TYPE', denial: true, raised: false, fromSubgraph: true, status: 400 },
    { code: 'BAD_USER_INPUT', denial: false, raised: true, fromSubgraph: true, status: 400 },
    { code: 'NOT_FOUND', denial: false, raised: false, fromSubgraph: true, status: 404 },
    { code: 'CONFLICT', denial: false, raised: false, fromSubgraph: true, status: 400 },
    { code: 'SERVICE_UNAVAILABLE', denial: false, raised: false, fromSubgraph: false, status: 503 },
    { code: 'GRAPHQL_PARSE_FAILED', denial: false, raised: true, fromSubgraph: false, status: 400 },
    { code: 'GRAPHQL_VALIDATION_FAILED', denial: false, raised: true, fromSubgraph: true, status: 400 },
    { code: 'INTERNAL_SERVER_ERROR', denial: false, raised: false, fromSubgraph: false, status: 500 },
  ])('$code', ({ code, denial, raised, fromSubgraph, status }) => {
    expect(isDenial(code)).toBe(denial);
    expect(outcomeOf([code])).toBe(denial ? 'denied' : 'error');
    expect(isRaisedBeforeResolvers(code)).toBe(raised);
    expect(passesFromSubgraph(code)).toBe(fromSubgraph);
    expect(httpStatusOf(code)).toBe(status);
    // The in-process graph passes a code the server raised, and masks any other that is not Portico's own.
    const graph = formatErrorWith(logger, false)({ message: 'text', extensions: { code } }, new GraphQLError('text', { extensions: { code } }));
    expect(graph.extensions?.code).toBe(raised ? code : 'INTERNAL_SERVER_ERROR');
    // The gateway passes a downstream subgraph's error with a contract code, and masks any other.
    const gateway = formatGatewayErrorWith(logger, false)({ message: 'text', extensions: { code, serviceName: 'billing' } }, new GraphQLError('text', { extensions: { code, serviceName: 'billing' } }));
    expect(gateway.extensions?.code).toBe(fromSubgraph ? code : raised ? code : 'INTERNAL_SERVER_ERROR');
  });

  it.each([
    { title: "Portico's own error", error: forbidden('not allowed', { permission: 'a:b' }), code: 'FORBIDDEN' },
    { title: 'a broken invariant', error: new InvariantError('the last administrator cannot leave'), code: 'CONFLICT' },
    { title: 'a refused identity', error: new AuthenticationError('the token has expired'), code: 'UNAUTHENTICATED' },
    { title: 'any other error', error: new Error('SQLITE_BUSY: database is locked'), code: undefined },
  ])('the client code of $title', ({ error, code }) => {
    expect(clientCodeOf(error)).toBe(code);
    const formatted = formatErrorWith(logger, false)({ message: error.message }, error);
    expect(formatted.extensions?.code).toBe(code ?? 'INTERNAL_SERVER_ERROR');
    expect(formatted.message).toBe(code ? error.message : 'Internal server error');
  });

  it('an unknown code is no denial and never passes', () => {
    expect(isDenial('ACCESS_DENIED')).toBe(false);
    expect(isRaisedBeforeResolvers('toString')).toBe(false);
    expect(passesFromSubgraph('constructor')).toBe(false);
    expect(new PorticoError('NOT_FOUND', 'x').code).toBe('NOT_FOUND');
  });
});
