// Lets the built gateway find the kit by its package name: dist/node_modules/portico-kit → packages/kit (whose
// dist/ tsc -b has built first, a project reference). Node looks in dist/node_modules before the repository's
// node_modules, so this needs no npm workspace and leaves node_modules as npm installed it. Run after every build
// (`postbuild`, `pretoken`, the suites' global setup).
const { mkdirSync, readlinkSync, symlinkSync, rmSync } = require('fs');
const { join } = require('path');

const root = join(__dirname, '..');
const link = join(root, 'dist', 'node_modules', 'portico-kit');
const target = join('..', '..', 'packages', 'kit');
mkdirSync(join(root, 'dist', 'node_modules'), { recursive: true });
let current;
try {
  current = readlinkSync(link);
} catch {
  current = undefined;
}
if (current !== target) {
  rmSync(link, { force: true, recursive: true });
  symlinkSync(target, link, 'dir');
}
