import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { randomUUID } from 'crypto';
import { GraphQLError } from 'graphql';
import { loadConfig, loadPolicy } from '../../src/config';
import { DEMO_SUBGRAPH_NAMES } from '../../src/demo';
import { RequestContext, type Services } from '../../src/domain/context';
import { identityResolver } from '../../src/gateway/context';
import { buildAccessControlSubgraph } from '../../src/graph/schema';
import { AuthenticationError, loadOrCreateDevKeys, TokenVerifier } from '../../src/identity';
import { loadOrCreateContextSigner } from '../../src/identity/context-token';
import { PolicyEngine } from '../../src/policy';
import { Database } from '../../src/storage/database';
import { loadOrCreateSecretsKey, SecretBox } from '../../src/storage/secret-box';

/**
 * Portico's access-control graph as a subgraph of its own, for the plain gateway to compose: a standalone Apollo
 * Server whose context loads the caller from the bearer token the gateway passed on (or the context token a demo
 * subgraph sends when it asks for a decision), so that loading the principal costs the same on both sides.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const engine = new PolicyEngine(loadPolicy(config.policy));
  const db = await Database.open(config);
  const devKeys = await loadOrCreateDevKeys(config.dataDir);
  const verifier = new TokenVerifier({ issuer: config.jwtIssuer, audience: config.jwtAudience, devKeys, ownKeys: devKeys });
  const signer = await loadOrCreateContextSigner(config.dataDir, config.contextSigningKey);
  const services: Services = { config, db, engine, signingKeys: devKeys, secrets: new SecretBox(loadOrCreateSecretsKey(config.dataDir, config.secretsKey).key) };
  // The plain gateway composes it with the demo subgraphs: their context tokens (for their decision calls) are accepted.
  const identities = identityResolver(services, verifier, signer, DEMO_SUBGRAPH_NAMES);
  const { schema } = await buildAccessControlSubgraph();
  const server = new ApolloServer<RequestContext>({ schema, introspection: false, csrfPrevention: true, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const { url } = await startStandaloneServer(server, {
    listen: { port: config.port, host: '127.0.0.1' },
    context: async ({ req }) => {
      const requestId = randomUUID();
      try {
        const { principal } = await identities.resolve(req, requestId);
        return new RequestContext(services, requestId, principal);
      } catch (error) {
        if (error instanceof AuthenticationError) throw new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        throw error;
      }
    },
  });
  console.log(`access-control subgraph at ${url}`);
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
