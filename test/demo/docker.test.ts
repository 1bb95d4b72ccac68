import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { DEMO_SUBGRAPH_NAMES } from '../../src/demo';

// No Docker engine in the test environment: what can be checked without one is that the files hang together.
const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Service {
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
}

describe('docker/', () => {
  const compose = parse(read('docker/compose.yaml'), { merge: true }) as { services: Record<string, Service> };
  const dockerfile = read('docker/Dockerfile');
  const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+\s/.test(line));

  it('the Dockerfile is multi-stage on node 20 and installs with npm install (npm ci refuses this lock file)', () => {
    expect(instructions.filter((line) => line.startsWith('FROM ')).map((line) => line.split(/\s+/)[1])).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
    expect(dockerfile).toContain('RUN npm install --no-audit --no-fund');
    expect(instructions.some((line) => /\bnpm ci\b/.test(line))).toBe(false);
  });

  it('keeps dependencies, history and data directories (with their signing keys) out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.git', 'data', 'dist', '*-signing-key.json', '*.sqlite']));
  });

  it('copies only what exists in the repository', () => {
    const sources = instructions
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect([source, existsSync(join(root, source))]).toEqual([source, true]);
  });

  it('the compose file has MariaDB, the gateway and the three demo subgraphs, all from the Dockerfile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['leads', 'mariadb', 'offers', 'portico', 'tickets']);
    for (const name of ['portico', ...DEMO_SUBGRAPH_NAMES]) {
      expect(compose.services[name].build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
      expect(existsSync(join(root, 'docker', compose.services[name].build!.context, compose.services[name].build!.dockerfile))).toBe(true);
    }
  });

  it('every command runs a script the build compiles', () => {
    const commands = [['node', 'dist/src/main.js'], ...Object.values(compose.services).flatMap((s) => (s.command ? [s.command] : []))];
    for (const [program, script] of commands) {
      expect(program).toBe('node');
      const source = script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect([source, existsSync(join(root, source))]).toEqual([source, true]);
    }
  });

  it('the gateway composes each subgraph service on the port it listens on, once they are healthy', () => {
    const gateway = compose.services.portico;
    const subgraphs = gateway.environment!.PORTICO_SUBGRAPHS.split(',').map((entry) => entry.split('='));
    expect(subgraphs.map(([name]) => name).sort()).toEqual([...DEMO_SUBGRAPH_NAMES].sort());
    for (const [name, url] of subgraphs) {
      const service = compose.services[name];
      expect(service.environment!.DEMO_SUBGRAPH).toBe(name);
      expect(url).toBe(`http://${name}:${service.environment!.PORT}/graphql`);
      expect(service.environment!.PORTICO_URL).toBe('http://portico:4000/graphql');
      expect(service.healthcheck!.test.join(' ')).toContain('/readyz');
      expect(gateway.depends_on![name]).toEqual({ condition: 'service_healthy' });
    }
    expect(gateway.depends_on!.mariadb).toEqual({ condition: 'service_healthy' });
    expect(gateway.environment!.DATABASE_URL).toMatch(/^mysql:\/\/portico:portico@mariadb:3306\/portico$/);
    expect(gateway.ports).toEqual(['127.0.0.1:4000:4000']);
  });

  it('publishes the development setup on 127.0.0.1 only, and says how to expose it', () => {
    // A development gateway (the development key, demo users) reachable from the network makes anyone its operator.
    expect(compose.services.portico.environment!.NODE_ENV).toBe('development');
    const published = Object.entries(compose.services).flatMap(([name, service]) => (service.ports ?? []).map((port) => [name, String(port)]));
    expect(published.length).toBeGreaterThan(0);
    for (const [name, port] of published) expect([name, port]).toEqual([name, expect.stringMatching(/^127\.0\.0\.1:\d+:\d+$/)]);
    // Its opening comment: production mode with an identity provider, before publishing beyond this machine.
    const opening = read('docker/compose.yaml').split('\n').filter((line) => line.startsWith('#')).join(' ');
    expect(opening).toMatch(/To expose Portico to other machines, run it in production mode with an identity provider/);
    expect(opening).toMatch(/PORTICO_JWKS_URL/);
    expect(read('docs/demo.md')).toContain('`127.0.0.1:4000`');
  });
});
