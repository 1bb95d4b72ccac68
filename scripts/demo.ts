import 'reflect-metadata';
import { join, resolve } from 'path';
import { loadConfig, PRESETS } from '../src/config';
import { DEMO_SUBGRAPH_NAMES, DEMO_SUBGRAPHS, startDemoSubgraph, type DemoSubgraph } from '../src/demo';
import { CONTEXT_JWKS_PATH, startPortico, type Portico } from '../src/gateway/server';
import { signDevToken } from '../src/identity';
import { AccountEntity, UserEntity } from '../src/storage/entities';

/** Per preset: a user to try the demo as, and a query through the gateway that reaches the preset's subgraph. */
const TRY_IT: Record<string, { email: string; account?: string; query: (accountId: string) => string }> = {
  dstny: {
    email: 'admin@acme.example',
    account: 'Acme Logistics',
    query: (id) => `{ account(id: "${id}") { name tickets { number subject status } deliveries { item status scheduledFor } } }`,
  },
  appdirect: { email: 'tech@northwind.example', query: () => '{ offers { name retailPrice suggestedRetailPrice cost } }' },
  unifyr: {
    email: 'sales@northwind.example',
    account: 'Northwind Solutions',
    query: (id) => `{ account(id: "${id}") { name leads { company source stage } } }`,
  },
};

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
 * `npm run demo [-- <preset>...]`: for each preset (all three by default), its demo subgraph on a loopback port,
 * then a Portico gateway on that preset's policy and demo data composing it. Each preset gets its own gateway
 * because each subgraph's permissions are those of one preset's policy.
 */
async function main(): Promise<void> {
  const presets = process.argv.length > 2 ? process.argv.slice(2) : [...PRESETS];
  for (const preset of presets) if (!(PRESETS as readonly string[]).includes(preset)) usage(`unknown preset ${JSON.stringify(preset)}`);
  if (process.env.DATABASE_URL && presets.length > 1) usage('DATABASE_URL holds one preset\'s data: name one preset');
  const firstGatewayPort = port('PORT', 4000);
  const firstSubgraphPort = port('PORTICO_DEMO_PORT', 4101);
  // Its own data directories, so the demo never mixes with what `npm start` keeps in ./data.
  const dataRoot = resolve(process.env.PORTICO_DATA_DIR || join('data', 'demo'));

  const running: Array<{ stop(): Promise<void> }> = [];
  const stop = async () => {
    for (const service of running.reverse()) await service.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));

  const examples: Array<() => Promise<void>> = [];
  try {
    for (const [i, preset] of presets.entries()) {
      const gatewayUrl = `http://127.0.0.1:${firstGatewayPort + i}/graphql`;
      const dataDir = join(dataRoot, preset);
      const subgraphs: DemoSubgraph[] = [];
      for (const name of DEMO_SUBGRAPH_NAMES.filter((n) => DEMO_SUBGRAPHS[n].preset === preset)) {
        const subgraph = await startDemoSubgraph(name, {
          port: firstSubgraphPort + DEMO_SUBGRAPH_NAMES.indexOf(name),
          porticoUrl: gatewayUrl,
          contextJwksUrl: new URL(CONTEXT_JWKS_PATH, gatewayUrl).toString(),
          dataDir,
        });
        running.push(subgraph);
        subgraphs.push(subgraph);
        console.log(`[${preset}] subgraph ${name} listening on ${subgraph.url}`);
      }
      const config = loadConfig({
        // the progress lines say what happens; the JSON log shows warnings and errors unless LOG_LEVEL says otherwise
        LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
        ...process.env,
        PORT: String(firstGatewayPort + i),
        PORTICO_POLICY: preset,
        PORTICO_DATA_DIR: dataDir,
        PORTICO_SUBGRAPHS: subgraphs.map((s) => `${s.name}=${s.url}`).join(','),
      });
      const started = Date.now();
      const portico: Portico = await startPortico(config, (line) => console.log(`[${preset}] ${line}`));
      running.push(portico);
      console.log(`[${preset}] Portico composed ${['access-control', ...subgraphs.map((s) => s.name)].join(' + ')} in ${Date.now() - started} ms: ${portico.url} (data in ${dataDir})`);
      examples.push(() => printTryIt(portico, preset));
    }
    for (const example of examples) await example();
    console.log('\nCtrl-C stops everything.');
  } catch (error) {
    await stop();
    throw error;
  }
}

async function printTryIt(portico: Portico, preset: string): Promise<void> {
  const example = TRY_IT[preset];
  if (!portico.devKeys) {
    console.log('PORTICO_JWKS_URL is set: use a token from your identity provider.');
    return;
  }
  const em = portico.services.db.manager;
  const user = await em.findOneBy(UserEntity, { email: example.email });
  const account = example.account ? await em.findOneBy(AccountEntity, { name: example.account }) : null;
  if (!user || (example.account && !account)) return;
  const token = await signDevToken(portico.devKeys, user);
  console.log(`\n[${preset}] try it as ${example.email} (a development token, valid 12 h):`);
  console.log(`  curl -s ${portico.url} -H 'content-type: application/json' -H 'authorization: Bearer ${token}' \\`);
  console.log(`    -d '${JSON.stringify({ query: example.query(account?.id ?? '') })}'`);
  console.log(`  other users: PORTICO_POLICY=${preset} PORTICO_DATA_DIR=${portico.services.config.dataDir} npm run --silent token -- <email>`);
}

main().catch((error: Error) => {
  console.error(error.name === 'ConfigError' || error.name === 'PolicyFileError' ? error.message : error);
  process.exit(1);
});
