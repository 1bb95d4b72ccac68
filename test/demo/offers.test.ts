import { databaseKinds } from '../support/databases';
import { codes, errorPaths, startDemoHarness, type DemoHarness } from './support';

const PRICES = '{ offers { name retailPrice suggestedRetailPrice cost } }';
const INVOICES = 'query($a: ID!) { invoices(accountId: $a) { number status total } }';

const M365 = { name: 'Microsoft 365 Business Standard', retailPrice: 11.99, suggestedRetailPrice: 12.5, cost: 10.2 };

describe.each(databaseKinds())('the offers demo subgraph (appdirect) on %s', (kind) => {
  let h: DemoHarness;

  beforeAll(async () => {
    h = await startDemoHarness(kind, 'appdirect', 'offers');
  });
  afterAll(() => h?.stop());

  describe('offer prices: cost and suggestedRetailPrice need priceList:read; retailPrice needs offers:read or offers:readRetailPrice', () => {
    const ALL = ['cost', 'retailPrice', 'suggestedRetailPrice'];
    it.each([
      { title: "a partner's Billing Manager sees all three (priceList:read, offers:read)", as: 'billing@northwind.example', sees: ALL },
      { title: "a partner's Account Manager sees all three", as: 'am@northwind.example', sees: ALL },
      { title: "a partner's Technical Manager sees the retail price only (offers:readRetailPrice)", as: 'tech@northwind.example', sees: ['retailPrice'] },
      { title: "a customer's Billing Manager sees the retail price only (offers:read)", as: 'billing@acme.example', sees: ['retailPrice'] },
      { title: 'a Subscription Manager sees no price', as: 'subs@northwind.example', sees: [] },
      { title: "a customer's Technical Manager sees no price", as: 'tech@acme.example', sees: [] },
    ])('$title', async ({ as, sees }) => {
      const result = await h.ask(as, PRICES);
      const offers = result.data!.offers as Array<Record<string, unknown>>;
      expect(offers).toHaveLength(4);
      const m365 = offers.find((o) => o.name === M365.name);
      expect(m365).toEqual(Object.fromEntries(Object.entries(M365).map(([field, value]) => [field, field === 'name' || sees.includes(field) ? value : null])));
      const denied = ALL.filter((field) => !sees.includes(field));
      // one error per denied price of each of the four offers, at its path, naming the permission
      expect(errorPaths(result)).toEqual(denied.flatMap((field) => [0, 1, 2, 3].map((i) => [`offers.${i}.${field}`, 'UNAUTHORIZED_FIELD_OR_TYPE'])).sort());
      for (const error of result.errors ?? []) {
        const field = error.path![2];
        expect(error.extensions!.permission).toBe(field === 'retailPrice' ? 'offers:read|offers:readRetailPrice' : 'priceList:read');
      }
    });
  });

  describe('invoices need invoices:read on the account', () => {
    it.each([
      { title: "a partner's Billing Manager reads the partner's invoices", as: 'billing@northwind.example', account: 'Northwind Cloud', allowed: true },
      { title: "a partner's Billing Manager may not read a customer's below (not descendants)", as: 'billing@northwind.example', account: 'Acme Retail', allowed: false },
      { title: "a partner's Account Manager reads a customer's below", as: 'am@northwind.example', account: 'Acme Retail', allowed: true },
      { title: "a customer's Billing Manager reads their own", as: 'billing@acme.example', account: 'Acme Retail', allowed: true },
      { title: "a customer's Technical Manager may not", as: 'tech@acme.example', account: 'Acme Retail', allowed: false },
      { title: "a sub-partner's Account Manager may not (everything but billing)", as: 'am@east.example', account: 'Eastside Dental', allowed: false },
      { title: 'another partner may not', as: 'am@contoso.example', account: 'Acme Retail', allowed: false },
    ])('$title', async ({ as, account, allowed }) => {
      const accountId = await h.accountId(account);
      const result = await h.ask(as, INVOICES, { a: accountId });
      if (allowed) {
        expect(result.errors).toBeUndefined();
        expect(result.data!.invoices.length).toBeGreaterThan(0);
        expect(result.data!.invoices[0]).toEqual({ number: expect.any(String), status: expect.stringMatching(/^(OPEN|PAID|OVERDUE)$/), total: expect.any(Number) });
      } else {
        expect(result.data).toEqual({ invoices: null });
        expect(result.errors).toEqual([expect.objectContaining({ path: ['invoices'], extensions: { code: 'FORBIDDEN', permission: 'invoices:read', accountId } })]);
      }
    });

    it("Acme Retail's invoices, exactly", async () => {
      const result = await h.ask('billing@acme.example', INVOICES, { a: await h.accountId('Acme Retail') });
      expect(result).toEqual({
        status: 200,
        data: {
          invoices: [
            { number: 'ACR-2026-11', status: 'OPEN', total: 599.5 },
            { number: 'ACR-2026-10', status: 'PAID', total: 575.5 },
          ],
        },
      });
    });

    it("_entities cannot read another tenant's invoice", async () => {
      const acme = await h.accountId('Acme Retail');
      const [invoice] = (await h.ask('billing@acme.example', 'query($a: ID!) { invoices(accountId: $a) { id } }', { a: acme })).data!.invoices;
      const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Invoice { number total } ... on Account { invoices { number } } } }';
      const initech = await h.accountId('Initech');
      const result = await h.ask('am@initech.example', query, { r: [{ __typename: 'Invoice', id: invoice.id, accountId: initech }, { __typename: 'Account', id: acme }] });
      expect(result.data).toEqual({ _entities: [null, { invoices: null }] });
      expect(errorPaths(result)).toEqual([
        ['_entities.0', 'UNAUTHORIZED_FIELD_OR_TYPE'],
        ['_entities.1.invoices', 'UNAUTHORIZED_FIELD_OR_TYPE'],
      ]);
      expect(JSON.stringify(result)).not.toContain('ACR-');
    });

    it('every price check of a request goes to Portico in one call', async () => {
      const before = h.porticoCalls();
      const result = await h.ask('tech@northwind.example', PRICES);
      expect(codes(result)).toHaveLength(8);
      // priceList:read, offers:read and offers:readRetailPrice on the viewer's account: three checks, one call
      expect(h.porticoCalls() - before).toBe(1);
    });
  });
});
