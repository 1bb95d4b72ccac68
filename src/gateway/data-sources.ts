import { RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { execute, parse, type DocumentNode, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { RequestContext } from '../domain/context';
import { CONTEXT_HEADER } from '../identity/context-token';
import type { GatewayContext } from './context';

/** Subgraph operations kept parsed: the query planner sends the same few texts again and again. */
const PARSED_CACHE_SIZE = 1000;

/**
 * The access-control subgraph, executed in the gateway's own process: no HTTP hop, and the resolvers get the
 * request's RequestContext (its principal and loaders) directly. Errors are formatted as a remote subgraph would
 * send them, through the same formatter, so no internal text crosses.
 */
export class InProcessSubgraph implements GraphQLDataSource<GatewayContext> {
  private readonly parsed = new Map<string, DocumentNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly anonymous: () => RequestContext,
    private readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    const query = request.query ?? '';
    let document = this.parsed.get(query);
    if (!document) {
      document = parse(query);
      if (this.parsed.size >= PARSED_CACHE_SIZE) this.parsed.clear();
      this.parsed.set(query, document);
    }
    const context = options.kind === GraphQLDataSourceRequestKind.INCOMING_OPERATION ? options.context.portico : this.anonymous();
    const result = await execute({ schema: this.schema, document, variableValues: request.variables, operationName: request.operationName, contextValue: context });
    return {
      data: result.data as GatewayGraphQLResponse['data'],
      errors: result.errors?.map((error: GraphQLError) => this.formatError(error.toJSON(), error)),
    };
  }
}

/** Headers through which a client could claim an identity; none of them reaches a subgraph. */
const IDENTITY_HEADER = /^(authorization|proxy-authorization|cookie|x-portico-.*|x-user(-.*)?|x-auth(-.*)?|x-api-key|x-remote-user|x-forwarded-(user|email|groups|access-token)|x-amzn-oidc-.*|x-ms-client-principal.*)$/i;

/**
 * A downstream subgraph over HTTP. Whatever identity headers a request carries are removed, and a caller's
 * request carries instead a context token the gateway signs. Health checks and schema loads carry no user.
 */
export class ContextForwardingSubgraph extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    /** The subgraph's name in the supergraph: the only audience of the context tokens sent to it. */
    readonly subgraph: string,
    url: string | undefined,
  ) {
    super({ url });
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = options.request.http?.headers;
    if (!headers) return;
    for (const [name] of [...headers]) if (IDENTITY_HEADER.test(name)) headers.delete(name);
    if (options.kind !== GraphQLDataSourceRequestKind.INCOMING_OPERATION) return;
    headers.set('x-request-id', options.context.portico.requestId);
    const token = await options.context.contextToken(this.subgraph);
    if (token) headers.set(CONTEXT_HEADER, token);
  }
}
