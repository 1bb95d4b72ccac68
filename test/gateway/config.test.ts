import { resolve } from 'path';
import { loadConfig } from '../../src/config';

describe('gateway configuration', () => {
  it('reads the subgraphs, the static supergraph, the enforcement mode and the context signing key', () => {
    const config = loadConfig({
      PORTICO_SUBGRAPHS: 'tickets=http://tickets:4000/graphql, offers=https://offers.example.com/graphql',
      PORTICO_SUPERGRAPH: 'schema/supergraph.graphql',
      PORTICO_ENFORCEMENT: 'dry-run',
      PORTICO_CONTEXT_SIGNING_KEY: '{"kty":"EC","crv":"P-256","x":"x","y":"y","d":"d"}',
    });
    expect(config).toMatchObject({
      subgraphs: [
        { name: 'tickets', url: 'http://tickets:4000/graphql' },
        { name: 'offers', url: 'https://offers.example.com/graphql' },
      ],
      supergraphPath: resolve('schema/supergraph.graphql'),
      enforcement: 'dry-run',
      contextSigningKey: '{"kty":"EC","crv":"P-256","x":"x","y":"y","d":"d"}',
    });
  });
});
