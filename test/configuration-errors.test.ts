import { spawn } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { ConfigError, loadConfig } from '../src/config';
import { loadSupergraph } from '../src/gateway/supergraph';

describe('configuration errors', () => {
  it.each([
    { variable: 'LOG_LEVEL', value: 'verbose', accepted: 'expected fatal, error, warn, info, debug, trace, silent' },
    { variable: 'PORTICO_CONTEXT_SIGNING_KEY', value: 'secret', accepted: 'expected a private EC P-256 JWK as JSON' },
    { variable: 'PORTICO_CONTEXT_SIGNING_KEY', value: '{"kty":"EC","crv":"P-256"}', accepted: 'expected a private EC P-256 JWK as JSON' },
    { variable: 'PORTICO_PLAYGROUND', value: 'yes', accepted: 'expected true or false' },
    { variable: 'PORTICO_MAX_PAGE_SIZE', value: '10.5', accepted: 'expected an integer from 1 to 10000' },
    { variable: 'PORTICO_POLICY', value: 'policies/mine.json', accepted: 'expected one of dstny, appdirect, unifyr or a path to a .yaml policy file' },
  ])('refuses $variable=$value, naming the variable, the value and what is accepted', ({ variable, value, accepted }) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`${variable}=${JSON.stringify(value)} is not valid: ${(error as Error).message.split(' is not valid: ')[1]}`);
    expect((error as Error).message).toContain(accepted);
  });

  it('names a static supergraph that does not exist', async () => {
    const config = loadConfig({ PORTICO_SUPERGRAPH: 'schema/no-such-supergraph.graphql' });
    await expect(loadSupergraph(config, '', () => {})).rejects.toThrow(/^PORTICO_SUPERGRAPH=".*no-such-supergraph\.graphql" is not valid: expected an existing supergraph SDL file/);
  });

  it('stop `npm start` with that one line and exit status 1, before anything is opened', async () => {
    const root = join(__dirname, '..');
    const run = (command: string, args: string[], env: NodeJS.ProcessEnv) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(command, args, { cwd: root, env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    expect((await run(join(root, 'node_modules', '.bin', 'tsc'), ['-b', 'tsconfig.build.json'], process.env)).status).toBe(0);
    const started = await run(process.execPath, ['dist/src/main.js'], { ...process.env, NODE_ENV: 'development', PORT: '4000', PORTICO_ENFORCEMENT: 'strict', PORTICO_DATA_DIR: '/nonexistent/portico' });
    expect(started).toEqual({ status: 1, stdout: '', stderr: 'PORTICO_ENFORCEMENT="strict" is not valid: expected filter, reject, dry-run, off\n' });
    expect(existsSync('/nonexistent/portico')).toBe(false);
  });

  it('documents every variable it reads in the README configuration table', () => {
    const source = readFileSync(join(__dirname, '..', 'src', 'config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/env\.([A-Z_]+)|read\('([A-Z_]+)'/g)].map((m) => m[1] ?? m[2]));
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'));
    const undocumented = [...read].filter((variable) => !table.includes(`\`${variable}\``));
    expect(read.size).toBeGreaterThan(15);
    expect(undocumented).toEqual([]);
  });
});
