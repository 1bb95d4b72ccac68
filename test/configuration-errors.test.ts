import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { loadConfig } from '../src/config';
import { loadSupergraph } from '../src/gateway/supergraph';
import { REPOSITORY_ROOT, runCommand } from './support/commands';

describe('configuration errors', () => {
  it('names a static supergraph that does not exist', async () => {
    const config = loadConfig({ PORTICO_SUPERGRAPH: 'schema/no-such-supergraph.graphql' });
    await expect(loadSupergraph(config, '', () => {})).rejects.toThrow(/^PORTICO_SUPERGRAPH=".*no-such-supergraph\.graphql" is not valid: expected an existing supergraph SDL file/);
  });

  it('stop `npm start` with that one line and exit status 1, before anything is opened', async () => {
    const root = REPOSITORY_ROOT;
    expect((await runCommand(join(root, 'node_modules', '.bin', 'tsc'), ['-b', 'tsconfig.build.json'], process.env)).status).toBe(0);
    const started = await runCommand(process.execPath, ['dist/src/main.js'], { ...process.env, NODE_ENV: 'development', PORT: '4000', PORTICO_ENFORCEMENT: 'strict', PORTICO_DATA_DIR: '/nonexistent/portico' });
    expect(started).toEqual({ status: 1, stdout: '', stderr: 'PORTICO_ENFORCEMENT="strict" is not valid: expected filter, reject, dry-run, off\n' });
    expect(existsSync('/nonexistent/portico')).toBe(false);
  });

  it('documents every variable it reads in the configuration table of docs/configuration.md', () => {
    const source = readFileSync(join(__dirname, '..', 'src', 'config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/env\.([A-Z_]+)|read\('([A-Z_]+)'/g)].map((m) => m[1] ?? m[2]));
    const table = readFileSync(join(__dirname, '..', 'docs', 'configuration.md'), 'utf8');
    const undocumented = [...read].filter((variable) => !table.includes(`\`${variable}\``));
    expect(read.size).toBeGreaterThan(15);
    expect(undocumented).toEqual([]);
  });
});
