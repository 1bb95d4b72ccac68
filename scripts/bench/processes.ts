import { execFileSync, spawn, type ChildProcess } from 'child_process';
import { readFileSync } from 'fs';
import { cpus } from 'os';
import { join } from 'path';
import { freePort } from '../demo-run';
import { auditKeySecretIn } from '../../src/storage/audit-key';

/** A server the benchmark started as a child process on a loopback port. */
export interface Child {
  name: string;
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

const DIST = join(__dirname, '..', '..');
/** The built entry points, relative to dist/. */
export const ENTRY = {
  portico: join(DIST, 'src', 'main.js'),
  demoSubgraph: join(DIST, 'scripts', 'demo-subgraph.js'),
  plainGateway: join(DIST, 'scripts', 'bench', 'plain-gateway.js'),
  accessControl: join(DIST, 'scripts', 'bench', 'access-control-server.js'),
  ceiling: join(DIST, 'scripts', 'bench', 'ceiling.js'),
  hiveRouterPlain: join(DIST, 'scripts', 'bench', 'hive-router-plain.js'),
};

/**
 * Settings every server of this run starts with, beneath its own: a smoke run gives its servers long deadlines, so that
 * on a busy machine a slow request is not taken for a broken section.
 */
export const serverEnvironment: Record<string, string> = {};

/** The core list (`taskset -c`) the servers are confined to; unset, they run anywhere. */
let serverCores: string | undefined;

/**
 * Confines every server started from now on to the first core and this process (the load generator) to the others.
 * Returns the split, or `undefined` where it cannot be made (one core, or no `taskset`).
 */
export function pinServersApart(): { servers: string; load: string } | undefined {
  const count = cpus().length;
  if (count < 2) return undefined;
  const load = count === 2 ? '1' : `1-${count - 1}`;
  try {
    execFileSync('taskset', ['-pc', load, String(process.pid)], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  serverCores = '0';
  return { servers: serverCores, load };
}

/**
 * Starts `node <entry>` with the environment given and a free loopback port in PORT, and waits until it answers
 * HTTP at `path`. Its output is kept and shown only if it fails to start.
 */
export async function startChild(name: string, entry: string, env: Record<string, string>, options: { path?: string; port?: number; nodeArgs?: string[] } = {}): Promise<Child> {
  const port = options.port ?? (await freePort());
  const path = options.path ?? '/graphql';
  const args = [...(process.env.BENCH_NODE_OPTIONS ? process.env.BENCH_NODE_OPTIONS.split(' ') : []), ...(options.nodeArgs ?? []), entry];
  // taskset execs node in its own process: the child's pid, signals and exit are node's.
  const [command, argv] = serverCores === undefined ? [process.execPath, args] : ['taskset', ['-c', serverCores, process.execPath, ...args]];
  const child = spawn(command, argv, {
    // Production requires PORTICO_AUDIT_KEY: the data directory's key, which the fixtures wrote the trail with.
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_LEVEL: 'error', ...serverEnvironment, ...(env.PORTICO_DATA_DIR && !env.PORTICO_AUDIT_KEY ? { PORTICO_AUDIT_KEY: auditKeySecretIn(env.PORTICO_DATA_DIR) } : {}), ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}${path}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`${name} exited before it was ready:\n${output}`);
    try {
      await fetch(url, { method: 'GET', signal: AbortSignal.timeout(2000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${name} did not answer at ${url} within 90 s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return { name, url, port, process: child, stop };
}

/** Stops the children, all at once: one that takes its time to end (up to 5 s) does not hold up the others. */
export async function stopAll(children: Child[]): Promise<void> {
  await Promise.all(children.splice(0).map((child) => child.stop()));
}

let ticksPerSecond: number | undefined;

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc; 0 where that cannot be read. */
export function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (in parentheses, which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}
