import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RequestContext } from '../domain/context';
import { isDenial } from '../errors';
import { storeSampledDecisions } from '../domain/decision-tally';
import { stampRequestId } from '../graph/errors';
import type { DatabaseAvailability } from '../storage/availability';
import type { GatewayContext } from './context';

/** Codes that mean "not allowed", as opposed to a failure. */
const RECORD = Symbol('portico.requestRecord');

export type RequestOutcome = 'ok' | 'denied' | 'error';

/**
 * Portico's Prometheus metrics, in a registry of its own (never prom-client's global one), so that several
 * instances in one process each count their own requests.
 */
export class PorticoMetrics {
  readonly registry = new Registry();
  readonly requestDuration: Histogram<'operation' | 'outcome'>;
  readonly errors: Counter<'code'>;
  readonly decisions: Counter<'permission' | 'decision'>;

  constructor(availability: DatabaseAvailability) {
    const registers = [this.registry];
    this.requestDuration = new Histogram({
      name: 'portico_request_duration_seconds',
      help: 'GraphQL request latency, by operation type (query, mutation, subscription, unknown) and outcome (ok, denied, error)',
      labelNames: ['operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.errors = new Counter({ name: 'portico_graphql_errors_total', help: 'Errors returned to clients, by extensions.code', labelNames: ['code'], registers });
    this.decisions = new Counter({
      name: 'portico_authorization_decisions_total',
      help: 'Authorization decisions, by permission (or action or gateway rule) and decision (allowed, denied)',
      labelNames: ['permission', 'decision'],
      registers,
    });
    new Gauge({
      name: 'portico_database_available',
      help: '1 while the database can be reached, 0 while requests needing it are refused',
      registers,
      collect() {
        this.set(availability.available ? 1 : 0);
      },
    });
  }
}

/** What one HTTP request to the GraphQL endpoint did, gathered as it runs and written out when it ends. */
export interface RequestRecord {
  /** The id Portico made for the request. */
  requestId: string;
  /** The client's own `x-request-id`, when it sent a well-formed one: logged beside the request id, a key of nothing. */
  clientRequestId?: string;
  startedAt: bigint;
  request?: RequestContext;
  operationName?: string;
  operationType?: string;
  errorCodes: string[];
}

/** The access-control request context behind a GraphQL context, plain or the gateway's. */
function requestContextOf(context: BaseContext): RequestContext | undefined {
  if (context instanceof RequestContext) return context;
  const portico = (context as Partial<GatewayContext>).portico;
  return portico instanceof RequestContext ? portico : undefined;
}

export function outcomeOf(codes: readonly string[]): RequestOutcome {
  if (codes.length === 0) return 'ok';
  return codes.every(isDenial) ? 'denied' : 'error';
}

/** True when nothing at all was answered: no data, or every root field null. */
function nothingAnswered(data: Record<string, unknown> | null | undefined): boolean {
  return !data || Object.values(data).every((value) => value === null);
}

/**
 * One log line and the metrics per GraphQL request: request id (and the client's own, when it sent one), principal (user and account; the partner user
 * and session in an impersonation), operation, duration, status, error codes and the decisions made. Tokens and
 * headers are never logged.
 */
export class RequestObserver {
  /** Sampled-decision writes under way: they run after the response, and stopping waits for them. */
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    private readonly logger: Logger,
    private readonly metrics: PorticoMetrics | undefined,
  ) {}

  begin(requestId: string, clientRequestId?: string): RequestRecord {
    return { requestId, ...(clientRequestId !== undefined ? { clientRequestId } : {}), startedAt: process.hrtime.bigint(), errorCodes: [] };
  }

  /** Ties the request's GraphQL context to its record, so the plugin finds it. */
  attach(context: BaseContext, record: RequestRecord): void {
    record.request = requestContextOf(context);
    // A property, not a map keyed by the object: Apollo hands plugins a shallow copy of the context.
    (context as Record<symbol, unknown>)[RECORD] = record;
  }

  /**
   * Reads the operation and the error codes clients see; a request the unavailable database left unanswered is
   * HTTP 503, so load balancers and clients know to retry.
   */
  plugin(): ApolloServerPlugin<BaseContext> {
    return {
      async requestDidStart({ contextValue }) {
        const record = (contextValue as Record<symbol, RequestRecord | undefined>)[RECORD];
        if (!record) return;
        return {
          async didResolveOperation({ operationName, operation }) {
            record.operationName = operationName ?? undefined;
            record.operationType = operation?.operation;
          },
          // Before the errors are formatted: the formatter logs what it masks with the request's id.
          async didEncounterErrors({ errors }) {
            for (const error of errors) stampRequestId(error, record.requestId);
          },
          async willSendResponse({ response, request }) {
            record.operationName ??= request.operationName ?? undefined;
            if (response.body.kind !== 'single') return;
            const { errors, data } = response.body.singleResult;
            record.errorCodes = (errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
            if (record.errorCodes.includes('SERVICE_UNAVAILABLE') && nothingAnswered(data)) response.http.status = 503;
          },
        };
      },
    };
  }

  /** Writes the request's log line and metrics. */
  finish(record: RequestRecord, status: number): void {
    const seconds = Number(process.hrtime.bigint() - record.startedAt) / 1e9;
    const outcome = outcomeOf(record.errorCodes);
    const principal = record.request?.principal;
    const decisions = record.request?.decisions;
    const metrics = this.metrics;
    if (metrics) {
      metrics.requestDuration.observe({ operation: record.operationType ?? 'unknown', outcome }, seconds);
      for (const code of record.errorCodes) metrics.errors.inc({ code });
      for (const [permission, count] of decisions?.byRequirement ?? []) {
        if (count.allowed) metrics.decisions.inc({ permission, decision: 'allowed' }, count.allowed);
        if (count.denied) metrics.decisions.inc({ permission, decision: 'denied' }, count.denied);
      }
    }
    this.logger.info(
      {
        requestId: record.requestId,
        ...(record.clientRequestId !== undefined ? { clientRequestId: record.clientRequestId } : {}),
        principal: principal
          ? {
              userId: principal.user.id,
              accountId: principal.account.id,
              ...(principal.actor ? { actorUserId: principal.actor.id, actorAccountId: principal.actor.accountId } : {}),
              ...(principal.facts.impersonation?.sessionId ? { sessionId: principal.facts.impersonation.sessionId } : {}),
            }
          : null,
        operationName: record.operationName ?? null,
        operationType: record.operationType ?? null,
        durationMs: Math.round(seconds * 1e4) / 10,
        status,
        outcome,
        errorCodes: record.errorCodes,
        decisions: decisions?.summary() ?? { allowed: 0, denied: 0, deniedPermissions: [] },
      },
      'graphql request',
    );
    for (const decision of decisions?.logged ?? []) {
      const who = principal ? { userId: principal.user.id, ...(principal.actor ? { actorUserId: principal.actor.id } : {}) } : {};
      this.logger.info({ requestId: record.requestId, ...who, decision }, 'authorization decision');
    }
    if (record.request && decisions && decisions.sampled.length > 0) {
      // After the response: the table is for reading later, and a failed write must not fail the request.
      const write = storeSampledDecisions(record.request.services.db, record.requestId, { userId: principal?.user.id ?? null, actorUserId: principal?.actor?.id ?? null }, decisions)
        .catch((error: unknown) => this.logger.warn({ err: error, requestId: record.requestId }, 'sampled decisions not stored'))
        .finally(() => this.writes.delete(write));
      this.writes.add(write);
    }
  }

  /** Resolves once every sampled-decision write started so far has ended (stored, or logged as not stored). */
  async decisionsWritten(): Promise<void> {
    while (this.writes.size > 0) await Promise.all(this.writes);
  }
}
