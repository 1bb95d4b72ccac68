import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));

describe('the README links', () => {
  const links = [...README.matchAll(/\]\(([^)#\s]+)\)/g)].map((m) => m[1]).filter((link) => !/^[a-z]+:/.test(link));

  it('link every generated SDL, supergraph and policy file in schema/', () => {
    const files = filesUnder(join(ROOT, 'schema')).map((file) => relative(ROOT, file));
    expect(files.length).toBeGreaterThanOrEqual(11);
    const linked = new Set(links.map((link) => link.replace(/^\.\//, '')));
    expect(files.filter((file) => !linked.has(file))).toEqual([]);
  });

  it('point at files that exist', () => {
    const missing = links.filter((link) => !existsSync(join(ROOT, link.replace(/\/$/, ''))));
    expect(missing).toEqual([]);
  });
});
