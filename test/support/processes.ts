import { spawn, type ChildProcess } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { packageRoot } from '../../src/config';
import type { GraphQLResult } from './portico';

/**
 * dist/ is built once for the whole run by test/support/global-setup.ts, before any suite starts: a child process
 * runs what the README's `npm start` runs. Kept as the one place a suite says it needs the build.
 */
export function buildPortico(): void {
  const root = packageRoot();
  if (!existsSync(join(root, 'dist', 'src', 'main.js'))) throw new Error('dist/ is missing: jest builds it in its global setup (test/support/global-setup.ts)');
}

export interface PorticoProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends the signal and waits for the process to be gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `node dist/src/main.js` with this environment (on top of a quiet test one) and waits for its ready line. */
export async function startPorticoProcess(env: Record<string, string | undefined>): Promise<PorticoProcess> {
  buildPortico();
  const root = packageRoot();
  const child = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test', PORT: '0', PORTICO_POLICY: 'dstny', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Portico did not start:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready in \d+ ms at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Portico exited with ${code ?? signal}:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Posts one GraphQL operation with a bearer token. */
export async function postGraphQL(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return { ...((await response.json()) as Omit<GraphQLResult, 'status'>), status: response.status };
}
