import { join } from 'path';
import type { DemoSubgraphName } from '../../src/demo';
import { freePort } from '../demo-run';
import { addDashboardCustomers, dropDatabase, prepareEnvironment, serveJwks, type Environment } from './fixtures';
import { load, type LoadResult } from './load';
import { cpuMsOf, ENTRY, startChild, stopAll, type Child } from './processes';
import { alternate, geometricMean, measured, type Measured } from './stats';
import type { BenchOptions } from './options';

/**
 * Portico enforcing (filter), Portico with PORTICO_ENFORCEMENT=off, a plain @apollo/gateway, Hive Gateway's runtime
 * with the Rust planner and no authorization (hiveRouterPlain); the ceiling for viewer.
 */
export type Variant = 'portico' | 'porticoOff' | 'plain' | 'hiveRouterPlain' | 'ceiling';

/** The processes of one variant: its gateway, and every server its requests run on (the gateway included). */
interface Processes {
  gateway: Child;
  stack: Child[];
}

interface Operation {
  name: string;
  as: string;
  query: string;
  variables?: (env: Environment) => Promise<Record<string, unknown>>;
  /** The answer every variant must give (errors of filtered fields aside). */
  check(data: Record<string, any>): string | undefined;
}

interface Group {
  preset: string;
  subgraph: DemoSubgraphName;
  operations: Operation[];
  extra?: Parameters<typeof prepareEnvironment>[2];
}

const DASHBOARD_SIZE = 100;

const GROUPS: Group[] = [
  {
    preset: 'dstny',
    subgraph: 'tickets',
    operations: [
      {
        name: 'viewer',
        as: 'admin@acme.example',
        query: '{ viewer { user { email roles } account { name viewerCanManage } } }',
        check: (d) => (d.viewer?.account?.name === 'Acme Logistics' ? undefined : 'viewer is not Acme Logistics'),
      },
    ],
  },
  {
    preset: 'appdirect',
    subgraph: 'offers',
    extra: (db) => addDashboardCustomers(db, 'Northwind Cloud', DASHBOARD_SIZE, ['ACCOUNT_MANAGER', 'TECHNICAL_MANAGER']),
    operations: [
      {
        name: 'dashboard',
        as: 'am@northwind.example',
        query: `query Dashboard($first: Int!, $parentId: ID!) {
          accounts(first: $first, filter: { type: CUSTOMER, parentId: $parentId, nameContains: "Dashboard" }) {
            nodes { id name viewerCanManage users(first: 5) { nodes { email roles } } }
          }
        }`,
        variables: async (env) => ({ first: DASHBOARD_SIZE, parentId: await env.accountId('Northwind Cloud') }),
        check: (d) => {
          const nodes = d.accounts?.nodes ?? [];
          return nodes.length === DASHBOARD_SIZE && nodes.every((n: any) => n.viewerCanManage && n.users.nodes.length === 2) ? undefined : `dashboard returned ${nodes.length} accounts, the first ${JSON.stringify(nodes[0])}`;
        },
      },
      {
        name: 'offers',
        as: 'tech@northwind.example',
        query: '{ offers { name retailPrice suggestedRetailPrice cost } }',
        check: (d) => (Array.isArray(d.offers) && d.offers.length > 0 && d.offers.every((o: any) => o.cost === null && o.retailPrice !== null) ? undefined : 'offers without retail prices, or with cost prices'),
      },
    ],
  },
  {
    preset: 'unifyr',
    subgraph: 'leads',
    operations: [
      {
        name: 'leads',
        as: 'sales@northwind.example',
        query: 'query($a: ID!) { leads(accountId: $a) { company source stage } }',
        variables: async (env) => ({ a: await env.accountId('Northwind Solutions') }),
        check: (d) => (Array.isArray(d.leads) && d.leads.length > 0 && d.leads.every((l: any) => l.stage !== 'REGISTERED') ? undefined : 'no leads, or registered ones'),
      },
    ],
  },
];

export interface OperationResult {
  variants: Partial<Record<Variant, { rps: Measured; p99: Measured; gatewayCpuMsPerRequest?: Measured; stackCpuMsPerRequest?: Measured }>>;
  ratios: { authOnVsPlainGateway: Measured; authOnVsAuthOff: Measured; authOffVsPlainGateway: Measured; authOnVsHiveRouterPlain: Measured; authOnVsCeiling?: Measured };
  /** Errors in one answer (fields a variant filtered out). */
  errors: Partial<Record<Variant, number>>;
}

export interface OverheadResult {
  connections: number;
  seconds: number;
  rounds: number;
  operations: Record<string, OperationResult>;
  /** Per round, the geometric mean over the operations of Portico (filter) ÷ plain gateway. */
  authOnVsPlainGateway: Measured;
  authOnVsAuthOff: Measured;
  /** Per round, the geometric mean over the operations of Portico (filter) ÷ Hive Gateway without authorization. */
  authOnVsHiveRouterPlain: Measured;
}

/** Waits for every start to end, so that none is left running unseen when another fails; then the first failure, if any. */
async function allStarted<T>(starts: Array<Promise<T>>): Promise<T[]> {
  await Promise.allSettled(starts);
  return Promise.all(starts);
}

/**
 * The four gateways of one preset. Each Portico has its own demo subgraph asking it back; the two plain gateways
 * share one access-control subgraph and one demo subgraph asking it (they are measured one after the other).
 */
async function startStack(env: Environment, subgraph: DemoSubgraphName, children: Child[], jwksUrl: string, profileDir?: string): Promise<Record<Exclude<Variant, 'ceiling'>, Processes>> {
  // With --profile, every process of the stacks writes its profile under DIR/<subgraph>-<process>.
  const profiled = (name: string) => ({ nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${subgraph}-${name}`)}`] : [] });
  const started = (child: Child) => {
    children.push(child);
    return child;
  };
  const porticoOf = async (name: string, enforcement: string) => {
    const port = await freePort();
    const gateway = `http://127.0.0.1:${port}/graphql`;
    const sub = await startChild(`${subgraph} for ${name}`, ENTRY.demoSubgraph, { DEMO_SUBGRAPH: subgraph, PORTICO_URL: gateway }, profiled(`${name}-subgraph`));
    children.push(sub);
    const portico = await startChild(name, ENTRY.portico, { ...env.env, PORTICO_ENFORCEMENT: enforcement, PORTICO_SUBGRAPHS: `${subgraph}=${sub.url}` }, { port, ...profiled(name) });
    children.push(portico);
    return { gateway: portico, stack: [portico, sub] };
  };
  const plainStacks = async () => {
    const accessControl = await startChild('access-control subgraph', ENTRY.accessControl, env.env, profiled('access-control'));
    children.push(accessControl);
    const sub = await startChild(`${subgraph} for plain`, ENTRY.demoSubgraph, { DEMO_SUBGRAPH: subgraph, PORTICO_URL: accessControl.url, PORTICO_CONTEXT_JWKS_URL: jwksUrl }, profiled('plain-subgraph'));
    children.push(sub);
    const subgraphs = `access-control=${accessControl.url},${subgraph}=${sub.url}`;
    const [plain, hive] = await allStarted([
      startChild('plain gateway', ENTRY.plainGateway, { SUBGRAPHS: subgraphs }, profiled('plain')).then(started),
      startChild('hive router (plain)', ENTRY.hiveRouterPlain, { SUBGRAPHS: subgraphs }, profiled('hive')).then(started),
    ]);
    return { plain: { gateway: plain, stack: [plain, accessControl, sub] }, hiveRouterPlain: { gateway: hive, stack: [hive, accessControl, sub] } };
  };
  // The stacks share nothing but the database: they start side by side, and are measured one at a time.
  const stacks = [porticoOf('portico', 'filter'), porticoOf('portico-off', 'off'), plainStacks()] as const;
  await Promise.allSettled(stacks);
  const [portico, porticoOff, plain] = await Promise.all(stacks);
  return { portico, porticoOff, ...plain };
}

export async function runOverhead(options: BenchOptions, log: (line: string) => void): Promise<OverheadResult> {
  const { connections, seconds, rounds, warmup } = options.load;
  const operations: Record<string, OperationResult> = {};
  const onVsPlain: number[][] = [];
  const onVsOff: number[][] = [];
  const onVsHive: number[][] = [];
  const wanted = (operation: Operation) => !options.operations || options.operations.includes(operation.name);
  const unknown = options.operations?.filter((name) => !GROUPS.some((g) => g.operations.some((o) => o.name === name)));
  if (unknown?.length) throw new Error(`--ops names unknown operations ${unknown.join(', ')}: expected some of ${GROUPS.flatMap((g) => g.operations.map((o) => o.name)).join(', ')}`);
  for (const group of GROUPS) {
    if (!group.operations.some(wanted)) continue;
    const children: Child[] = [];
    const env = await prepareEnvironment(group.preset, `portico_bench_${group.preset}`, group.extra);
    const jwks = await serveJwks(env.signer);
    try {
      log(`overhead: starting the ${group.preset} stacks (access-control + ${group.subgraph})`);
      const processes: Partial<Record<Variant, Processes>> = await startStack(env, group.subgraph, children, jwks.url, options.profileDir);
      const urls: Partial<Record<Variant, string>> = Object.fromEntries(Object.entries(processes).map(([variant, p]) => [variant, p!.gateway.url]));
      for (const operation of group.operations.filter(wanted)) {
        const body = JSON.stringify({ query: operation.query, variables: (await operation.variables?.(env)) ?? {} });
        const token = await env.token(operation.as);
        // Every variant gets the same request; Portico reads the bearer token, the plain stack's subgraphs the context token.
        const headers = async () => ({ authorization: `Bearer ${token}`, 'x-portico-context': await env.contextToken(operation.as, group.subgraph) });
        const variants: Variant[] = ['portico', 'porticoOff', 'plain', 'hiveRouterPlain'];
        const errors: OperationResult['errors'] = {};
        for (const variant of variants) {
          const response = await fetch(urls[variant]!, { method: 'POST', headers: { 'content-type': 'application/json', ...(await headers()) }, body });
          const json = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
          const problem = response.status !== 200 || !json.data ? `HTTP ${response.status} ${JSON.stringify(json).slice(0, 300)}` : operation.check(json.data);
          if (problem) throw new Error(`${operation.name} through ${variant}: ${problem}`);
          errors[variant] = json.errors?.length ?? 0;
          if (operation.name === 'viewer' && variant === 'portico') {
            const ceiling = await startChild('ceiling', ENTRY.ceiling, { BODY: JSON.stringify(json) });
            children.push(ceiling);
            urls.ceiling = ceiling.url;
          }
        }
        if (urls.ceiling && operation.name === 'viewer') variants.push('ceiling');
        // Each variant's answers must carry the errors its checked answer did (the ceiling's is Portico's), and no others.
        const request = async (variant: Variant) => ({ url: urls[variant]!, body, headers: await headers(), expectedErrors: errors[variant === 'ceiling' ? 'portico' : variant] ?? 0 });
        for (const variant of variants) await load(await request(variant), warmup, connections, true);
        const cpu: Partial<Record<Variant, { gateway: number[]; stack: number[] }>> = {};
        const results = await alternate(variants, rounds, async (variant) => {
          const watched = processes[variant];
          const used = () => ({ gateway: cpuMsOf(watched?.gateway.process.pid), stack: (watched?.stack ?? []).reduce((sum, c) => sum + cpuMsOf(c.process.pid), 0) });
          const before = used();
          const result = await load(await request(variant), seconds, connections);
          const after = used();
          if (watched) {
            const series = (cpu[variant] ??= { gateway: [], stack: [] });
            series.gateway.push((after.gateway - before.gateway) / result.requests);
            series.stack.push((after.stack - before.stack) / result.requests);
          }
          return result;
        });
        const series = (variant: Variant, pick: (r: LoadResult) => number) => results.map((r) => pick(r[variant]));
        const ratio = (a: Variant, b: Variant) => measured(results.map((r) => r[a].rps / r[b].rps));
        const result: OperationResult = {
          variants: Object.fromEntries(
            variants.map((v) => [
              v,
              {
                rps: measured(series(v, (r) => r.rps), 0),
                p99: measured(series(v, (r) => r.p99), 1),
                ...(cpu[v] ? { gatewayCpuMsPerRequest: measured(cpu[v]!.gateway, 3), stackCpuMsPerRequest: measured(cpu[v]!.stack, 3) } : {}),
              },
            ]),
          ),
          ratios: { authOnVsPlainGateway: ratio('portico', 'plain'), authOnVsAuthOff: ratio('portico', 'porticoOff'), authOffVsPlainGateway: ratio('porticoOff', 'plain'), authOnVsHiveRouterPlain: ratio('portico', 'hiveRouterPlain') },
          errors,
        };
        if (variants.includes('ceiling')) result.ratios.authOnVsCeiling = ratio('portico', 'ceiling');
        operations[operation.name] = result;
        onVsPlain.push(results.map((r) => r.portico.rps / r.plain.rps));
        onVsOff.push(results.map((r) => r.portico.rps / r.porticoOff.rps));
        onVsHive.push(results.map((r) => r.portico.rps / r.hiveRouterPlain.rps));
        log(`overhead: ${operation.name}: portico ${result.variants.portico!.rps.median} req/s, off ${result.variants.porticoOff!.rps.median}, plain ${result.variants.plain!.rps.median}, hive ${result.variants.hiveRouterPlain!.rps.median}${urls.ceiling && operation.name === 'viewer' ? `, ceiling ${result.variants.ceiling!.rps.median}` : ''}`);
      }
    } finally {
      await stopAll(children);
      await jwks.close();
      await env.close();
      await dropDatabase(env.databaseName);
    }
  }
  const perRound = (series: number[][]) => measured(series[0].map((_, round) => geometricMean(series.map((s) => s[round]))));
  return { connections, seconds, rounds, operations, authOnVsPlainGateway: perRound(onVsPlain), authOnVsAuthOff: perRound(onVsOff), authOnVsHiveRouterPlain: perRound(onVsHive) };
}
