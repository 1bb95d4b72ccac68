import { leadsSubgraph } from './leads/leads.subgraph';
import { offersSubgraph } from './offers/offers.subgraph';
import { sdlOf, serveDemoSubgraph, type DemoDefinition, type DemoSubgraph, type DemoSubgraphName, type DemoSubgraphOptions } from './server';
import { ticketsSubgraph } from './tickets/tickets.subgraph';

export type { DemoSubgraph, DemoSubgraphName, DemoSubgraphOptions } from './server';

/** The demo subgraphs, each written for one preset's demo accounts and permissions. */
export const DEMO_SUBGRAPHS: Readonly<Record<DemoSubgraphName, DemoDefinition>> = {
  tickets: ticketsSubgraph,
  offers: offersSubgraph,
  leads: leadsSubgraph,
};

export const DEMO_SUBGRAPH_NAMES = Object.keys(DEMO_SUBGRAPHS) as DemoSubgraphName[];

/** The port a demo subgraph listens on unless told otherwise (`npm run demo`, docker): tickets 4101, offers 4102, leads 4103. */
export const demoSubgraphPort = (name: DemoSubgraphName): number => 4101 + DEMO_SUBGRAPH_NAMES.indexOf(name);

/** Where `npm run demo` serves each demo subgraph on this machine: the URLs `npm run compose` writes by default. */
export const localDemoSubgraphUrls = (): Map<string, string> => new Map(DEMO_SUBGRAPH_NAMES.map((name) => [name, `http://127.0.0.1:${demoSubgraphPort(name)}/graphql`]));

function definition(name: DemoSubgraphName): DemoDefinition {
  const found = DEMO_SUBGRAPHS[name];
  if (!found) throw new Error(`no demo subgraph ${JSON.stringify(name)}: expected one of ${DEMO_SUBGRAPH_NAMES.join(', ')}`);
  return found;
}

/** The demo subgraphs written for a preset (tickets for dstny, offers for appdirect, leads for unifyr). */
export const demoSubgraphsFor = (preset: string): DemoSubgraphName[] => DEMO_SUBGRAPH_NAMES.filter((name) => DEMO_SUBGRAPHS[name].preset === preset);

/** Starts a demo subgraph on a loopback port, with its own storage seeded for its preset's demo accounts. */
export function startDemoSubgraph(name: DemoSubgraphName, options: DemoSubgraphOptions): Promise<DemoSubgraph> {
  return serveDemoSubgraph(definition(name), options);
}

/** The subgraph's SDL, as printed to schema/subgraphs/<name>.graphql. */
export function demoSubgraphSdl(name: DemoSubgraphName): string {
  return sdlOf(definition(name));
}
