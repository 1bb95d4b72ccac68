import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { IncomingHttpHeaders } from 'http';

/**
 * The baseline: a plain @apollo/gateway with nothing of Portico in this process. It composes the subgraphs named in
 * SUBGRAPHS (`name=url,...`) at start and passes the caller's headers on, as a federation gateway without
 * authorization of its own is usually deployed; the subgraphs (the access-control graph among them) decide.
 */
interface Context {
  headers: IncomingHttpHeaders;
}

const FORWARDED = ['authorization', 'x-portico-context', 'x-request-id'];

class ForwardingDataSource extends RemoteGraphQLDataSource<Context> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>): void {
    const incoming = (context as Partial<Context>).headers;
    if (!incoming || !request.http) return;
    for (const name of FORWARDED) {
      const value = incoming[name];
      if (typeof value === 'string') request.http.headers.set(name, value);
    }
  }
}

async function main(): Promise<void> {
  const subgraphs = (process.env.SUBGRAPHS ?? '').split(',').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    return { name: pair.slice(0, at), url: pair.slice(at + 1) };
  });
  const gateway = new ApolloGateway({ supergraphSdl: new IntrospectAndCompose({ subgraphs }), buildService: ({ url }) => new ForwardingDataSource({ url }) });
  const server = new ApolloServer<Context>({ gateway, introspection: false, csrfPrevention: true, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT ?? 0), host: '127.0.0.1' }, context: async ({ req }) => ({ headers: req.headers }) });
  console.log(`plain gateway at ${url}`);
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
