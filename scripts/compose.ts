import 'reflect-metadata';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { loadConfig, loadPolicy, packageRoot } from '../src/config';
import { readAuthorizationRules } from '../src/gateway/rules';
import { localDemoSubgraphUrls } from '../src/demo';
import { composeSchemaFiles } from '../src/gateway/supergraph';
import { PolicyEngine } from '../src/policy';

/**
 * Writes schema/supergraph.graphql from schema/access-control.graphql and schema/subgraphs/*.graphql, and checks
 * the gateway could enforce it with the configured policy. URLs come from PORTICO_SUBGRAPHS when it names the
 * subgraph, else the loopback port `npm run demo` gives a demo subgraph; the gateway overrides them at start from
 * PORTICO_SUBGRAPHS too.
 */
function main(): void {
  const started = Date.now();
  const config = loadConfig();
  const schemaDir = join(packageRoot(), 'schema');
  console.log('composing schema/access-control.graphql and schema/subgraphs/*.graphql…');
  // The demo subgraphs where `npm run demo` serves them on this machine; docker names its own in PORTICO_SUBGRAPHS.
  const urls = new Map([...localDemoSubgraphUrls(), ...config.subgraphs.map((s) => [s.name, s.url] as const)]);
  const { supergraph, subgraphs } = composeSchemaFiles(schemaDir, urls, (line) => console.log(`  ${line}`));
  const { rules, warnings } = readAuthorizationRules(supergraph, new PolicyEngine(loadPolicy(config.policy)));
  for (const warning of warnings) console.log(`  warning: ${warning}`);
  const file = join(schemaDir, 'supergraph.graphql');
  writeFileSync(file, supergraph);
  console.log(`wrote ${file}: ${subgraphs.length} subgraphs, ${supergraph.split('\n').length} lines, ${rules.size} fields checked by the gateway before planning (${config.policy} policy), in ${Date.now() - started} ms`);
}

try {
  main();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
