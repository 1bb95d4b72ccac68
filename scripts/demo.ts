import 'reflect-metadata';
import { join, resolve } from 'path';
import { PRESETS } from '../src/config';
import { describeDemo, startDemo } from './demo-run';

function usage(message: string): never {
  console.error(`${message}\nusage: npm run demo [-- <preset>...]   presets: ${PRESETS.join(', ')} (default: all three)`);
  process.exit(2);
}

const port = (variable: string, fallback: number): number => {
  const value = Number(process.env[variable] || fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535) usage(`${variable} must be a port number`);
  return value;
};

/**
 * `npm run demo [-- <preset>...]`: for each preset (all three by default), its demo subgraph on a loopback port
 * and a Portico gateway of its own composing it (see scripts/demo-run.ts). PORT (4000), PORTICO_DEMO_PORT (4101) and
 * PORTICO_DATA_DIR (./data/demo) move them.
 */
async function main(): Promise<void> {
  const presets = process.argv.length > 2 ? process.argv.slice(2) : [...PRESETS];
  for (const preset of presets) if (!(PRESETS as readonly string[]).includes(preset)) usage(`unknown preset ${JSON.stringify(preset)}`);
  if (process.env.DATABASE_URL && presets.length > 1) usage("DATABASE_URL holds one preset's data: name one preset");
  const demo = await startDemo({
    presets,
    gatewayPort: port('PORT', 4000),
    subgraphPort: port('PORTICO_DEMO_PORT', 4101),
    // its own data directories, so the demo never mixes with what `npm start` keeps in ./data/<preset>
    dataRoot: resolve(process.env.PORTICO_DATA_DIR || join('data', 'demo')),
    env: process.env,
    log: (line) => console.log(line),
  });
  const stop = () => void demo.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  for (const line of await describeDemo(demo.gateways)) console.log(line);
  console.log('\nCtrl-C stops everything.');
}

main().catch((error: Error) => {
  console.error(error.name === 'ConfigError' || error.name === 'PolicyFileError' ? error.message : error);
  process.exit(1);
});
