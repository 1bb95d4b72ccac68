// The directives are the kit's, so the access-control graph and every downstream subgraph declare rules alike.
export { Authenticated, PORTICO_DIRECTIVES, PORTICO_SPEC_URL, Public, RequiresPermission } from '../kit/directives';
