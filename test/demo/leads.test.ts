import type { AccountSettings } from '../../src/policy';
import { AccountEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { errorPaths, startDemoHarness, type DemoHarness } from './support';

const LEADS = 'query($a: ID!) { leads(accountId: $a) { company source } }';
const companies = (result: { data?: Record<string, any> | null }) => (result.data!.leads as Array<{ company: string }>).map((l) => l.company);

const NORTHWIND_ALL = ['Fabrikam Inc.', 'Tailspin Toys', 'Wingtip Toys', 'Litware', 'Proseware', 'Adventure Works'];

describe.each(databaseKinds())('the leads demo subgraph (unifyr) on %s', (kind) => {
  let h: DemoHarness;
  let northwind: string;
  let contoso: string;

  beforeAll(async () => {
    h = await startDemoHarness(kind, 'unifyr', 'leads');
    northwind = await h.accountId('Northwind Solutions');
    contoso = await h.accountId('Contoso Resellers');
  });
  afterAll(() => h?.stop());

  describe("rows follow the viewer's leads:read scope", () => {
    it.each([
      { title: 'an Administrator (all) sees every lead, registered ones too', as: 'admin@northwind.example', account: 'northwind', leads: NORTHWIND_ALL },
      { title: 'Marketing (all) sees every lead', as: 'marketing@northwind.example', account: 'northwind', leads: NORTHWIND_ALL },
      { title: 'Sales (distributed) sees marketing leads and those distributed to them, never registered leads', as: 'sales@northwind.example', account: 'northwind', leads: ['Fabrikam Inc.', 'Tailspin Toys'] },
      { title: "Sales of another partner sees that partner's share", as: 'sales@contoso.example', account: 'contoso', leads: ['Woodgrove Bank', 'Coho Winery'] },
      { title: 'the supplier (all, on every partner) sees every lead', as: 'supplier@platform.local', account: 'contoso', leads: ['Woodgrove Bank', 'Coho Winery', 'Lucerne Publishing', "Margie's Travel"] },
    ])('$title', async ({ as, account, leads }) => {
      const result = await h.ask(as, LEADS, { a: account === 'northwind' ? northwind : contoso });
      expect(result.errors).toBeUndefined();
      expect(companies(result)).toEqual(leads);
    });

    it('the exact rows Sales gets', async () => {
      expect(await h.ask('sales@northwind.example', LEADS, { a: northwind })).toEqual({
        status: 200,
        data: {
          leads: [
            { company: 'Fabrikam Inc.', source: 'MARKETING' },
            { company: 'Tailspin Toys', source: 'DISTRIBUTED' },
          ],
        },
      });
    });

    it("another partner's leads are FORBIDDEN", async () => {
      const result = await h.ask('admin@contoso.example', LEADS, { a: northwind });
      expect(result.data).toEqual({ leads: null });
      expect(result.errors).toEqual([expect.objectContaining({ path: ['leads'], extensions: { code: 'FORBIDDEN', permission: 'leads:read', accountId: northwind } })]);
    });

    it('the account setting leadsVisibilityByRole narrows Sales to assigned leads, or widens it to all', async () => {
      const em = h.t.portico.services.db.manager;
      const account = await em.findOneByOrFail(AccountEntity, { id: contoso });
      const original = account.settings;
      const setSettings = (settings: AccountSettings) => em.save(Object.assign(account, { settings }));
      try {
        await setSettings({ ...original, leadsVisibilityByRole: { SALES: 'assigned' } });
        // assigned to them: Coho Winery; Lucerne Publishing is assigned too, but registered
        expect(companies(await h.ask('sales@contoso.example', LEADS, { a: contoso }))).toEqual(['Coho Winery']);
        await setSettings({ ...original, leadsVisibilityByRole: { SALES: 'all' } });
        expect(companies(await h.ask('sales@contoso.example', LEADS, { a: contoso }))).toEqual(['Woodgrove Bank', 'Coho Winery', 'Lucerne Publishing', "Margie's Travel"]);
      } finally {
        await setSettings(original);
      }
      expect(companies(await h.ask('sales@contoso.example', LEADS, { a: contoso }))).toEqual(['Woodgrove Bank', 'Coho Winery']);
    });
  });

  describe('a lead by id or by entity reference is held to the same scope', () => {
    let litware: string;
    let tailspin: string;
    beforeAll(async () => {
      const all = (await h.ask('admin@northwind.example', 'query($a: ID!) { leads(accountId: $a) { id company } }', { a: northwind })).data!.leads as Array<{ id: string; company: string }>;
      litware = all.find((l) => l.company === 'Litware')!.id;
      tailspin = all.find((l) => l.company === 'Tailspin Toys')!.id;
    });

    it('a registered lead reads as not found for Sales, even one assigned to them', async () => {
      const query = 'query($id: ID!) { lead(id: $id) { company } }';
      expect(await h.ask('sales@northwind.example', query, { id: litware })).toEqual({ status: 200, data: { lead: null } });
      expect(await h.ask('sales@northwind.example', query, { id: tailspin })).toEqual({ status: 200, data: { lead: { company: 'Tailspin Toys' } } });
      expect(await h.ask('admin@northwind.example', query, { id: litware })).toEqual({ status: 200, data: { lead: { company: 'Litware' } } });
    });

    it('_entities: a registered lead resolves to null for Sales; another partner is refused', async () => {
      const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Lead { company source } } }';
      const reps = [{ __typename: 'Lead', id: litware, source: 'MARKETING' }, { __typename: 'Lead', id: tailspin }];
      expect(await h.ask('sales@northwind.example', query, { r: reps })).toEqual({ status: 200, data: { _entities: [null, { company: 'Tailspin Toys', source: 'DISTRIBUTED' }] } });
      const other = await h.ask('admin@contoso.example', query, { r: reps });
      expect(other.data).toEqual({ _entities: [null, null] });
      expect(JSON.stringify(other)).not.toContain('Tailspin');
    });

    it('an Account reference lists the leads in scope', async () => {
      const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Account { leads { company assignedTo { id } } } } }';
      const sales = await h.t.user('sales@northwind.example');
      const result = await h.ask('sales@northwind.example', query, { r: [{ __typename: 'Account', id: northwind }, { __typename: 'Account', id: contoso }] });
      expect(result.data).toEqual({
        _entities: [
          {
            leads: [
              { company: 'Fabrikam Inc.', assignedTo: null },
              { company: 'Tailspin Toys', assignedTo: { id: sales.id } },
            ],
          },
          { leads: null },
        ],
      });
      expect(errorPaths(result)).toEqual([['_entities.1.leads', 'UNAUTHORIZED_FIELD_OR_TYPE']]);
    });
  });
});
