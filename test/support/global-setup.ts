import { execFileSync } from 'child_process';
import { join } from 'path';

/**
 * Builds dist/ once before any suite runs: suites start `node dist/src/main.js` and the npm scripts, and with
 * several workers a build per suite would rewrite files another suite's process is loading.
 */
export default function buildOnce(): void {
  const root = join(__dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  // as `npm run build` does after tsc (postbuild): the built code finds the kit by its name
  execFileSync(process.execPath, [join(root, 'scripts', 'link-kit.js')], { cwd: root, stdio: 'inherit' });
}
