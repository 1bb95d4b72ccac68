import { buildSubgraphSchema } from '@apollo/subgraph';
import { readFileSync } from 'fs';
import { parse } from 'graphql';
import { join } from 'path';
import { porticoProtectionReport } from 'portico-kit';
import { DEMO_SUBGRAPH_NAMES, DEMO_SUBGRAPHS, demoSubgraphSdl } from '../../src/demo';
import { composeSupergraph } from '../../src/gateway/supergraph';
import { buildAccessControlSubgraph } from '../../src/graph/schema';
import type { FieldRule } from '../../src/graph/enforce';

const describeRules = (rules: FieldRule[]) =>
  rules.map((r) => (r.kind === 'permission' ? `@requiresPermission(${r.permission}${r.account ? `, account: ${r.account}` : ''})` : `@${r.kind}`)).join(' ');

describe.each(DEMO_SUBGRAPH_NAMES)('the %s demo subgraph schema', (name) => {
  const sdl = demoSubgraphSdl(name);
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl) });

  it(`matches the committed schema/subgraphs/${name}.graphql (run \`npm run demo:schemas\` after a change)`, () => {
    expect(readFileSync(join(__dirname, '..', '..', 'schema', 'subgraphs', `${name}.graphql`), 'utf8')).toBe(sdl);
  });

  it('declares every field protected or explicitly public: no field is left silent', () => {
    expect(porticoProtectionReport(schema).filter((entry) => entry.rules.length === 0)).toEqual([]);
  });

  it('lists what every field requires; a change here is a permission change to review', () => {
    expect(porticoProtectionReport(schema).map((entry) => `${entry.field}: ${describeRules(entry.rules)}`)).toMatchSnapshot();
  });

  it(`is written for the ${DEMO_SUBGRAPHS[name].preset} preset`, () => {
    expect({ tickets: 'dstny', offers: 'appdirect', leads: 'unifyr' }[name]).toBe(DEMO_SUBGRAPHS[name].preset);
  });
});

describe('composition', () => {
  it('the three demo subgraphs compose with the access-control subgraph, and the supergraph keeps their rules', async () => {
    const { sdl } = await buildAccessControlSubgraph();
    const supergraph = composeSupergraph([
      { name: 'access-control', sdl, url: 'http://127.0.0.1:1/graphql' },
      ...DEMO_SUBGRAPH_NAMES.map((name) => ({ name, sdl: demoSubgraphSdl(name), url: `http://127.0.0.1:1/${name}` })),
    ]);
    expect(supergraph).toContain('retailPrice: Float @requiresPermission(permission: "offers:read|offers:readRetailPrice")');
    const ticketsField = supergraph.split('\n').find((line) => line.trim().startsWith('tickets: [Ticket!]'));
    expect(ticketsField).toContain('@join__field(graph: TICKETS)');
    expect(ticketsField).toContain('@requiresPermission(permission: "tickets:read", account: "id")');
  });
});
