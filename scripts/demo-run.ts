import { createServer } from 'net';
import { readFileSync } from 'fs';
import { join } from 'path';
import { loadConfig, type PorticoConfig } from '../src/config';
import { CONTEXT_JWKS_PATH, startPortico, type Portico } from '../src/gateway/server';
import { signDevToken } from '../src/identity';
import { AccountEntity, PartnerGroupEntity, UserEntity } from '../src/storage/entities';
import { DEMO_SUBGRAPH_NAMES, DEMO_SUBGRAPHS, startDemoSubgraph, type DemoSubgraph } from '../src/demo';

/** Per preset: a user to try the demo as, and a query through the gateway that reaches the preset's subgraph. */
export const TRY_IT: Record<string, { email: string; account?: string; query: (accountId: string) => string }> = {
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

export interface DemoOptions {
  presets: string[];
  /** The first preset's gateway port; the next presets take the following ones. 0 picks free ports. */
  gatewayPort: number;
  /** tickets on this port, offers on the next, leads on the one after. 0 picks free ports. */
  subgraphPort: number;
  /** Each preset's data (Portico's SQLite file and keys, the subgraph's SQLite file) in `<dataRoot>/<preset>`. */
  dataRoot: string;
  /** Environment the gateways' configuration is read from, before the demo's own settings. */
  env?: NodeJS.ProcessEnv;
  /** Overrides applied to each gateway's configuration (tests). */
  overrides?: Partial<PorticoConfig>;
  log?: (line: string) => void;
}

export interface DemoGateway {
  preset: string;
  portico: Portico;
  subgraphs: DemoSubgraph[];
  /** A ready request for the preset's subgraph through the gateway, as a demo user; undefined without development keys. */
  example(): Promise<{ email: string; token: string; query: string } | undefined>;
}

/** A loopback port nobody listens on now: a demo subgraph must know its gateway's URL before the gateway starts. */
/**
 * A port nobody listens on, chosen below the kernel's ephemeral range: a port from that range can be taken, between
 * this check and the listen that follows, as the local end of any outgoing connection (a database pool opening).
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralPortRange();
  const low = 10_000;
  const high = Math.max(low + 1_000, ephemeralLow - 1);
  for (let attempt = 0; ; attempt++) {
    const candidate = low + Math.floor(Math.random() * (high - low));
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(candidate, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return candidate;
    }
    if (attempt >= 50) throw new Error(`no free port found between ${low} and ${high}`);
  }
}

function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49152, 65535];
}

/**
 * The demo: for each preset, its demo subgraph on a loopback port, then a Portico gateway on that preset's policy
 * and demo data composing it. Each preset gets its own gateway because each subgraph's permissions are those of
 * one preset's policy. The subgraphs start first (the gateway composes them at start); they reach the gateway only
 * when a request comes.
 */
export async function startDemo(options: DemoOptions): Promise<{ gateways: DemoGateway[]; stop(): Promise<void> }> {
  const log = options.log ?? (() => {});
  const running: Array<{ stop(): Promise<void> }> = [];
  const stop = async () => {
    for (const service of running.splice(0).reverse()) await service.stop();
  };
  const gateways: DemoGateway[] = [];
  try {
    for (const [i, preset] of options.presets.entries()) {
      const gatewayPort = options.gatewayPort === 0 ? await freePort() : options.gatewayPort + i;
      const gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;
      const dataDir = join(options.dataRoot, preset);
      const subgraphs: DemoSubgraph[] = [];
      for (const name of DEMO_SUBGRAPH_NAMES.filter((n) => DEMO_SUBGRAPHS[n].preset === preset)) {
        const subgraph = await startDemoSubgraph(name, {
          port: options.subgraphPort === 0 ? 0 : options.subgraphPort + DEMO_SUBGRAPH_NAMES.indexOf(name),
          porticoUrl: gatewayUrl,
          contextJwksUrl: new URL(CONTEXT_JWKS_PATH, gatewayUrl).toString(),
          dataDir,
        });
        running.push(subgraph);
        subgraphs.push(subgraph);
        log(`[${preset}] subgraph ${name} listening on ${subgraph.url}`);
      }
      const config: PorticoConfig = {
        ...loadConfig({
          // the progress lines say what happens; the JSON log shows warnings and errors unless LOG_LEVEL says otherwise
          LOG_LEVEL: 'warn',
          ...options.env,
          PORT: String(gatewayPort),
          PORTICO_POLICY: preset,
          PORTICO_DATA_DIR: dataDir,
          PORTICO_SUBGRAPHS: subgraphs.map((s) => `${s.name}=${s.url}`).join(','),
        }),
        ...options.overrides,
      };
      const started = Date.now();
      const portico = await startPortico(config, (line) => log(`[${preset}] ${line}`));
      running.push(portico);
      // The subgraphs seed their rows for Portico's demo accounts at once (else each learns an account from the
      // first of its own users to come by: a context token carries its caller's account name, and nothing more).
      const named = Object.fromEntries((await portico.services.db.manager.find(AccountEntity)).map((account) => [account.name, account.id]));
      const groups = Object.fromEntries((await portico.services.db.manager.find(PartnerGroupEntity)).map((group) => [group.name, group.id]));
      for (const subgraph of subgraphs) {
        await subgraph.bindAccounts(named);
        await subgraph.bindPartnerGroups(groups);
      }
      log(`[${preset}] Portico composed ${['access-control', ...subgraphs.map((s) => s.name)].join(' + ')} in ${Date.now() - started} ms: ${portico.url} (data in ${dataDir})`);
      gateways.push({ preset, portico, subgraphs, example: () => exampleFor(portico, preset) });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { gateways, stop };
}

async function exampleFor(portico: Portico, preset: string): Promise<{ email: string; token: string; query: string } | undefined> {
  const example = TRY_IT[preset];
  if (!example || !portico.devKeys) return undefined;
  const em = portico.services.db.manager;
  const user = await em.findOneBy(UserEntity, { email: example.email });
  const account = example.account ? await em.findOneBy(AccountEntity, { name: example.account }) : null;
  if (!user || (example.account && !account)) return undefined;
  return { email: example.email, token: await signDevToken(portico.devKeys, user), query: example.query(account?.id ?? '') };
}

/** Where a gateway serves its playground, when it serves one (PORTICO_PLAYGROUND; on by default outside production). */
export function playgroundUrl(portico: Portico): string | undefined {
  return portico.services.config.playground ? new URL('/playground', portico.url).toString() : undefined;
}

/** What `npm run demo` prints once everything listens: per preset, its playground, a ready curl, and other users' tokens. */
export async function describeDemo(gateways: DemoGateway[]): Promise<string[]> {
  const lines: string[] = [];
  for (const gateway of gateways) {
    const playground = playgroundUrl(gateway.portico);
    lines.push('', `[${gateway.preset}] playground: ${playground ?? 'off (PORTICO_PLAYGROUND=false)'}`);
    const example = await gateway.example();
    if (!example) {
      lines.push(`[${gateway.preset}] PORTICO_JWKS_URL is set: use a token from your identity provider.`);
      continue;
    }
    lines.push(
      `[${gateway.preset}] try it as ${example.email} (a development token, valid 12 h):`,
      `  curl -s ${gateway.portico.url} -H 'content-type: application/json' -H 'authorization: Bearer ${example.token}' \\`,
      `    -d '${JSON.stringify({ query: example.query })}'`,
      `  other users: PORTICO_POLICY=${gateway.preset} PORTICO_DATA_DIR=${gateway.portico.services.config.dataDir} npm run --silent token -- <email>`,
    );
  }
  return lines;
}
