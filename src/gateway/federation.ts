import type { GatewayExecutionResult, GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { getOperationAST, getVariableValues, isNonNullType, Kind, type DocumentNode, type ExecutionResult, type FragmentDefinitionNode, type GraphQLSchema } from 'graphql';
import { collectFields } from 'graphql/execution/collectFields';
import type { GatewayContext } from './context';
import type { EngineContext, subgraphTransport } from './subgraph-transport';

export interface FederatedGatewayOptions {
  /** The supergraph SDL the engine plans against. */
  supergraphSdl: string;
  /** How the engine reaches each subgraph (./subgraph-transport). */
  transport: ReturnType<typeof subgraphTransport>;
}

/**
 * The federation engine behind Portico's GraphQL endpoint: Hive Gateway's runtime with the Rust query planner
 * (both MIT), reached through Apollo Server's gateway interface so that the HTTP handling in front of it (CSRF
 * prevention, operation limits, error masking, the request log) is the same for the gateway and the
 * access-control graph served alone.
 *
 * - Plans are cached per parsed document: Apollo Server hands the same document object for the same operation
 *   text, and the enforcement keeps one rewritten document per set of verdicts, so the planner's cache hits.
 * - Inbound request deduplication stays off: two callers sending the same text must never share an answer,
 *   and a key on the caller's identity would save nothing the plan cache does not.
 * - Errors pass unmasked to Apollo Server's formatter, the one place that decides what a client reads.
 */
export function federatedGateway({ supergraphSdl, transport }: FederatedGatewayOptions): GatewayInterface {
  const runtime = createGatewayRuntime<EngineContext>({
    supergraph: supergraphSdl,
    unifiedGraphHandler,
    transports: () => transport,
    logging: false,
    maskedErrors: false,
    graphiql: false,
    landingPage: false,
    inboundInflightRequestDeduplication: false,
    subgraphErrors: { errorCode: false, subgraphNameProp: 'serviceName' },
  });
  const listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  return {
    onSchemaLoadOrUpdate(callback) {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
    async load() {
      const apiSchema = await runtime.getSchema();
      for (const listener of listeners) listener({ apiSchema, coreSupergraphSdl: supergraphSdl });
      return {
        async executor(request): Promise<GatewayExecutionResult> {
          // Variables are coerced before planning, so a wrong type is the client's error (400), as GraphQL words it.
          const definitions = request.operation.variableDefinitions;
          if (definitions && definitions.length > 0) {
            const coerced = getVariableValues(apiSchema, definitions, request.request.variables ?? {}, { maxErrors: 50 });
            if (coerced.errors) return { errors: coerced.errors };
          }
          const { execute, schema, contextFactory } = runtime.getEnveloped({ portico: request.context as GatewayContext });
          const contextValue = await contextFactory();
          const result = (await execute({ schema, document: request.document, variableValues: request.request.variables, operationName: request.operationName, contextValue })) as ExecutionResult;
          const data = result.data ?? (result.errors ? nullRootFields(apiSchema, request.document, request.operationName, request.request.variables) : null);
          return { data, errors: result.errors, extensions: result.extensions };
        },
      };
    },
    async stop() {
      await runtime.dispose();
    },
  };
}

/**
 * The `data` of an operation none of whose subgraph requests answered: each root field null, or `data` itself
 * null when a root field is non-null (GraphQL's null propagation). The engine leaves `data` out in that case,
 * which Apollo Server would answer as a request error.
 */
export function nullRootFields(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined): Record<string, null> | null {
  const operation = getOperationAST(document, operationName);
  const rootType = operation && schema.getRootType(operation.operation);
  if (!operation || !rootType) return null;
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  const data: Record<string, null> = {};
  const fields = rootType.getFields();
  for (const [key, [node]] of collectFields(schema, fragments, variables ?? {}, rootType, operation.selectionSet)) {
    const field = fields[node.name.value];
    if (field && isNonNullType(field.type)) return null;
    data[key] = null;
  }
  return data;
}
