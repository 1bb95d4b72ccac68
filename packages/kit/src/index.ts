// portico-kit: what a subgraph behind Portico imports. Its HTTP helpers for Apollo Server are `portico-kit/http`, its
// type-graphql decorators `portico-kit/type-graphql`: neither is loaded from here.
export { porticoKit, PorticoViewer, forbidden, requirePortico, unauthenticated, type AuthenticatedContext, type PorticoContext, type PorticoKit, type PorticoKitOptions, type RequestWithHeaders } from './context';
export { AUTHORIZE_QUERY, PorticoClient, type PorticoClientOptions, type PorticoDecision, type PorticoScope } from './decisions';
export {
  accountIdAt,
  accountIdOf,
  accountRoot,
  declaredRules,
  alternatives,
  ANY_OF_SEPARATOR,
  anyOf,
  fieldRules,
  PORTICO_DIRECTIVE_NAMES,
  protectionReport,
  readsArgument,
  ruleOf,
  rulesOf,
  type FieldRule,
  type PermissionRule,
  type PorticoDirectiveRole,
} from './rules';
export { porticoSubgraphHeader, porticoSubgraphLinks, PORTICO_DIRECTIVE_DEFINITIONS, PORTICO_DIRECTIVES, PORTICO_SPEC_URL } from './directives';
export { buildSubgraphSchema, type ReferenceResolver, type SubgraphResolvers } from './subgraph-schema';
export { applyPorticoDirectives, porticoProtectionReport, type PorticoDirectivesReport } from './enforce';
export {
  CONTEXT_ALG,
  CONTEXT_AUDIENCE,
  CONTEXT_HEADER,
  CONTEXT_ISSUER,
  CONTEXT_TOKEN_LIFETIME_SECONDS,
  contextAudience,
  ContextTokenError,
  contextVerifier,
  decisionEntry,
  DECISIONS_HEADER,
  DECISIONS_ISSUER,
  DECISIONS_LIFETIME_SECONDS,
  type ContextAudience,
  type ContextClaims,
  type ContextVerifier,
  type DecisionEntry,
  type DecisionsSubject,
  type HandedDecision,
  type RefusalReason,
} from './token';
export { VerifiedTokens } from './verified-tokens';
