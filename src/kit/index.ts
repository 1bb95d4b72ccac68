export { porticoKit, PorticoViewer, forbidden, unauthenticated, type PorticoContext, type PorticoKit, type PorticoKitOptions, type RequestWithHeaders } from './context';
export { PorticoClient, type PorticoClientOptions, type PorticoDecision, type PorticoScope } from './decisions';
export {
  accountIdAt,
  accountIdOf,
  alternatives,
  ANY_OF_SEPARATOR,
  anyOf,
  fieldRules,
  protectionReport,
  rulesOf,
  type FieldRule,
  type PermissionRule,
} from './rules';
export {
  Authenticated,
  Public,
  RequiresPermission,
  porticoSubgraphHeader,
  porticoSubgraphLinks,
  PORTICO_DIRECTIVE_DEFINITIONS,
  PORTICO_DIRECTIVES,
  PORTICO_SPEC_URL,
} from './directives';
export { subgraphFromTypeGraphQL } from './type-graphql';
export { buildSubgraphSchema, type ReferenceResolver, type SubgraphResolvers } from './subgraph-schema';
export { applyPorticoDirectives, porticoProtectionReport, type PorticoDirectivesReport } from './enforce';
export { CONTEXT_AUDIENCE, CONTEXT_HEADER, CONTEXT_ISSUER, contextAudience, contextVerifier, type ContextAudience, loadOrCreateContextSigner, type ContextClaims, type ContextSigner, type ContextVerifier, DECISIONS_HEADER, DECISIONS_ISSUER, DECISIONS_LIFETIME_SECONDS, type DecisionsSubject, type HandedDecision } from '../identity/context-token';
