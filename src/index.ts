// The package entry of the gateway: what embeds Portico itself. A downstream subgraph imports the kit, portico-kit
// (packages/kit), not this.
export { AuthenticationError } from './identity/errors';
export { loadConfig, ConfigError, type PorticoConfig } from './config';
export { startPortico, type Portico } from './gateway/server';
export { loadOrCreateContextSigner, type ContextSigner } from './identity/context-token';
export { startDemoSubgraph, demoSubgraphSdl, demoSubgraphsFor, DEMO_SUBGRAPH_NAMES, type DemoSubgraph, type DemoSubgraphName, type DemoSubgraphOptions } from './demo';
