import { spawn } from 'child_process';
import { join } from 'path';

/** The repository's root, where the README's commands are typed. */
export const REPOSITORY_ROOT = join(__dirname, '..', '..');

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end and collects what it printed. Asynchronous, so a Portico started by the test in this
 * very process can answer what the command asks it.
 */
export function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = REPOSITORY_ROOT): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
