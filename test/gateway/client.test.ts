import { ApolloClient, HttpLink, InMemoryCache, gql, type NormalizedCacheObject } from '@apollo/client/core';
import { startDemoSubgraph, type DemoSubgraph } from '../../src/demo';
import { freePort } from '../../scripts/demo-run';
import { CONTEXT_JWKS_PATH } from '../../src/gateway/server';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

const VIEWER = gql`
  query Viewer {
    viewer { user { id email } account { id name type } roles }
  }
`;
const PARTNER_DASHBOARD = gql`
  query PartnerDashboard($first: Int!) {
    accounts(first: $first, filter: { type: CUSTOMER }) {
      nodes { id name status viewerCanManage viewerCanImpersonate }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const ACCOUNT_USERS = gql`
  query AccountUsers {
    accounts(first: 20) { nodes { id name viewerCanManage users(first: 10) { nodes { id email roles contactRoles } } } }
  }
`;
const ASSIGN = gql`
  mutation AppointFleetAdministrator($userId: ID!) {
    assignRole(userId: $userId, role: "FLEET_ADMINISTRATOR") { id email roles }
  }
`;
const TICKETS = gql`
  query Tickets($accountId: ID!) {
    viewer { user { id email } }
    tickets(accountId: $accountId) { id number status }
  }
`;
const GRANT = gql`
  mutation Grant($input: GrantImpersonationInput!) {
    grantImpersonation(input: $input) { id status }
  }
`;
const START = gql`
  mutation Start($customer: ID!) {
    startImpersonation(customerAccountId: $customer, reason: "ticket 4711") { token session { id } }
  }
`;

/** The portal's SPA as it talks to Portico: Apollo Client over HTTP, a bearer token, a normalized cache. */
const clientFor = (url: string, token: string): ApolloClient<NormalizedCacheObject> =>
  new ApolloClient({
    link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${token}` } }),
    // `Viewer` has no id: one per signed-in client, so its fields merge rather than replace each other.
    cache: new InMemoryCache({ typePolicies: { Viewer: { merge: true } } }),
    defaultOptions: { query: { fetchPolicy: 'network-only', errorPolicy: 'all' }, mutate: { errorPolicy: 'all' } },
  });

describe.each(databaseKinds())('Apollo Client against the gateway on %s', (kind) => {
  let t: TestPortico;
  let tickets: DemoSubgraph;
  let client: (email: string) => Promise<ApolloClient<NormalizedCacheObject>>;
  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    tickets = await startDemoSubgraph('tickets', { porticoUrl: `${base}/graphql`, contextJwksUrl: `${base}${CONTEXT_JWKS_PATH}` });
    t = await startTestPortico(kind, 'dstny', { port, subgraphs: [{ name: tickets.name, url: tickets.url }] });
    client = async (email) => clientFor(t.portico.url, await t.token(email));
  });
  afterAll(async () => {
    await t?.stop();
    await tickets?.stop();
  });

  it('reads the viewer, normalized in the cache', async () => {
    const apollo = await client('admin@acme.example');
    const { data, errors } = await apollo.query({ query: VIEWER });
    expect(errors).toBeUndefined();
    expect(data.viewer).toMatchObject({ user: { email: 'admin@acme.example' }, account: { name: 'Acme Logistics', type: 'CUSTOMER' }, roles: ['PORTAL_ADMINISTRATOR'] });
    expect(apollo.cache.extract()[`User:${data.viewer.user.id}`]).toMatchObject({ email: 'admin@acme.example' });
  });

  it("shows a partner its customers, with their users and the buttons it may use", async () => {
    const apollo = await client('ppa@northwind.example');
    const { data, errors } = await apollo.query({ query: PARTNER_DASHBOARD, variables: { first: 20 } });
    expect(errors).toBeUndefined();
    const byName = Object.fromEntries(data.accounts.nodes.map((a: { name: string }) => [a.name, a]));
    expect(Object.keys(byName).sort()).toEqual(['Acme Logistics', 'Globex']);
    expect(byName['Acme Logistics']).toMatchObject({ status: 'ACTIVE', viewerCanImpersonate: false });
    expect(data.accounts.pageInfo.hasNextPage).toBe(false);
  });

  it("shows a customer's administrator the account's users and roles, with the Manage button on", async () => {
    const apollo = await client('admin@acme.example');
    const { data, errors } = await apollo.query({ query: ACCOUNT_USERS });
    expect(errors).toBeUndefined();
    expect(data.accounts.nodes.map((a: { name: string; viewerCanManage: boolean }) => [a.name, a.viewerCanManage])).toEqual([['Acme Logistics', true]]);
    const users = Object.fromEntries(data.accounts.nodes[0].users.nodes.map((u: { email: string; roles: string[] }) => [u.email, u.roles]));
    expect(users).toMatchObject({ 'admin@acme.example': ['PORTAL_ADMINISTRATOR'], 'insight@acme.example': ['INSIGHT_USER'] });
  });

  it('runs a mutation and reads its result back', async () => {
    const apollo = await client('admin@acme.example');
    const billing = await t.user('billing@acme.example');
    const { data, errors } = await apollo.mutate({ mutation: ASSIGN, variables: { userId: billing.id } });
    expect(errors).toBeUndefined();
    expect(data!.assignRole).toMatchObject({ email: 'billing@acme.example', roles: ['FLEET_ADMINISTRATOR'] });
    expect(await t.rolesOf('billing@acme.example')).toEqual(['FLEET_ADMINISTRATOR']);
  });

  it('gets partial data and a coded error for a field it may not read', async () => {
    const apollo = await client('insight@acme.example');
    const acme = await t.account('Acme Logistics');
    const before = tickets.requests();
    const { data, errors } = await apollo.query({ query: TICKETS, variables: { accountId: acme.id } });
    expect(data).toMatchObject({ viewer: { user: { email: 'insight@acme.example' } }, tickets: null });
    expect(errors!.map((e) => [e.path, e.extensions?.code, e.extensions?.permission])).toEqual([[['tickets'], 'UNAUTHORIZED_FIELD_OR_TYPE', 'tickets:read']]);
    expect(tickets.requests()).toBe(before);
  });

  it('acts in a customer portal with an impersonation token, and sees only what was granted', async () => {
    const acme = await t.account('Acme Logistics');
    const northwind = await t.account('Northwind Telecom');
    const customer = await client('admin@acme.example');
    const grant = await customer.mutate({ mutation: GRANT, variables: { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['tickets:read'] } } });
    expect(grant.errors).toBeUndefined();
    const partner = await client('ppm@northwind.example');
    const started = await partner.mutate({ mutation: START, variables: { customer: acme.id } });
    expect(started.errors).toBeUndefined();

    const acting = clientFor(t.portico.url, started.data!.startImpersonation.token);
    const viewer = await acting.query({ query: gql`{ viewer { user { email } actor { email } account { name } impersonation { id } } }` });
    expect(viewer.data.viewer).toMatchObject({ user: { email: 'ppm@northwind.example' }, actor: { email: 'ppm@northwind.example' }, account: { name: 'Acme Logistics' }, impersonation: { id: started.data!.startImpersonation.session.id } });
    const read = await acting.query({ query: TICKETS, variables: { accountId: acme.id } });
    expect(read.errors).toBeUndefined();
    expect(read.data.tickets.length).toBeGreaterThan(0);
    const denied = await acting.mutate({ mutation: ASSIGN, variables: { userId: (await t.user('insight@acme.example')).id } });
    // Users are not among the granted rights: to the session they read as not found.
    expect(denied.errors!.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await t.rolesOf('insight@acme.example')).toEqual(['INSIGHT_USER']);
  });
});
