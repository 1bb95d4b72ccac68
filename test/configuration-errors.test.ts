import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { CONFIG_VARIABLES, loadConfig, renderConfigurationTable } from '../src/config';
import { withConfigurationTable } from '../scripts/config-docs';
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

  it('reads every variable through CONFIG_VARIABLES, whose table docs/configuration.md holds as npm run config:docs writes it', () => {
    const source = readFileSync(join(__dirname, '..', 'src', 'config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/env\.([A-Z_]+)|(?:read|given)\('([A-Z_]+)'/g)].map((m) => m[1] ?? m[2]));
    expect(read.size).toBeGreaterThan(30);
    expect([...read].filter((variable) => !(variable in CONFIG_VARIABLES))).toEqual([]);
    const page = readFileSync(join(__dirname, '..', 'docs', 'configuration.md'), 'utf8');
    expect(page).toBe(withConfigurationTable(page));
    for (const variable of Object.keys(CONFIG_VARIABLES)) expect(page).toContain(`| \`${variable}\` |`);
  });

  it.each([
    { variable: 'PORT', shown: '| `PORT` | `4000` | HTTP port |', value: 4000 },
    { variable: 'PORTICO_WEBHOOK_RETRY_SCHEDULE', shown: '| `PORTICO_WEBHOOK_RETRY_SCHEDULE` | `0,1,5,30,120,600,3600,21600` |', value: [0, 1, 5, 30, 120, 600, 3600, 21600] },
    { variable: 'PORTICO_ENFORCEMENT', shown: '| `PORTICO_ENFORCEMENT` | `filter` |', value: 'filter' },
  ])('writes the default of $variable once: the table shows what loadConfig uses', ({ shown, value, variable }) => {
    expect(renderConfigurationTable()).toContain(shown);
    expect(Object.values(loadConfig({}))).toContainEqual(value);
    expect(CONFIG_VARIABLES[variable as keyof typeof CONFIG_VARIABLES].default).toEqual(value);
  });
});
