import { LRUCache } from 'lru-cache';
import { createHash } from 'crypto';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  print,
  valueFromASTUntyped,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { PorticoError } from '../errors';
import { accountRoot, alternatives } from 'portico-kit';
import type { AuthorizationRules, GatewayRule } from './rules';

/** Rewrites kept per operation (one per distinct set of verdicts). */
const REWRITES_PER_OPERATION = 64;

/** One step of a response path: the response key and the field's declared type there. */
export interface PathSegment {
  key: string;
  type: GraphQLOutputType;
}

/** A decision the request needs; checks with the same key decide alike within one request. */
export interface Check {
  key: string;
  rule: GatewayRule;
  /** For a permission on the account an argument names: that argument's value in the operation. */
  accountValue?: ValueNode;
}

interface Occurrence {
  path: PathSegment[];
  /** Guarded fields enclosing this occurrence: when one of them is removed, this one is not reported. */
  enclosing: number[];
  /** @skip / @include on the way: a skipped occurrence is not in the response, so not reported. */
  conditions: Array<{ include: boolean; value: ValueNode }>;
}

interface GuardedField {
  id: number;
  node: FieldNode;
  coordinate: string;
  mutation: boolean;
  checks: number[];
  container: SelectionSetNode;
  occurrences: Occurrence[];
}

/** What an operation needs decided, computed once per operation text and kept. */
export interface OperationAnalysis {
  document: DocumentNode;
  operation?: OperationDefinitionNode;
  checks: Check[];
  guarded: GuardedField[];
  /** Rewrites already made, by the verdicts they were made for. */
  /** One rewritten document per set of verdicts, the most recently used kept. */
  rewrites: LRUCache<string, OperationRewrite>;
}

/** A field the caller may not have, with what it requires. */
export interface Denial {
  path: Array<string | number>;
  message: string;
  extensions: Record<string, unknown>;
}

interface Removal {
  occurrence: Occurrence;
  message: string;
  extensions: Record<string, unknown>;
}

/** The operation with the denied fields taken out, and how to put their nulls and errors back. */
export interface OperationRewrite {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  source: string;
  queryHash: string;
  /** Every root field was removed: nothing is left to plan or fetch. */
  empty: boolean;
  removals: Removal[];
}

/** Marks the objects a removal applies to: only those that matched the fragment the field was removed from. */
const MARKER = '_porticoRemoved';

/** Walks the operation and lists every field selection with a rule the gateway enforces. */
export function analyzeOperation(rules: AuthorizationRules, document: DocumentNode, operationName: string | null | undefined): OperationAnalysis {
  const analysis: OperationAnalysis = { document, checks: [], guarded: [], rewrites: new LRUCache({ max: REWRITES_PER_OPERATION }) };
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return analysis;
  analysis.operation = operation;
  const schema = rules.schema;
  const root = schema.getRootType(operation.operation);
  if (!root) return analysis;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const byNode = new Map<FieldNode, GuardedField>();
  const checkIndex = new Map<string, number>();
  const addCheck = (check: Check): number => {
    let index = checkIndex.get(check.key);
    if (index === undefined) {
      index = analysis.checks.push(check) - 1;
      checkIndex.set(check.key, index);
    }
    return index;
  };
  const conditionsOf = (directives: FieldNode['directives']): Occurrence['conditions'] =>
    (directives ?? []).flatMap((d) => {
      const value = d.arguments?.find((a) => a.name.value === 'if')?.value;
      return (d.name.value === 'skip' || d.name.value === 'include') && value ? [{ include: d.name.value === 'include', value }] : [];
    });

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, path: PathSegment[], enclosing: number[], conditions: Occurrence['conditions']) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT || selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (!fragment) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
        if (condition && isCompositeType(condition)) walk(fragment.selectionSet, condition, path, enclosing, [...conditions, ...conditionsOf(selection.directives)]);
        continue;
      }
      const name = selection.name.value;
      const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
      if (!definition) continue;
      const here: PathSegment[] = [...path, { key: selection.alias?.value ?? name, type: definition.type }];
      const fieldConditions = [...conditions, ...conditionsOf(selection.directives)];
      const fieldRules = rules.forField(parent, name);
      let inner = enclosing;
      if (fieldRules.length > 0) {
        let guarded = byNode.get(selection);
        if (!guarded) {
          const id = analysis.guarded.length;
          const checks = fieldRules.map((rule) =>
            rule.kind === 'permission' && rule.argument !== undefined
              ? addCheck({ key: `${rule.permission}@${id}`, rule, accountValue: selection.arguments?.find((a) => a.name.value === accountRoot(rule.argument!))?.value })
              : addCheck({ key: JSON.stringify(rule), rule }),
          );
          guarded = { id, node: selection, coordinate: `${parent.name}.${name}`, mutation: parent === schema.getMutationType(), checks, container: selectionSet, occurrences: [] };
          analysis.guarded.push(guarded);
          byNode.set(selection, guarded);
        }
        guarded.occurrences.push({ path: here, enclosing, conditions: fieldConditions });
        inner = [...enclosing, guarded.id];
      }
      const named = getNamedType(definition.type);
      if (selection.selectionSet && isCompositeType(named)) walk(selection.selectionSet, named, here, inner, fieldConditions);
    }
  };
  walk(operation.selectionSet, root, [], [], []);
  return analysis;
}

const describe = (rule: GatewayRule): string => {
  const either = (anyOf: string[][]) => anyOf.map((all) => all.join(' and ')).join(' or ');
  switch (rule.kind) {
    case 'authenticated':
      return 'a signed-in caller';
    case 'permission':
      return alternatives(rule.permission).join(' or ');
    case 'scopes':
      return `scope ${either(rule.anyOf)}`;
    case 'policy':
      return `policy ${either(rule.anyOf)}`;
  }
};

const details = (rule: GatewayRule): Record<string, unknown> => {
  switch (rule.kind) {
    case 'authenticated':
      return { authenticated: true };
    case 'permission':
      return { permission: rule.permission };
    case 'scopes':
      return { scopes: rule.anyOf };
    case 'policy':
      return { policies: rule.anyOf };
  }
};

/** The fields the verdicts deny, outermost only, with the error each would carry. */
export function deniedSelections(analysis: OperationAnalysis, verdicts: readonly boolean[]): Removal[] {
  const denied = new Map<number, Check>();
  for (const field of analysis.guarded) {
    const failing = field.checks.find((c) => !verdicts[c]);
    if (failing !== undefined) denied.set(field.id, analysis.checks[failing]);
  }
  const removals: Removal[] = [];
  for (const [id, check] of denied) {
    const field = analysis.guarded[id];
    const verb = field.mutation ? 'run' : 'read';
    const message = `not authorized to ${verb} ${field.coordinate}: requires ${describe(check.rule)}`;
    for (const occurrence of field.occurrences) {
      if (occurrence.enclosing.some((e) => denied.has(e))) continue;
      removals.push({ occurrence, message, extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', ...details(check.rule) } });
    }
  }
  return removals;
}

/** Takes the denied fields out of the operation; a selection set left empty selects `__typename`. */
export function rewriteOperation(analysis: OperationAnalysis, verdicts: readonly boolean[]): OperationRewrite {
  const operation = analysis.operation!;
  const removed = new Set<FieldNode>();
  const marked = new Set<SelectionSetNode>();
  for (const field of analysis.guarded) {
    if (field.checks.every((c) => verdicts[c])) continue;
    removed.add(field.node);
    if (field.container !== operation.selectionSet) marked.add(field.container);
  }
  const typename = (alias?: string): FieldNode => ({ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' }, ...(alias ? { alias: { kind: Kind.NAME, value: alias } } : {}) });
  const edited = visit(analysis.document, {
    OperationDefinition: (node) => (node === operation ? undefined : null),
    Field: (node) => (removed.has(node) ? null : undefined),
    SelectionSet: {
      enter: (node) => (marked.has(node) ? { ...node, selections: [...node.selections, typename(MARKER)] } : undefined),
      leave: (node) => (node.selections.length === 0 ? { ...node, selections: [typename()] } : undefined),
    },
  });
  const document = pruneUnused(edited);
  const rewritten = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const empty = operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && (removed.has(s) || s.name.value === '__typename'));
  const source = print(document);
  return {
    document,
    operation: rewritten,
    source,
    queryHash: createHash('sha256').update(source).digest('hex'),
    empty,
    removals: deniedSelections(analysis, verdicts),
  };
}

/** Drops the fragments and variable definitions the removed fields alone used. */
function pruneUnused(document: DocumentNode): DocumentNode {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const usedFragments = new Set<string>();
  const usedVariables = new Set<string>();
  const collect = (node: SelectionSetNode | OperationDefinitionNode) =>
    visit(node, {
      VariableDefinition: () => false,
      Variable: (v) => {
        usedVariables.add(v.name.value);
      },
      FragmentSpread: (spread) => {
        const name = spread.name.value;
        if (usedFragments.has(name)) return;
        usedFragments.add(name);
        const fragment = fragments.get(name);
        if (fragment) collect(fragment.selectionSet);
      },
    });
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  collect(operation);
  return {
    ...document,
    definitions: document.definitions.flatMap((d): DefinitionNode[] => {
      if (d.kind === Kind.FRAGMENT_DEFINITION) return usedFragments.has(d.name.value) ? [d] : [];
      if (d.kind === Kind.OPERATION_DEFINITION) return [{ ...d, variableDefinitions: d.variableDefinitions?.filter((v) => usedVariables.has(v.variable.name.value)) }];
      return [d];
    }),
  };
}

const skipped = (occurrence: Occurrence, variables: Record<string, unknown> | undefined): boolean =>
  occurrence.conditions.some(({ include, value }) => Boolean(valueFromASTUntyped(value, variables ?? {})) !== include);

/** Denials as listed by `reject` and `dry-run`: the operation's paths, without list indices. */
export function denialsOf(removals: readonly Removal[], variables: Record<string, unknown> | undefined): Denial[] {
  return removals.filter((r) => !skipped(r.occurrence, variables)).map((r) => ({ path: r.occurrence.path.map((s) => s.key), message: r.message, extensions: r.extensions }));
}

export const denialError = (denial: Denial): GraphQLError => {
  const { code, ...rest } = denial.extensions;
  // A denial is an answer, not a fault: no stack trace to capture (the costliest part of an error, per removed field).
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new GraphQLError(denial.message, { path: denial.path, originalError: new PorticoError(code as 'UNAUTHORIZED_FIELD_OR_TYPE', denial.message, rest) });
  } finally {
    Error.stackTraceLimit = limit;
  }
};

type Json = Record<string, unknown>;

/** Calls `visit` on every object the path's parent segment reaches in the data, with its concrete path. */
function forEachParent(data: Json, path: PathSegment[], visit: (parent: Json, at: Array<string | number>) => void): void {
  const descend = (value: unknown, type: GraphQLOutputType, depth: number, at: Array<string | number>): void => {
    if (value === null || value === undefined) return;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      (value as unknown[]).forEach((item, index) => descend(item, nullable.ofType, depth, [...at, index]));
      return;
    }
    step(value as Json, depth, at);
  };
  const step = (object: Json, depth: number, at: Array<string | number>): void => {
    if (depth === path.length - 1) return visit(object, at);
    const segment = path[depth];
    descend(object[segment.key], segment.type, depth + 1, [...at, segment.key]);
  };
  step(data, 0, []);
}

/**
 * True when the value must become null because a non-null field below it is null: GraphQL's null propagation,
 * applied after the removed fields were set to null. Nulls the nullable positions on the way.
 */
function propagate(value: unknown, type: GraphQLOutputType, path: PathSegment[], depth: number): boolean {
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const list = value as unknown[];
    for (let index = 0; index < list.length; index++) {
      if (list[index] === null || list[index] === undefined) continue;
      if (propagate(list[index], nullable.ofType, path, depth)) {
        if (isNonNullType(nullable.ofType)) return true;
        list[index] = null;
      }
    }
    return false;
  }
  const object = value as Json;
  const segment = path[depth];
  const child = object[segment.key];
  if (depth === path.length - 1) return child === null && isNonNullType(segment.type);
  if (child === null || child === undefined) return false;
  if (propagate(child, segment.type, path, depth + 1)) {
    object[segment.key] = null;
    return isNonNullType(segment.type);
  }
  return false;
}

/**
 * Puts the removed fields back into the response: `null` at every place the operation selected them, an
 * UNAUTHORIZED_FIELD_OR_TYPE error at each exact path, nulls propagated as GraphQL propagates them.
 */
export function restoreRemovedFields(result: { data?: Json | null; errors?: readonly GraphQLError[] }, rewrite: OperationRewrite, rootType: GraphQLOutputType, variables: Record<string, unknown> | undefined): void {
  const data = result.data;
  if (!data) return;
  const errors: GraphQLError[] = [];
  const removals = rewrite.removals.filter((r) => !skipped(r.occurrence, variables));
  for (const { occurrence, message, extensions } of removals) {
    const { path } = occurrence;
    const key = path[path.length - 1].key;
    forEachParent(data, path, (parent, at) => {
      if (path.length > 1 && !(MARKER in parent)) return;
      parent[key] = null;
      errors.push(denialError({ path: [...at, key], message, extensions }));
    });
  }
  let nulled = false;
  for (const { occurrence } of removals) if (!nulled && propagate(data, rootType, occurrence.path, 0)) nulled = true;
  // Skipped occurrences too: a field's own @skip leaves its fragment's marker in the response.
  for (const { occurrence } of rewrite.removals) forEachParent(data, occurrence.path, (parent) => delete parent[MARKER]);
  if (nulled) result.data = null;
  if (errors.length > 0) result.errors = [...errors, ...(result.errors ?? [])];
}
