import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';

const ROOT = join(__dirname, '..', '..');

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));

/** The README and every page under docs/: the documentation a reader follows links through. */
const PAGES = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join(ROOT, 'docs', name))];

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^```[\s\S]*?^```$/gm, '');
  for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

interface Link {
  page: string;
  target: string;
  /** The file it points at, absolute. */
  file: string;
  anchor?: string;
}

function linksOf(page: string): Link[] {
  const text = readFileSync(page, 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => {
      const [path, anchor] = target.split('#');
      return { page: relative(ROOT, page), target, file: path === '' ? page : resolve(dirname(page), path), anchor };
    });
}

const LINKS = PAGES.flatMap(linksOf);

describe('the README and docs/ links', () => {
  it('are many, and reach every page of docs/ from another page', () => {
    expect(PAGES.length).toBeGreaterThanOrEqual(10);
    expect(LINKS.length).toBeGreaterThan(40);
    expect(PAGES.slice(1).filter((page) => !LINKS.some((link) => link.page !== relative(ROOT, page) && link.file === page)).map((page) => relative(ROOT, page))).toEqual([]);
  });

  it('link every generated SDL, supergraph and policy file in schema/', () => {
    const files = filesUnder(join(ROOT, 'schema'));
    expect(files.length).toBeGreaterThanOrEqual(11);
    const linked = new Set(LINKS.map((link) => link.file.replace(/\/$/, '')));
    expect(files.filter((file) => !linked.has(file)).map((file) => relative(ROOT, file))).toEqual([]);
  });

  it('point at files that exist', () => {
    const missing = LINKS.filter((link) => !existsSync(link.file.replace(/\/$/, ''))).map((link) => `${link.page}: ${link.target}`);
    expect(missing).toEqual([]);
  });

  it('point at headings that exist', () => {
    const broken = LINKS.filter((link) => link.anchor !== undefined && link.file.endsWith('.md') && existsSync(link.file))
      .filter((link) => !anchorsOf(readFileSync(link.file, 'utf8')).has(link.anchor!))
      .map((link) => `${link.page}: ${link.target}`);
    expect(broken).toEqual([]);
  });

  it('keep the README to a few screens', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').length).toBeLessThanOrEqual(12_000);
  });
});
