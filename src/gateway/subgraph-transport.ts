import type { ExecutionRequest, ExecutionResult } from '@graphql-tools/utils';
import { execute, GraphQLError, print, visit, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { Agent as HttpAgent, request as httpRequest } from 'http';
import { Agent as HttpsAgent, request as httpsRequest } from 'https';
import type { Logger } from 'pino';
import type { RequestContext } from '../domain/context';
import { callerAsNow } from '../domain/current-caller';
import { PorticoError } from '../errors';
import { CONTEXT_HEADER, DECISIONS_HEADER } from '../identity/context-token';
import type { GatewayContext } from './context';
import { stampRequestId } from '../graph/errors';
import { SUBGRAPH_UNAVAILABLE_MESSAGE } from './subgraph-faults';
import { ACCESS_CONTROL_SUBGRAPH } from './supergraph';

/** What the gateway engine hands a subgraph executor as its context: Portico's request context under `portico`. */
export interface EngineContext {
  portico?: GatewayContext;
}

/** A subgraph executor: one subgraph request in, its GraphQL answer out. */
export type SubgraphExecutor = (request: ExecutionRequest) => Promise<ExecutionResult>;

/** The answer of a subgraph over HTTP: its status and its body, read whole. */
export interface SubgraphResponse {
  status: number;
  body: string;
}

/** HTTP statuses of a subgraph (or the proxy in front of it) that is down or overloaded. */
const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);

/** The subgraph did not answer: refused or reset connection, timeout, or a 502/503/504 in front of it. */
export class SubgraphUnavailableError extends Error {
  constructor(
    readonly subgraph: string,
    readonly reason: string,
  ) {
    super(`subgraph ${subgraph} unavailable: ${reason}`);
    this.name = 'SubgraphUnavailableError';
  }
}

/**
 * A connection reset before any answer: typically a kept-alive connection the subgraph closed while it sat idle,
 * reused by the gateway at that very moment.
 */
function isResetConnection(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'ECONNRESET' || (typeof message === 'string' && /socket hang up/.test(message));
}

/**
 * Sends subgraph requests over HTTP on kept-alive connections. Every request is bounded by `timeoutMs`: a slow
 * subgraph fails its own fields instead of holding the whole response. A query whose connection was reset before
 * any answer is sent once more, on a new connection; a mutation never is.
 */
export class SubgraphHttpClient {
  private readonly http = new HttpAgent({ keepAlive: true });
  private readonly https = new HttpsAgent({ keepAlive: true });

  constructor(private readonly timeoutMs: number) {}

  async post(subgraph: string, url: string, body: string, headers: Record<string, string>, { query }: { query: boolean }): Promise<SubgraphResponse> {
    try {
      return await this.send(url, body, headers);
    } catch (error) {
      if (query && isResetConnection(error)) {
        try {
          return await this.send(url, body, headers);
        } catch (again) {
          throw new SubgraphUnavailableError(subgraph, (again as Error).message);
        }
      }
      throw new SubgraphUnavailableError(subgraph, (error as Error).message);
    }
  }

  private send(url: string, body: string, headers: Record<string, string>): Promise<SubgraphResponse> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    return new Promise<SubgraphResponse>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        target,
        { method: 'POST', agent: secure ? this.https : this.http, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (error) => {
            clearTimeout(timer);
            reject(error);
          });
        },
      );
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { name: 'TimeoutError' })), this.timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(body);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** Headers through which a client could claim an identity; the gateway builds a subgraph's headers itself, so none reaches it. */
export const IDENTITY_HEADER = /^(authorization|proxy-authorization|cookie|x-portico-.*|x-user(-.*)?|x-auth(-.*)?|x-api-key|x-remote-user|x-forwarded-(user|email|groups|access-token)|x-amzn-oidc-.*|x-ms-client-principal.*)$/i;

/** The literal strings and integers of a document: account ids a subgraph request may name inline. */
const literalsOf = (document: DocumentNode): string[] => {
  const found: string[] = [];
  visit(document, {
    StringValue: (node) => void found.push(node.value),
    IntValue: (node) => void found.push(node.value),
  });
  return found;
};

/** Adds every string and integer in a variable value (through lists and objects) to `into`. */
function addScalars(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') into.add(value);
  else if (typeof value === 'number' && Number.isInteger(value)) into.add(String(value));
  else if (Array.isArray(value)) for (const item of value) addScalars(item, into);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) addScalars(item, into);
}

/** The error a client reads at a subgraph's fields when it did not answer; the formatter keeps only its code. */
const unavailable = (subgraph: string) => new GraphQLError(SUBGRAPH_UNAVAILABLE_MESSAGE, { extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: subgraph } });

/** A subgraph's own error, as it sent it; the gateway's formatter decides what the client sees. */
function subgraphError(subgraph: string, error: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(typeof error.message === 'string' ? error.message : 'subgraph error', {
    path: error.path,
    extensions: { ...(error.extensions ?? {}), serviceName: subgraph },
  });
}

export interface SubgraphTransportOptions {
  /** The access-control graph's schema, executed in the gateway's process. */
  accessControlSchema: GraphQLSchema;
  /** The request context of work no caller asked for (there is none today: every operation comes from a request). */
  anonymous: () => RequestContext;
  /** Formats the in-process graph's errors as a remote subgraph would send them, so no internal text crosses. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Subgraph name → URL, overriding the supergraph's. */
  urls: ReadonlyMap<string, string>;
  client: SubgraphHttpClient;
  logger: Logger;
}

/**
 * Portico's transport for the gateway engine. The access-control graph runs in-process: no HTTP hop, and its
 * resolvers get the request's RequestContext (its principal and loaders) directly. A downstream subgraph is
 * called over HTTP with the headers the gateway builds itself: the request id and, for a signed-in caller, the
 * context token the gateway signs. No header of the client's reaches it.
 */
export function subgraphTransport(options: SubgraphTransportOptions) {
  const printed = new WeakMap<DocumentNode, string>();
  const textOf = (document: DocumentNode): string => {
    let text = printed.get(document);
    if (text === undefined) {
      text = print(document);
      printed.set(document, text);
    }
    return text;
  };

  const literals = new WeakMap<DocumentNode, string[]>();
  /** Every value a subgraph request names (its literals and its variables): the accounts its decisions may be about. */
  const valuesNamedBy = (request: ExecutionRequest): Set<string> => {
    let inline = literals.get(request.document);
    if (inline === undefined) {
      inline = literalsOf(request.document);
      literals.set(request.document, inline);
    }
    const values = new Set(inline);
    addScalars(request.variables, values);
    return values;
  };

  const inProcess = (): SubgraphExecutor => async (request) => {
    const context = (request.context as EngineContext | undefined)?.portico?.portico ?? options.anonymous();
    try {
      // After a mutation of this request, the caller as they are now (see callerAsNow), for every field fetched here.
      await callerAsNow(context);
    } catch (error) {
      if (!(error instanceof PorticoError)) throw error;
      const refused = new GraphQLError(error.message, { originalError: error, extensions: { code: error.code } });
      stampRequestId(refused, context.requestId);
      return { errors: [subgraphError(ACCESS_CONTROL_SUBGRAPH, options.formatError(refused.toJSON(), refused))] };
    }
    const result = await execute({ schema: options.accessControlSchema, document: request.document, variableValues: request.variables, operationName: request.operationName, contextValue: context });
    return {
      data: result.data,
      errors: result.errors?.map((error) => {
        stampRequestId(error, context.requestId);
        return subgraphError(ACCESS_CONTROL_SUBGRAPH, options.formatError(error.toJSON(), error));
      }),
    };
  };

  const overHttp = (subgraph: string, url: string): SubgraphExecutor => async (request) => {
    const caller = (request.context as EngineContext | undefined)?.portico;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (caller) {
      headers['x-request-id'] = caller.portico.requestId;
      const token = await caller.contextToken(subgraph);
      if (token) headers[CONTEXT_HEADER] = token;
      const decisions = token ? await caller.decisionsToken(subgraph, valuesNamedBy(request)) : undefined;
      if (decisions) headers[DECISIONS_HEADER] = decisions;
    }
    const body = JSON.stringify({ query: textOf(request.document), variables: request.variables, operationName: request.operationName });
    let response: SubgraphResponse;
    try {
      response = await options.client.post(subgraph, url, body, headers, { query: (request.operationType ?? 'query') === 'query' });
    } catch (error) {
      // Its URL and port stay in the log; the client learns only that some fields could not be fetched.
      options.logger.warn({ requestId: caller?.portico.requestId, err: error, subgraph }, 'subgraph unavailable');
      return { errors: [unavailable(subgraph)] };
    }
    if (UNAVAILABLE_STATUSES.has(response.status)) {
      options.logger.warn({ requestId: caller?.portico.requestId, subgraph, status: response.status }, 'subgraph unavailable');
      return { errors: [unavailable(subgraph)] };
    }
    let answer: { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] };
    try {
      answer = JSON.parse(response.body) as typeof answer;
    } catch {
      throw new Error(`subgraph ${subgraph} answered HTTP ${response.status} with no GraphQL response`);
    }
    if (!answer || typeof answer !== 'object' || (!('data' in answer) && !Array.isArray(answer.errors))) {
      throw new Error(`subgraph ${subgraph} answered HTTP ${response.status} with no GraphQL response`);
    }
    return { data: answer.data ?? null, errors: answer.errors?.map((error) => subgraphError(subgraph, error)) };
  };

  return {
    getSubgraphExecutor({ subgraphName, transportEntry }: { subgraphName: string; transportEntry?: { location?: string } }): SubgraphExecutor {
      if (subgraphName === ACCESS_CONTROL_SUBGRAPH) return inProcess();
      return overHttp(subgraphName, options.urls.get(subgraphName) ?? transportEntry?.location ?? '');
    },
  };
}
