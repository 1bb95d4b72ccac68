import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLArmorConfig } from '@escape.tech/graphql-armor-types';
import { GraphQLError, Kind, validate, visit, type DocumentNode, type GraphQLSchema, type ValidationContext, type ValidationRule } from 'graphql';

/** The limits an operation must stay within before anything runs. */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  maxPageSize: number;
}

/** List arguments capped at the largest page size, on every field of the graph (subgraphs' too). */
export const PAGE_SIZE_ARGUMENTS = new Set(['first', 'last', 'limit']);

/** Apollo's code for an invalid operation: a limit exceeded is one. */
const LIMIT_CODE = 'GRAPHQL_VALIDATION_FAILED';

/** Armor words its refusals as syntax errors; the client is told which limit it crossed, nothing more. */
function reportTo(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: LIMIT_CODE } }));
}

function armorConfig(limits: OperationLimits, enabled: { cost: boolean; others: boolean }): GraphQLArmorConfig {
  const reporting = { propagateOnRejection: false, onReject: [reportTo] };
  return {
    // Apollo's parser limit does the token count (below): armor's plugin throws from a hook Apollo answers with a 500.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: enabled.others },
    // Depth counts fields, not fragment spreads; a `__schema` that is an operation or fragment name is no introspection.
    maxDepth: { enabled: enabled.others, n: limits.maxDepth, flattenFragments: true, ignoreIntrospection: true, ...reporting },
    // Armor lets `__typename` be aliased freely by default; 101 aliases of it are a batch all the same.
    maxAliases: { enabled: enabled.others, n: limits.maxAliases, allowList: [], ...reporting },
    maxDirectives: { enabled: enabled.others, n: limits.maxDirectives, ...reporting },
    costLimit: { enabled: enabled.cost, maxCost: limits.maxCost, ...reporting },
  };
}

/** Removes "Did you mean …?" from an error message: a suggestion is a free tour of the schema. */
export const withoutSuggestions = (message: string): string => message.replace(/ ?Did you mean [^?]*\?/g, '');

/** A page-size argument of an operation: the number written in it, or the variable it names. */
type PageSizeArgument = { name: string; literal: number } | { name: string; variable: string };

/** What an operation's page sizes depend on, read once per parsed document. */
interface PageSizeShape {
  arguments: PageSizeArgument[];
  /** Integer defaults of the operation's variables (`$first: Int = 500`). */
  defaults: Map<string, number>;
  /** Whether any page size is a variable: only then does the cost depend on the request's variables. */
  variable: boolean;
}

function pageSizeShapeOf(document: DocumentNode): PageSizeShape {
  const shape: PageSizeShape = { arguments: [], defaults: new Map(), variable: false };
  visit(document, {
    VariableDefinition(node) {
      if (node.defaultValue?.kind === Kind.INT) shape.defaults.set(node.variable.name.value, Number(node.defaultValue.value));
    },
    Argument(node) {
      if (!PAGE_SIZE_ARGUMENTS.has(node.name.value)) return;
      if (node.value.kind === Kind.INT) shape.arguments.push({ name: node.name.value, literal: Number(node.value.value) });
      else if (node.value.kind === Kind.VARIABLE) {
        shape.arguments.push({ name: node.name.value, variable: node.value.name.value });
        shape.variable = true;
      }
    },
  });
  return shape;
}

/**
 * The page sizes an operation asks for: literals, and the variables they name. Not a number (an absent variable, a
 * string a later coercion refuses) is left to GraphQL's own checks.
 */
function pageSizesOf(shape: PageSizeShape, variables: Record<string, unknown>): Array<{ name: string; size: number }> {
  const sizes: Array<{ name: string; size: number }> = [];
  for (const argument of shape.arguments) {
    const value = 'literal' in argument ? argument.literal : (variables[argument.variable] ?? shape.defaults.get(argument.variable));
    if (typeof value === 'number') sizes.push({ name: argument.name, size: value });
  }
  return sizes;
}

/** The document with the page-size variables written in, so the cost counts the pages actually asked for. */
function withPageSizesInlined(document: DocumentNode, variables: Record<string, unknown>, defaults: Map<string, number>): DocumentNode | null {
  let inlined = false;
  const result = visit(document, {
    Argument(node) {
      if (!PAGE_SIZE_ARGUMENTS.has(node.name.value) || node.value.kind !== Kind.VARIABLE) return;
      const value = variables[node.value.name.value] ?? defaults.get(node.value.name.value);
      if (typeof value !== 'number' || !Number.isInteger(value)) return;
      inlined = true;
      return { ...node, value: { kind: Kind.INT, value: String(value) } };
    },
  });
  return inlined ? result : null;
}

const refusal = (message: string, code: string, extensions: Record<string, unknown> = {}) => new GraphQLError(message, { extensions: { code, ...extensions, http: { status: 400 } } });

/**
 * Operation limits for Apollo Server, gateway or not: depth, aliases and directives as validation rules (the
 * graphql-armor ones), the token count in the parser, and, once the variables are known, the page sizes and the
 * cost. All run before any resolver, query plan or subgraph request. Suggestions are taken out of every error.
 */
export function operationLimits(limits: OperationLimits): {
  validationRules: ValidationRule[];
  parseOptions: { maxTokens: number };
  allowBatchedHttpRequests: false;
  plugins: ApolloServerPlugin<BaseContext>[];
  /** The page-size and cost refusal of a valid document with these variables, as the plugins would raise it. */
  refusalOf: (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>) => GraphQLError | undefined;
} {
  // The cost is checked after the page sizes, not among the validation rules: `first: 100000` written in the
  // operation is a page size over the cap (BAD_USER_INPUT), not merely an operation that costs too much.
  const armor = new ApolloArmor(armorConfig(limits, { cost: false, others: true })).protect();
  const costRules = new ApolloArmor(armorConfig(limits, { cost: true, others: false })).protect().validationRules;
  // A document with its page sizes written in costs the same on every request: Apollo hands back the same parsed
  // document from its cache, so the cost is counted once per document (held only as long as Apollo holds it).
  const literalCost = new WeakMap<DocumentNode, GraphQLError | undefined>();
  const costOf = (schema: GraphQLSchema, document: DocumentNode): GraphQLError | undefined => {
    if (!literalCost.has(document)) literalCost.set(document, validate(schema, document, costRules)[0]);
    return literalCost.get(document);
  };
  // Apollo hands back the same parsed document for the same operation text: its shape is read once.
  const shapes = new WeakMap<DocumentNode, PageSizeShape>();
  const checkVariables = (schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): GraphQLError | undefined => {
    let shape = shapes.get(document);
    if (!shape) shapes.set(document, (shape = pageSizeShapeOf(document)));
    for (const { name, size } of pageSizesOf(shape, variables)) {
      if (!Number.isInteger(size) || size < 0 || size > limits.maxPageSize) {
        return refusal(`${name} must be between 0 and ${limits.maxPageSize}`, 'BAD_USER_INPUT', { field: name, max: limits.maxPageSize });
      }
    }
    const inlined = shape.variable ? withPageSizesInlined(document, variables, shape.defaults) : null;
    const tooCostly = inlined ? validate(schema, inlined, costRules)[0] : costOf(schema, document);
    return tooCostly && refusal(tooCostly.message, LIMIT_CODE);
  };
  const plugins: ApolloServerPlugin<BaseContext>[] = [
    ...armor.plugins,
    {
      async requestDidStart() {
        return {
          async didResolveOperation({ schema, document, request }) {
            const error = checkVariables(schema, document, request.variables ?? {});
            if (error) throw error;
          },
          async didEncounterErrors({ errors }) {
            for (const error of errors) error.message = withoutSuggestions(error.message);
          },
        };
      },
    },
  ];
  return { validationRules: armor.validationRules, parseOptions: { maxTokens: limits.maxTokens }, allowBatchedHttpRequests: false, plugins, refusalOf: checkVariables };
}

/** What a request that ran past its deadline answers: no hint of what was slow. */
export const TIMEOUT_RESPONSE = { errors: [{ message: 'the request took too long and was stopped', extensions: { code: 'TIMEOUT' } }] };

/** Resolves to the work's result, or to `null` once `ms` have passed; the timer never keeps the process alive. */
export async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
