import 'reflect-metadata';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { packageRoot } from '../src/config';
import { buildAccessControlSubgraph } from '../src/graph/schema';

/** Writes the access-control subgraph's SDL to schema/access-control.graphql. */
async function main(): Promise<void> {
  const { sdl } = await buildAccessControlSubgraph();
  const file = join(packageRoot(), 'schema', 'access-control.graphql');
  writeFileSync(file, sdl);
  console.log(`wrote ${file} (${sdl.split('\n').length} lines)`);
}

void main();
