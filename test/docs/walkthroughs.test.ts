import { readFileSync } from 'fs';
import { join } from 'path';
import { PRESETS } from '../../src/config';
import { REPOSITORY_ROOT, runCommand, type CommandResult } from '../support/commands';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

const WALKTHROUGHS = readFileSync(join(REPOSITORY_ROOT, 'docs', 'walkthroughs.md'), 'utf8');

interface Step {
  command: string;
  expected: string;
}

interface Walkthrough {
  name: string;
  preset: string;
  steps: Step[];
}

/**
 * docs/walkthroughs.md's ```sh walkthrough=<preset>-<name> blocks: each command (a line, with its `\` continuations) and the
 * `# →` lines after it, which are what it prints (nothing, when there are none). Other comments are prose.
 */
function walkthroughs(markdown: string): Walkthrough[] {
  const found: Walkthrough[] = [];
  for (const block of markdown.matchAll(/^```sh walkthrough=([a-z]+)-([a-z-]+)\n([\s\S]*?)^```$/gm)) {
    const steps: Step[] = [];
    let continued = false;
    for (const line of block[3].split('\n')) {
      if (continued) {
        steps[steps.length - 1].command += `\n${line}`;
      } else if (line.startsWith('# →')) {
        const last = steps[steps.length - 1];
        last.expected = last.expected === '' ? line.slice(4) : `${last.expected}\n${line.slice(4)}`;
      } else if (line.trim() !== '' && !line.startsWith('#')) {
        steps.push({ command: line, expected: '' });
      }
      continued = !line.startsWith('#') && line.endsWith('\\');
    }
    found.push({ preset: block[1], name: `${block[1]}-${block[2]}`, steps });
  }
  return found;
}

/** Values that differ on every run. */
const normalize = (text: string) =>
  text
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '<token>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .trim();

const MARK = '@@walkthrough-step-done@@';

/** Runs the block's commands in one bash, in order, and returns what each printed. */
async function run(walkthrough: Walkthrough, env: NodeJS.ProcessEnv): Promise<CommandResult & { outputs: string[] }> {
  const script = ['set -eo pipefail', ...walkthrough.steps.flatMap((step) => [step.command, `printf '\\n${MARK}\\n'`])].join('\n');
  // Asynchronously: Portico answers the commands from this very process.
  const result = await runCommand('bash', ['-c', script], env);
  return { ...result, outputs: result.stdout.split(`\n${MARK}\n`).slice(0, walkthrough.steps.length) };
}

const ALL = walkthroughs(WALKTHROUGHS);

describe('the walkthroughs of docs/walkthroughs.md', () => {
  it('has, for every preset, the three walkthroughs (and those of the newer screens), each pointed at PORTICO_URL', () => {
    const screens = ['dstny-communications', 'appdirect-events', 'unifyr-settings'];
    expect(ALL.map((w) => w.name).sort()).toEqual([...PRESETS.flatMap((p) => ['delegation', 'fleet', 'impersonation'].map((n) => `${p}-${n}`)), ...screens].sort());
    for (const walkthrough of ALL) {
      expect(walkthrough.steps[0].command).toBe('URL=${PORTICO_URL:-http://localhost:4000/graphql}');
      expect(walkthrough.steps.filter((s) => s.expected !== '').length).toBeGreaterThanOrEqual(2);
      expect(walkthrough.steps.some((s) => s.command.includes('npm run --silent token -- '))).toBe(true);
    }
  });
});

describe.each(databaseKinds())('the walkthroughs of docs/walkthroughs.md, run with bash (%s)', (kind) => {
  const servers: TestPortico[] = [];
  const results = new Map<string, Promise<CommandResult & { outputs: string[] }>>();

  beforeAll(async () => {
    // Built once here: the walkthroughs' `npm run token` then finds dist current, and never builds it concurrently.
    expect((await runCommand('bash', ['-c', 'npm run --silent build'], process.env)).status).toBe(0);
    // The presets run side by side, each on a fresh Portico of its own; a preset's walkthroughs run in the order of the page.
    for (const preset of PRESETS) {
      const t = await startTestPortico(kind, preset);
      servers.push(t);
      const env: NodeJS.ProcessEnv = { ...process.env, PORTICO_URL: t.portico.url, PORTICO_DATA_DIR: t.dataDir };
      delete env.DATABASE_URL;
      if (t.portico.services.config.databaseUrl) env.DATABASE_URL = t.portico.services.config.databaseUrl;
      let previous: Promise<unknown> = Promise.resolve();
      for (const walkthrough of ALL.filter((w) => w.preset === preset)) {
        const result = previous.then(() => run(walkthrough, env));
        results.set(walkthrough.name, result);
        previous = result;
      }
    }
  });
  afterAll(async () => {
    await Promise.all(results.values());
    await Promise.all(servers.map((t) => t.stop()));
  });

  it.each(ALL.map((w) => [w.name, w] as const))('%s prints what docs/walkthroughs.md shows', async (_name, walkthrough) => {
    const { outputs, stderr, status } = await results.get(walkthrough.name)!;
    const shown = walkthrough.steps.map((step, i) => ({ command: step.command.split('\n')[0], output: normalize(outputs[i] ?? `(not run: bash stopped with status ${status}: ${stderr.trim()})`) }));
    const expected = walkthrough.steps.map((step) => ({ command: step.command.split('\n')[0], output: normalize(step.expected) }));
    expect(shown).toEqual(expected);
    expect(status).toBe(0);
  });
});
