import { resolve } from 'path';
import { ConfigError, loadConfig } from '../../src/config';

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

  it.each([
    { variable: 'PORTICO_SUBGRAPHS', value: 'tickets', accepted: /name=http\(s\):\/\/url pairs/ },
    { variable: 'PORTICO_SUBGRAPHS', value: 'tickets=ftp://tickets/graphql', accepted: /name=http\(s\):\/\/url pairs/ },
    { variable: 'PORTICO_SUBGRAPHS', value: 'a=http://a/graphql,a=http://b/graphql', accepted: /distinct names/ },
    { variable: 'PORTICO_SUBGRAPHS', value: 'access-control=http://a/graphql', accepted: /other than access-control/ },
    { variable: 'PORTICO_ENFORCEMENT', value: 'strict', accepted: /filter, reject, dry-run, off/ },
  ])('refuses $variable=$value, naming the variable, the value and what is accepted', ({ variable, value, accepted }) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`${variable}=${JSON.stringify(value)}`);
    expect((error as ConfigError).message).toMatch(accepted);
  });
});
