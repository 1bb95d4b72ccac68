// The directives are the kit's, so the access-control graph and every downstream subgraph declare rules alike.
export { PORTICO_DIRECTIVES, PORTICO_SPEC_URL } from 'portico-kit';
export { Authenticated, Public, RequiresPermission } from 'portico-kit/type-graphql';
