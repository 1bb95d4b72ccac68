import type { BaseContext } from '@apollo/server';
import { execute, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';
import { contextTokenRefusal } from './context';

/** Longest query text whose reading is kept; a longer one takes the gateway's path. */
const MAX_QUERY_LENGTH = 10_000;

/** How many distinct query texts are kept: the kit sends a handful. */
const KEPT_QUERIES = 1_000;

interface Reading {
  document: DocumentNode;
  /** Every operation is a query a context token may run (contextTokenRefusal), valid against the access-control graph's own schema. */
  alone: boolean;
  /** Moreover passes the operation limits' validation rules. */
  lean: boolean;
}

export interface DecisionCallsOptions {
  /** The access-control graph's own schema. */
  schema: GraphQLSchema;
  /** The operation limits' validation rules and parser token cap (./limits). */
  validationRules: readonly ValidationRule[];
  maxTokens: number;
  /** The operation limits' page-size and cost check, with the request's variables. */
  refusalOf: (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>) => GraphQLError | undefined;
}

/** What a lean decision call answers: always a complete success (anything else is left to Apollo Server). */
export interface LeanAnswer {
  body: string;
  operationName: string | undefined;
}

/**
 * The calls a downstream subgraph makes back to Portico with a context token (the kit's `authorize` query), read
 * once per query text.
 *
 * - `servedAlone`: the access-control graph answers it alone, without the gateway's planning and enforcement
 *   passes, which add nothing to fields that graph both serves and enforces itself. Anything else (another
 *   subgraph's field, a mutation, `viewer`, a document invalid there) takes the gateway's path, where the context
 *   token's limits refuse it before anything is planned.
 * - `answer`: such a query is executed directly against that schema, after the same validation,
 *   page-size and cost checks Apollo Server would run. It answers only a complete success; on anything else
 *   (malformed variables, an identity refused, an error in a resolver) it answers nothing, and the request is then
 *   served by Apollo Server as if this had never run: the decisions it made are dropped with its context.
 */
export class DecisionCalls {
  private readonly readings = new LRUCache<string, Reading | false>({ max: KEPT_QUERIES });

  constructor(private readonly options: DecisionCallsOptions) {}

  servedAlone(body: unknown): boolean {
    return this.readingOf(body)?.alone ?? false;
  }

  async answer(body: unknown, contextOf: () => Promise<BaseContext>): Promise<LeanAnswer | null> {
    const reading = this.readingOf(body);
    if (!reading?.lean) return null;
    const { variables, operationName, extensions } = body as { variables?: unknown; operationName?: unknown; extensions?: unknown };
    if (extensions !== undefined) return null;
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
    const operation = getOperationAST(reading.document, operationName ?? undefined);
    if (!operation) return null;
    const variableValues = (variables ?? {}) as Record<string, unknown>;
    if (this.options.refusalOf(this.options.schema, reading.document, variableValues)) return null;
    let contextValue: BaseContext;
    try {
      contextValue = await contextOf();
    } catch {
      return null;
    }
    const result = await execute({ schema: this.options.schema, document: reading.document, variableValues, operationName: operationName ?? undefined, contextValue });
    if (!result.data || (result.errors && result.errors.length > 0)) return null;
    return { body: `${JSON.stringify({ data: result.data })}\n`, operationName: operation.name?.value };
  }

  private readingOf(body: unknown): Reading | undefined {
    const query = body && typeof body === 'object' ? (body as { query?: unknown }).query : undefined;
    if (typeof query !== 'string' || query.length > MAX_QUERY_LENGTH) return undefined;
    let reading = this.readings.get(query);
    if (reading === undefined) {
      reading = this.read(query);
      this.readings.set(query, reading);
    }
    return reading || undefined;
  }

  private read(query: string): Reading | false {
    let document: DocumentNode;
    try {
      document = parse(query, { noLocation: true, maxTokens: this.options.maxTokens });
    } catch {
      return false;
    }
    const alone = contextTokenRefusal(document) === undefined && validate(this.options.schema, document).length === 0;
    if (!alone) return false;
    const lean = validate(this.options.schema, document, [...specifiedRules, ...this.options.validationRules]).length === 0;
    return { document, alone, lean };
  }
}
