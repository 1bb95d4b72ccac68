import 'reflect-metadata';
import { DEMO_SUBGRAPH_NAMES, demoSubgraphPort, startDemoSubgraph, type DemoSubgraphName } from '../src/demo';

/**
 * Runs one demo subgraph on its own (the docker compose file runs each in a container):
 * `DEMO_SUBGRAPH=tickets|offers|leads PORTICO_URL=http://portico:4000/graphql node dist/scripts/demo-subgraph.js`.
 * PORTICO_CONTEXT_JWKS_URL defaults to the gateway's published keys next to PORTICO_URL; PORT to 4101, 4102, 4103;
 * HOST to 0.0.0.0; PORTICO_DATA_DIR, when set, keeps the subgraph's SQLite file there (else it lives in memory).
 */
async function main(): Promise<void> {
  const name = (process.argv[2] ?? process.env.DEMO_SUBGRAPH) as DemoSubgraphName | undefined;
  if (!name || !DEMO_SUBGRAPH_NAMES.includes(name)) {
    console.error(`DEMO_SUBGRAPH=${JSON.stringify(name ?? '')} is not valid: expected one of ${DEMO_SUBGRAPH_NAMES.join(', ')}`);
    process.exit(2);
  }
  const porticoUrl = process.env.PORTICO_URL;
  if (!porticoUrl || !/^https?:\/\//.test(porticoUrl)) {
    console.error(`PORTICO_URL=${JSON.stringify(porticoUrl ?? '')} is not valid: expected the gateway's GraphQL URL, e.g. http://portico:4000/graphql`);
    process.exit(2);
  }
  const port = Number(process.env.PORT || demoSubgraphPort(name));
  const subgraph = await startDemoSubgraph(name, {
    port,
    host: process.env.HOST || '0.0.0.0',
    porticoUrl,
    contextJwksUrl: process.env.PORTICO_CONTEXT_JWKS_URL || new URL('/.well-known/portico/context-jwks.json', porticoUrl).toString(),
    dataDir: process.env.PORTICO_DATA_DIR || undefined,
  });
  console.log(`demo subgraph ${name} listening on port ${port}; asks Portico at ${porticoUrl}`);
  const stop = async () => {
    await subgraph.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
