import { ESLint } from 'eslint';
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { builtinModules } from 'module';
import { dirname, join, relative, resolve } from 'path';

const ROOT = join(__dirname, '..');

/** What ESLint, with the project's configuration, says of one import written in a file of that folder. */
async function verdict(file: string, source: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath: join(ROOT, file) });
  return result.messages.map((m) => m.ruleId ?? m.message);
}

describe('the import boundaries (eslint.config.mjs, run by npm test)', () => {
  it.each([
    { title: 'the policy engine imports storage', file: 'src/policy/probe.ts', source: "import '../storage/database';" },
    { title: 'the policy engine imports the configuration', file: 'src/policy/probe.ts', source: "import '../config';" },
    { title: 'identity imports the domain', file: 'src/identity/probe.ts', source: "import '../domain/principal';" },
    { title: 'storage imports the domain', file: 'src/storage/entities/probe.ts', source: "import '../../domain/audit';" },
    { title: 'the domain imports the graph', file: 'src/domain/probe.ts', source: "import { formatErrorWith } from '../graph/errors';" },
    { title: 'the kit imports the graph', file: 'packages/kit/src/probe.ts', source: "import '../../../src/graph/enforce';" },
    { title: 'the kit imports the gateway', file: 'packages/kit/src/probe.ts', source: "import '../../../src/gateway/server';" },
    { title: 'the kit imports something beside its sources', file: 'packages/kit/src/probe.ts', source: "import '../package.json';" },
    { title: "the kit imports the gateway's package", file: 'packages/kit/src/probe.ts', source: "import { startPortico } from 'portico';" },
    { title: "the gateway reaches into the kit's folder", file: 'src/gateway/probe.ts', source: "import '../../packages/kit/src/rules';" },
    { title: "a demo subgraph reaches into the kit's folder", file: 'src/demo/leads/probe.ts', source: "import '../../../packages/kit/src';" },
    { title: 'the policy engine imports the kit', file: 'src/policy/probe.ts', source: "import { alternatives } from 'portico-kit';" },
    { title: 'a demo subgraph imports storage', file: 'src/demo/tickets/probe.ts', source: "import '../../storage/entities';" },
    { title: 'a demo subgraph imports the gateway', file: 'src/demo/probe.ts', source: "import '../gateway/http';" },
  ])('refuses: $title', async ({ file, source }) => {
    expect(await verdict(file, source)).toEqual(['no-restricted-imports']);
  });

  it.each([
    { title: 'the gateway imports the kit', file: 'src/gateway/probe.ts', source: "import 'portico-kit/http';" },
    { title: 'the graph imports the kit', file: 'src/graph/probe.ts', source: "import 'portico-kit';" },
    { title: 'a demo subgraph imports the kit', file: 'src/demo/leads/probe.ts', source: "import 'portico-kit';" },
    { title: 'the kit imports a module of its own', file: 'packages/kit/src/probe.ts', source: "import './rules';" },
    { title: 'the kit imports a package named like a folder', file: 'packages/kit/src/probe.ts', source: "import '@apollo/server/errors';" },
    { title: 'storage imports the policy', file: 'src/storage/probe.ts', source: "import '../policy';" },
  ])('allows: $title', async ({ file, source }) => {
    expect(await verdict(file, source)).toEqual([]);
  });

  it('the tree as it is keeps every boundary', async () => {
    const results = await new ESLint({ cwd: ROOT }).lintFiles(['src/**/*.ts', 'packages/kit/src/**/*.ts']);
    expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(ROOT.length + 1)}:${m.line} ${m.message}`))).toEqual([]);
    expect(results.length).toBeGreaterThan(80);
  });

  it("the kit imports only Node's modules and the packages its package.json names (dependencies, peers)", () => {
    const kit = join(ROOT, 'packages', 'kit');
    const manifest = JSON.parse(readFileSync(join(kit, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    const named = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
    const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
    const imported = readdirSync(join(kit, 'src'))
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) => [...readFileSync(join(kit, 'src', name), 'utf8').matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^.'][^']*)'|^import\s+'([^.'][^']*)'/gm)].map((m) => packageOf(m[1] ?? m[2])));
    expect(imported).toContain('jose');
    expect([...new Set(imported)].filter((name) => !named.has(name) && !builtinModules.includes(name.replace(/^node:/, '')))).toEqual([]);
  });

  it('no module reaches itself through its imports (type imports included): each concept has one home', () => {
    const src = join(ROOT, 'src');
    const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : name.endsWith('.ts') ? [join(dir, name)] : []));
    const imports = new Map<string, string[]>();
    for (const file of files(src)) {
      const specifiers = [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^'";]*?'(\.[^']+)'/gms)].map((m) => resolve(dirname(file), m[1]));
      imports.set(file, specifiers.flatMap((base) => [`${base}.ts`, join(base, 'index.ts')].filter(existsSync).slice(0, 1)));
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      path.push(file);
      for (const next of imports.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].map((f) => relative(src, f)).join(' → '));
        else if (!state.has(next)) visit(next);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of imports.keys()) if (!state.has(file)) visit(file);
    expect(imports.size).toBeGreaterThan(80);
    expect(cycles).toEqual([]);
  });
});

describe('the lint of the suites (eslint.config.mjs, run by npm test)', () => {
  /** The rules ESLint, with the project's configuration, reports for this text as a test file. */
  const rulesFor = async (source: string): Promise<string[]> => {
    const [result] = await new ESLint({ cwd: ROOT }).lintText(source, { filePath: join(ROOT, 'test', 'probe.test.ts') });
    return result.messages.map((m) => m.ruleId ?? m.message);
  };

  it.each([
    { title: 'a focused test', source: "it.only('runs alone', () => { expect(1).toBe(1); });", rule: 'jest/no-focused-tests' },
    { title: 'a focused suite', source: "describe.only('runs alone', () => { it('checks', () => { expect(1).toBe(1); }); });", rule: 'jest/no-focused-tests' },
    { title: 'a skipped test', source: "it.skip('never runs', () => { expect(1).toBe(1); });", rule: 'jest/no-disabled-tests' },
    { title: 'a skipped suite', source: "xdescribe('never runs', () => { it('checks', () => { expect(1).toBe(1); }); });", rule: 'jest/no-disabled-tests' },
    { title: 'a test that asserts nothing', source: "it('claims a lot', async () => { await Promise.resolve(); });", rule: 'jest/expect-expect' },
  ])('refuses $title', async ({ source, rule }) => {
    expect(await rulesFor(source)).toEqual([rule]);
  });

  it('allows a test that asserts through a helper named in the configuration, and a todo', async () => {
    expect(await rulesFor("declare const ok: (r: unknown) => void;\nit('succeeds', () => { ok({}); });\nit.todo('not run here: why');")).toEqual([]);
  });

  it("npm run lint covers the sources, the suites, the scripts and the kit's sources", () => {
    expect((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.lint).toBe('eslint src test scripts packages/kit/src');
  });
});
