import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { packageRoot } from '../src/config';

/** Licences that forbid offering the software to others as a service, or are not open source: never in production. */
const REFUSED = /elastic|sspl|server side public|busl|business source/i;

interface Node {
  version?: string;
  path?: string;
  dependencies?: Record<string, Node>;
}

/** Every package of the production dependency tree once, with the licence its own package.json declares. */
function productionPackages(): Array<{ name: string; version: string; licence: string; via: string }> {
  const root = packageRoot();
  const tree = JSON.parse(execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 })) as Node;
  const found = new Map<string, { name: string; version: string; licence: string; via: string }>();
  const walk = (node: Node, via: string[]) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      const key = `${name}@${child.version}`;
      if (found.has(key) || !child.path) continue;
      const manifest = JSON.parse(readFileSync(join(child.path, 'package.json'), 'utf8')) as { license?: unknown; licenses?: Array<{ type?: string }> };
      const licence = typeof manifest.license === 'string' ? manifest.license : (manifest.licenses ?? []).map((l) => l.type).join(' OR ') || JSON.stringify(manifest.license ?? null);
      found.set(key, { name, version: child.version ?? '', licence, via: [...via, name].join(' > ') });
      walk(child, [...via, name]);
    }
  };
  walk(tree, []);
  return [...found.values()];
}

describe('the licences of the production dependencies (npm ls --omit=dev)', () => {
  const packages = productionPackages();

  it('reads a licence for every package of a tree of some size', () => {
    expect(packages.length).toBeGreaterThan(100);
    expect(packages.filter((p) => p.licence === 'null' || p.licence === '')).toEqual([]);
  });

  it('holds no Elastic-2.0, SSPL or BUSL package', () => {
    expect(packages.filter((p) => REFUSED.test(p.licence)).map(({ name, licence, via }) => `${name} (${licence}) via ${via}`)).toEqual([]);
  });

  it('tells a refused licence from an allowed one', () => {
    expect(['Elastic-2.0', 'SSPL-1.0', 'BUSL-1.1', 'Business Source License 1.1'].filter((l) => REFUSED.test(l))).toHaveLength(4);
    expect(['MIT', 'ISC', 'Apache-2.0', 'BSD-3-Clause', '0BSD', 'BlueOak-1.0.0', '(MIT AND BSD-3-Clause)'].filter((l) => REFUSED.test(l))).toEqual([]);
  });

  it('runs the gateway on MIT engines: Hive Gateway runtime, Rust planner, composition', () => {
    const licenceOf = (name: string) => packages.find((p) => p.name === name)?.licence;
    expect(['@graphql-hive/gateway-runtime', '@graphql-hive/router-runtime', '@graphql-hive/router-query-planner', '@theguild/federation-composition'].map(licenceOf)).toEqual(['MIT', 'MIT', 'MIT', 'MIT']);
    // Apollo's Elastic-2.0 federation packages are development dependencies only (the benchmark's baseline, test subgraphs).
    for (const name of ['@apollo/gateway', '@apollo/composition', '@apollo/federation-internals', '@apollo/query-graphs', '@apollo/query-planner', '@apollo/subgraph']) expect(licenceOf(name)).toBeUndefined();
  });
});
