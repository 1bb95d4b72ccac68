// The package entry: what a downstream subgraph imports (`import { porticoKit, applyPorticoDirectives } from 'portico'`),
// and what embeds Portico itself.
export * from './kit';
export { AuthenticationError } from './identity/errors';
export { loadConfig, ConfigError, type PorticoConfig } from './config';
export { startPortico, type Portico } from './gateway/server';
export { startDemoSubgraph, demoSubgraphSdl, demoSubgraphsFor, DEMO_SUBGRAPH_NAMES, type DemoSubgraph, type DemoSubgraphName, type DemoSubgraphOptions } from './demo';
