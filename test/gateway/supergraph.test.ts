import { Kind, parse, print } from 'graphql';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig, loadPolicy, packageRoot, type PorticoConfig } from '../../src/config';
import { startPortico } from '../../src/gateway/server';
import { readAuthorizationRules, UnenforceableSupergraphError } from '../../src/gateway/rules';
import { localDemoSubgraphUrls } from '../../src/demo';
import { ACCESS_CONTROL_SUBGRAPH, ACCESS_CONTROL_URL, composeSchemaFiles, composeSupergraph, CompositionError } from '../../src/gateway/supergraph';
import { buildAccessControlSubgraph } from '../../src/graph/schema';
import { PolicyEngine } from '../../src/policy';
import { startTestPortico } from '../support/portico';
import { FLEET_SDL, ROUTER_SDL, startFleetSubgraph, type TestSubgraph } from './subgraphs';

const dstny = new PolicyEngine(loadPolicy('dstny'));
let accessControlSdl: string;
beforeAll(async () => {
  accessControlSdl = (await buildAccessControlSubgraph()).sdl;
});

const compose = (...subgraphs: Array<{ name: string; sdl: string; url?: string }>) =>
  composeSupergraph([{ name: ACCESS_CONTROL_SUBGRAPH, url: ACCESS_CONTROL_URL, sdl: accessControlSdl }, ...subgraphs.map((s) => ({ url: `http://${s.name}.test/graphql`, ...s }))]);

/** The supergraph's @link directives, each printed on one line whatever the composer's layout. */
const linksOf = (supergraph: string): string[] =>
  parse(supergraph)
    .definitions.flatMap((d) => (d.kind === Kind.SCHEMA_DEFINITION ? (d.directives ?? []) : []))
    .filter((d) => d.name.value === 'link')
    .map((d) => print(d));

const problemsOf = (supergraph: string): string[] => {
  try {
    readAuthorizationRules(supergraph, dstny);
  } catch (error) {
    expect(error).toBeInstanceOf(UnenforceableSupergraphError);
    return (error as UnenforceableSupergraphError).problems;
  }
  return [];
};

describe('composition', () => {
  it('composes a Portico-style subgraph and a subgraph written for Apollo Router, though both name @authenticated', () => {
    const links = linksOf(compose({ name: 'fleet', sdl: FLEET_SDL }, { name: 'weather', sdl: ROUTER_SDL }));
    expect(links).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)');
    expect(links).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)');
    expect(links).toContain('@link(url: "https://portico.dev/authz/v0.1", import: ["@requiresPermission", "@public"])');
  });

  it('hands the engine a supergraph without the security specs, after reading their rules', () => {
    const { gatewaySdl, rules } = readAuthorizationRules(compose({ name: 'fleet', sdl: FLEET_SDL }, { name: 'weather', sdl: ROUTER_SDL }), dstny);
    expect(gatewaySdl).not.toMatch(/for: SECURITY|@authenticated|@requiresScopes|@policy|requiresScopes__Scope|policy__Policy/);
    const schema = rules.schema;
    const rulesOf = (type: string, field: string) => rules.forField(schema.getType(type) as never, field);
    expect(rulesOf('Query', 'detailedForecast')).toEqual([{ kind: 'scopes', anyOf: [['forecast:read']] }]);
    expect(rulesOf('Vehicle', 'mileage')).toEqual([{ kind: 'authenticated' }, { kind: 'permission', permission: 'fleet:read' }]);
    expect(rulesOf('Query', 'fleetReport')).toEqual([{ kind: 'permission', permission: 'fleet:read', argument: 'accountId' }]);
    expect(rulesOf('Mutation', 'orderService')).toEqual([{ kind: 'policy', anyOf: [['services:order'], ['tickets:create', 'purchases:create']] }]);
    // The access-control graph's own fields are enforced by that graph, in-process.
    expect(rulesOf('Query', 'viewer')).toEqual([]);
  });

  it('a field selected through an interface must pass the rules of every implementation', () => {
    const sdl = `
      extend schema
        @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@composeDirective"])
        @link(url: "https://portico.dev/authz/v0.1", import: ["@requiresPermission"])
        @composeDirective(name: "@requiresPermission")
      directive @requiresPermission(permission: String!, account: String) on FIELD_DEFINITION | OBJECT
      interface Priced { price: Float }
      type Gadget implements Priced { price: Float @requiresPermission(permission: "fleet:read") }
      type Gizmo implements Priced { price: Float }
      type Query { priced: [Priced!]! }
    `;
    const { rules } = readAuthorizationRules(compose({ name: 'catalog', sdl }), dstny);
    expect(rules.forField(rules.schema.getType('Priced') as never, 'price')).toEqual([{ kind: 'permission', permission: 'fleet:read' }]);
    expect(rules.forField(rules.schema.getType('Gizmo') as never, 'price')).toEqual([]);
  });

  it('names every problem when the subgraphs do not compose', () => {
    const clash = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\ntype Query { viewer: String }';
    expect(() => compose({ name: 'clash', sdl: clash })).toThrow(CompositionError);
    expect(() => compose({ name: 'clash', sdl: clash })).toThrow(/Query\.viewer/);
  });

  it('a subgraph file without a URL is named, rather than pointed at a guessed host', () => {
    expect(() => composeSchemaFiles(join(packageRoot(), 'schema'), new Map([['tickets', 'http://127.0.0.1:4101/graphql']]))).toThrow(
      /^PORTICO_SUBGRAPHS="tickets=http:\/\/127\.0\.0\.1:4101\/graphql" is not valid: expected a URL for every subgraph of schema\/subgraphs\/, leads included$/,
    );
  });

  it('schema/supergraph.graphql is what `npm run compose` writes from the printed subgraph SDL, with the demo subgraphs on this machine', () => {
    expect(readFileSync(join(packageRoot(), 'schema', 'supergraph.graphql'), 'utf8')).not.toMatch(/url: "http:\/\/(tickets|offers|leads):/);
    const schemaDir = join(packageRoot(), 'schema');
    expect(readFileSync(join(schemaDir, 'access-control.graphql'), 'utf8')).toBe(accessControlSdl);
    const { supergraph } = composeSchemaFiles(schemaDir, localDemoSubgraphUrls());
    expect(readFileSync(join(schemaDir, 'supergraph.graphql'), 'utf8')).toBe(supergraph);
  });
});

describe('a supergraph whose authorization metadata Portico cannot enforce', () => {
  const fleet = () => compose({ name: 'fleet', sdl: FLEET_SDL });

  it.each([
    {
      title: 'a security spec Portico does not implement',
      edit: (s: string) => s.replace('@link(url: "https://specs.apollo.dev/link/v1.0")', '@link(url: "https://specs.apollo.dev/link/v1.0")\n  @link(url: "https://specs.example.com/acl/v1.0", for: SECURITY)'),
      problem: 'https://specs.example.com/acl/v1.0 is linked for SECURITY, and Portico does not know how to enforce it',
    },
    {
      title: 'a version of Portico\'s spec this gateway does not know',
      edit: (s: string) => s.replace('https://portico.dev/authz/v0.1', 'https://portico.dev/authz/v1.0'),
      problem: "https://portico.dev/authz/v1.0: this gateway implements Portico's authorization spec v0.x only",
    },
    {
      title: 'an account that names neither an argument nor a field',
      edit: (s: string) => s.replace(/(fleetReport[^\n]*account: )"accountId"/, '$1"customerId"'),
      problem: 'Query.fleetReport: @requiresPermission(account: "customerId") names neither an argument nor a field of the parent type',
    },
  ])('is refused: $title', ({ edit, problem }) => {
    expect(problemsOf(edit(fleet()))).toEqual([problem]);
  });

  it('a permission the policy does not know is a warning, and the field always denies (deny by default)', () => {
    const supergraph = fleet().replace('permission: "fleet:manage"', 'permission: "fleet:mange"');
    const { warnings } = readAuthorizationRules(supergraph, dstny);
    expect(warnings).toEqual(['Mutation.renameVehicle: @requiresPermission names "fleet:mange", which the dstny policy does not know: it always denies']);
  });

  it.each(['dstny', 'appdirect', 'unifyr'])('the access-control graph itself raises no warning under the %s policy, whose unmapped actions simply deny', async (preset) => {
    const { sdl } = await buildAccessControlSubgraph();
    const supergraph = composeSupergraph([{ name: ACCESS_CONTROL_SUBGRAPH, url: ACCESS_CONTROL_URL, sdl }]);
    expect(readAuthorizationRules(supergraph, new PolicyEngine(loadPolicy(preset))).warnings).toEqual([]);
  });

  it('stops the gateway from starting, and leaves nothing open', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-refusal-'));
    try {
      const file = join(dataDir, 'supergraph.graphql');
      writeFileSync(file, fleet().replace('@link(url: "https://specs.apollo.dev/link/v1.0")', '@link(url: "https://specs.apollo.dev/link/v1.0")\n  @link(url: "https://specs.example.com/acl/v1.0", for: SECURITY)'));
      const config: PorticoConfig = { ...loadConfig({ NODE_ENV: 'test' }), port: 0, dataDir, supergraphPath: file };
      await expect(startPortico(config)).rejects.toThrow(/specs\.example\.com\/acl\/v1\.0 is linked for SECURITY/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a static supergraph (PORTICO_SUPERGRAPH)', () => {
  let subgraph: TestSubgraph;
  let dir: string;
  beforeAll(async () => {
    subgraph = await startFleetSubgraph();
    dir = mkdtempSync(join(tmpdir(), 'portico-supergraph-'));
    // Composed with a URL nobody listens on: PORTICO_SUBGRAPHS gives the real one at start.
    writeFileSync(join(dir, 'supergraph.graphql'), compose({ name: 'fleet', sdl: FLEET_SDL, url: 'http://fleet:4000/graphql' }));
  });
  afterAll(async () => {
    await subgraph.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is served without asking the subgraphs for their SDL, their URLs overridden by name', async () => {
    const t = await startTestPortico('sqlite', 'dstny', { supergraphPath: join(dir, 'supergraph.graphql'), subgraphs: [{ name: 'fleet', url: subgraph.url }] });
    try {
      expect(subgraph.received.filter((r) => r.query.includes('_service'))).toEqual([]);
      const result = await t.gql('fleet@acme.example', '{ fleetStatus vehicles { mileage } viewer { roles } }');
      expect(result).toEqual({ status: 200, data: { fleetStatus: 'operational', vehicles: [{ mileage: 1200 }, { mileage: 800 }], viewer: { roles: ['FLEET_ADMINISTRATOR'] } } });
    } finally {
      await t.stop();
    }
  });

  it('refuses PORTICO_SUBGRAPHS naming a subgraph the supergraph does not have', async () => {
    await expect(startTestPortico('sqlite', 'dstny', { supergraphPath: join(dir, 'supergraph.graphql'), subgraphs: [{ name: 'billing', url: subgraph.url }] })).rejects.toThrow(
      /PORTICO_SUBGRAPHS="billing=http:\/\/127\.0\.0\.1:\d+\/" is not valid: expected subgraphs of the supergraph \(access-control, fleet\)/,
    );
  });
});
