import { LRUCache } from 'lru-cache';
import type { GatewayExecutionResult, GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLNonNull, valueFromASTUntyped, type GraphQLObjectType } from 'graphql';
import type { Logger } from 'pino';
import type { EnforcementMode } from '../config';
import type { GatewayContext } from './context';
import { analyzeOperation, deniedSelections, denialError, denialsOf, restoreRemovedFields, rewriteOperation, type Check, type OperationAnalysis } from './rewrite';
import { accountIdAt, accountRoot, alternatives } from 'portico-kit';
import type { AuthorizationRules } from './rules';

/** Operations whose analysis is kept; a client sending more distinct texts than this only costs re-analysis. */
const ANALYSIS_CACHE_SIZE = 2000;

/** Decides every check an operation needs, for this caller and these variables. */
async function decide(checks: readonly Check[], context: GatewayContext, variables: Record<string, unknown> | undefined): Promise<boolean[]> {
  const request = context.portico;
  const principal = request.principal;
  const onCurrentAccount = (requirement: string) => {
    if (principal !== null) return request.decide(requirement, principal.account).allowed;
    request.decisions.record(requirement, false);
    return false;
  };
  return Promise.all(
    checks.map(async ({ rule, accountValue }) => {
      switch (rule.kind) {
        case 'authenticated':
          request.decisions.record('@authenticated', principal !== null);
          return principal !== null;
        case 'scopes': {
          const allowed = rule.anyOf.some((all) => all.every((scope) => context.scopes.has(scope)));
          request.decisions.record(`@requiresScopes(${rule.anyOf.map((all) => all.join(' ')).join(' | ')})`, allowed);
          return allowed;
        }
        case 'policy':
          // A policy name is a permission or one of Portico's actions, decided on the caller's current account.
          return rule.anyOf.some((all) => all.every(onCurrentAccount));
        case 'permission': {
          const anyOf = alternatives(rule.permission);
          if (rule.argument === undefined) return anyOf.some(onCurrentAccount);
          if (principal === null || accountValue === undefined) {
            for (const permission of anyOf) request.decisions.record(permission, false);
            return false;
          }
          const args = { [accountRoot(rule.argument)]: valueFromASTUntyped(accountValue, variables ?? {}) };
          // An ID may arrive as a number (the rule model reads it as its decimal text); anything else names no account and denies.
          const accountId = accountIdAt(rule.argument, args, undefined);
          if (accountId === undefined) return false;
          for (const permission of anyOf) if ((await request.authorize(permission, accountId)).allowed) return true;
          return false;
        }
      }
    }),
  );
}

/**
 * Enforces the supergraph's authorization directives before the query plan is made: the operation is analysed
 * once per text, the caller's verdicts are decided per request, and the rewrite for a set of verdicts is kept,
 * so a denied field or mutation never reaches a subgraph and an allowed operation passes untouched.
 */
export function enforcingExecutor(executor: GatewayExecutor, rules: AuthorizationRules, mode: EnforcementMode, logger?: Logger): GatewayExecutor {
  if (mode === 'off') return executor;
  const analyses = new LRUCache<string, OperationAnalysis>({ max: ANALYSIS_CACHE_SIZE });
  const analysisOf = (request: GatewayGraphQLRequestContext): OperationAnalysis => {
    const key = `${request.queryHash}\n${request.operationName ?? ''}`;
    let analysis = analyses.get(key);
    if (!analysis) {
      analysis = analyzeOperation(rules, request.document, request.operationName);
      analyses.set(key, analysis);
    }
    return analysis;
  };

  return async (request): Promise<GatewayExecutionResult> => {
    const analysis = analysisOf(request);
    if (analysis.guarded.length === 0) return executor(request);
    const variables = request.request.variables;
    const verdicts = await decide(analysis.checks, request.context as GatewayContext, variables);
    if (verdicts.every(Boolean)) return executor(request);

    if (mode !== 'filter') {
      // Denied fields the operation skips (@skip / @include) are not in its answer: nothing to reject or report.
      const denials = denialsOf(deniedSelections(analysis, verdicts), variables);
      if (denials.length === 0) return executor(request);
      if (mode === 'reject') return { errors: denials.map(denialError) };
      const result = await executor(request);
      const wouldDeny = denials.map(({ path, message, extensions }) => ({ path, message, ...extensions }));
      // What switching to filter would change, for the operator deciding whether to switch.
      logger?.info({ requestId: (request.context as GatewayContext).portico.requestId, operationName: request.operationName, wouldDeny }, 'dry-run: would deny');
      return { ...result, extensions: { ...result.extensions, portico: { enforcement: 'dry-run', wouldDeny } } };
    }

    const key = verdicts.map((v) => (v ? '1' : '0')).join('');
    let rewrite = analysis.rewrites.get(key);
    if (!rewrite) {
      rewrite = rewriteOperation(analysis, verdicts);
      analysis.rewrites.set(key, rewrite);
    }
    const result: GatewayExecutionResult = rewrite.empty
      ? { data: {} }
      : await executor({ ...request, document: rewrite.document, operation: rewrite.operation, source: rewrite.source, queryHash: rewrite.queryHash });
    const patched = { data: result.data, errors: result.errors };
    const rootType = rules.schema.getRootType(analysis.operation!.operation) as GraphQLObjectType;
    restoreRemovedFields(patched, rewrite, new GraphQLNonNull(rootType), variables);
    return { ...result, data: patched.data, errors: patched.errors };
  };
}

/** Wraps a gateway so that every operation goes through the enforcing executor. */
export function enforcingGateway(gateway: GatewayInterface, rules: AuthorizationRules, mode: EnforcementMode, logger?: Logger): GatewayInterface {
  return {
    async load(options) {
      const loaded = await gateway.load(options);
      return { executor: loaded.executor && enforcingExecutor(loaded.executor, rules, mode, logger) };
    },
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
  };
}
