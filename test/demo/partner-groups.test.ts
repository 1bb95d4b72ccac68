import { freePort } from '../../scripts/demo-run';
import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { PartnerGroupEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { ok, startTestPortico, type TestPortico } from '../support/portico';

const ASSETS = '{ campaignAssets { title partnerGroupId } }';
const PUBLIC = [
  { title: 'Partner onboarding playbook', partnerGroupId: null },
  { title: 'Winter promotion banner set', partnerGroupId: null },
];
const UPDATE = 'mutation($id: ID!, $input: PartnerGroupInput!) { updatePartnerGroup(id: $id, input: $input) { name } }';

/**
 * A custom view end to end: the gateway computes the caller's groups, signs their ids into the context token, and
 * the leads subgraph filters by them.
 */
describe.each(databaseKinds())('a custom view for one partner group, through the gateway, on %s', (kind) => {
  let t: TestPortico;
  let subgraph: DemoSubgraph;
  let gold: PartnerGroupEntity;
  /** The Gold asset, bound to the group's id (the seed names the group; the harness binds the names to Portico's ids). */
  let GOLD: { title: string; partnerGroupId: string };

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    subgraph = await startDemoSubgraph('leads', { porticoUrl: `${base}/graphql`, contextJwksUrl: `${base}${CONTEXT_JWKS_PATH}` });
    t = await startTestPortico(kind, 'unifyr', { port, subgraphs: [{ name: subgraph.name, url: subgraph.url }] });
    gold = await t.portico.services.db.manager.findOneByOrFail(PartnerGroupEntity, { name: 'Gold partners' });
    await subgraph.bindPartnerGroups({ [gold.name]: gold.id });
    GOLD = { title: 'Gold co-marketing campaign kit', partnerGroupId: gold.id };
  });
  afterAll(async () => {
    await t?.stop();
    await subgraph?.stop();
  });

  it.each([
    { title: 'a Gold partner (Northwind Administrator) sees the Gold asset', as: 'admin@northwind.example', gold: true },
    { title: 'so does Northwind Marketing', as: 'marketing@northwind.example', gold: true },
    { title: 'Northwind Sales, in the same account but not in the group, does not', as: 'sales@northwind.example', gold: false },
    { title: "Contoso's Administrator (social module off) does not", as: 'admin@contoso.example', gold: false },
    { title: 'the supplier, who manages partner groups, sees every view', as: 'supplier@platform.local', gold: true },
  ])('$title', async ({ as, gold }) => {
    expect(await t.gql(as, ASSETS)).toEqual({ status: 200, data: { campaignAssets: gold ? [GOLD, ...PUBLIC] : PUBLIC } });
  });

  it('the subgraph filters by group id: renamed, the group keeps its asset; a new group of that old name gets nothing', async () => {
    // A member's call binds the seed's asset to the group's id, if no test before did.
    expect(ok(await t.gql('admin@northwind.example', ASSETS)).campaignAssets).toEqual([GOLD, ...PUBLIC]);
    ok(await t.gql('admin@platform.local', UPDATE, { id: gold.id, input: { name: 'Platinum partners', rule: gold.rule } }));
    const impostor = ok(await t.gql('admin@platform.local', 'mutation($input: PartnerGroupInput!) { createPartnerGroup(input: $input) { id } }', { input: { name: 'Gold partners', rule: { roles: ['SALES'] } } })).createPartnerGroup;
    try {
      expect(ok(await t.gql('admin@northwind.example', ASSETS)).campaignAssets).toEqual([GOLD, ...PUBLIC]);
      const sales = ok(await t.gql('sales@northwind.example', `{ viewer { partnerGroups { name } } campaignAssets { title partnerGroupId } }`));
      expect(sales.viewer.partnerGroups).toEqual([{ name: 'Gold partners' }]);
      expect(sales.campaignAssets).toEqual(PUBLIC);
    } finally {
      ok(await t.gql('admin@platform.local', 'mutation($id: ID!) { deletePartnerGroup(id: $id) }', { id: impostor.id }));
      ok(await t.gql('admin@platform.local', UPDATE, { id: gold.id, input: { name: gold.name, rule: gold.rule } }));
    }
  });

  it('the view follows the rule: once the group takes in Sales, Northwind Sales sees the asset on the next request', async () => {
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
