import { freePort } from '../../scripts/demo-run';
import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { PartnerGroupEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { ok, startTestPortico, type TestPortico } from '../support/portico';

const ASSETS = '{ campaignAssets { title partnerGroup } }';
const PUBLIC = [
  { title: 'Partner onboarding playbook', partnerGroup: null },
  { title: 'Winter promotion banner set', partnerGroup: null },
];
const GOLD = { title: 'Gold co-marketing campaign kit', partnerGroup: 'Gold partners' };

/** A custom view end to end: the gateway computes the caller's groups, signs them into the context token, and the leads subgraph filters by them. */
describe.each(databaseKinds())('a custom view for one partner group, through the gateway, on %s', (kind) => {
  let t: TestPortico;
  let subgraph: DemoSubgraph;

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    subgraph = await startDemoSubgraph('leads', { porticoUrl: `${base}/graphql`, contextJwksUrl: `${base}${CONTEXT_JWKS_PATH}` });
    t = await startTestPortico(kind, 'unifyr', { port, subgraphs: [{ name: subgraph.name, url: subgraph.url }] });
  });
  afterAll(async () => {
    await t?.stop();
    await subgraph?.stop();
  });

  it.each([
    { title: 'a Gold partner (Northwind Administrator) sees the Gold asset', as: 'admin@northwind.example', assets: [GOLD, ...PUBLIC] },
    { title: 'so does Northwind Marketing', as: 'marketing@northwind.example', assets: [GOLD, ...PUBLIC] },
    { title: 'Northwind Sales, in the same account but not in the group, does not', as: 'sales@northwind.example', assets: PUBLIC },
    { title: "Contoso's Administrator (social module off) does not", as: 'admin@contoso.example', assets: PUBLIC },
    { title: 'the supplier, who manages partner groups, sees every view', as: 'supplier@platform.local', assets: [GOLD, ...PUBLIC] },
  ])('$title', async ({ as, assets }) => {
    expect(await t.gql(as, ASSETS)).toEqual({ status: 200, data: { campaignAssets: assets } });
  });

  it('the view follows the rule: once the group takes in Sales, Northwind Sales sees the asset on the next request', async () => {
    const gold = await t.portico.services.db.manager.findOneByOrFail(PartnerGroupEntity, { name: 'Gold partners' });
    const UPDATE = 'mutation($id: ID!, $input: PartnerGroupInput!) { updatePartnerGroup(id: $id, input: $input) { name } }';
    const widened = { name: 'Gold partners', rule: { ...gold.rule, roles: [...gold.rule.roles, 'SALES'] } };
    ok(await t.gql('admin@platform.local', UPDATE, { id: gold.id, input: widened }));
    try {
      const result = ok(await t.gql('sales@northwind.example', `{ viewer { partnerGroups { name } } campaignAssets { title } }`));
      expect(result.viewer.partnerGroups).toEqual([{ name: 'Gold partners' }]);
      expect(result.campaignAssets.map((a: { title: string }) => a.title)).toContain(GOLD.title);
    } finally {
      ok(await t.gql('admin@platform.local', UPDATE, { id: gold.id, input: { name: gold.name, rule: gold.rule } }));
    }
    expect(ok(await t.gql('sales@northwind.example', ASSETS)).campaignAssets).toEqual(PUBLIC);
  });
});
