import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { packageRoot } from '../src/config';
import { DEMO_SUBGRAPH_NAMES, demoSubgraphSdl } from '../src/demo';

/** Writes each demo subgraph's SDL to schema/subgraphs/<name>.graphql. */
function main(): void {
  const dir = join(packageRoot(), 'schema', 'subgraphs');
  mkdirSync(dir, { recursive: true });
  for (const name of DEMO_SUBGRAPH_NAMES) {
    const file = join(dir, `${name}.graphql`);
    writeFileSync(file, demoSubgraphSdl(name));
    console.log(`wrote ${file}`);
  }
}

main();
