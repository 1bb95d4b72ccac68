import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import httpTransport from '@graphql-mesh/transport-http';
import { createServer } from 'http';
import { composeSupergraph, fetchSubgraphSdl } from '../../src/gateway/supergraph';

/**
 * The second baseline: Hive Gateway's runtime with the Rust query planner and no authorization of its own, on the
 * same subgraphs as the plain @apollo/gateway (the access-control graph a subgraph of its own). It composes the
 * subgraphs named in SUBGRAPHS (`name=url,...`) at start, passes the caller's headers on, and deduplicates no
 * request, inbound or to a subgraph, so that every request does its full work.
 */
const FORWARDED = ['authorization', 'x-portico-context', 'x-request-id'];

async function main(): Promise<void> {
  const subgraphs = (process.env.SUBGRAPHS ?? '').split(',').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    return { name: pair.slice(0, at), url: pair.slice(at + 1) };
  });
  const sources = await Promise.all(subgraphs.map(async (endpoint) => ({ ...endpoint, sdl: await fetchSubgraphSdl(endpoint) })));
  const runtime = createGatewayRuntime({
    supergraph: composeSupergraph(sources),
    unifiedGraphHandler,
    transports: { http: httpTransport },
    transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } },
    inboundInflightRequestDeduplication: false,
    logging: false,
    graphiql: false,
    landingPage: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => Object.fromEntries(FORWARDED.map((name) => [name, request.headers.get(name)])),
    },
  });
  const server = createServer(runtime);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
  console.log(`hive router (plain) at http://127.0.0.1:${process.env.PORT}/graphql`);
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
