import type { IncomingHttpHeaders } from 'http';
import { CONTEXT_HEADER } from '../../src/identity/context-token';
import { databaseKinds } from '../support/databases';
import { codes, startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';
import { startTestSubgraph, type TestSubgraph } from '../gateway/subgraphs';

const SDL = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])\ntype Query { replay: String }';
const ATTACK = 'mutation($u: ID!) { assignRole(userId: $u, role: "PORTAL_ADMINISTRATOR") { id } }';

/**
 * A subgraph that, while the gateway waits for its answer, sends the context token it was given back to Portico:
 * the token names a request in flight, so Portico reuses that request's principal. Reused or not, a context token
 * answers only the decision queries.
 */
describe.each(databaseKinds())('a context token replayed while its request is in flight, on %s', (kind) => {
  let t: TestPortico;
  let subgraph: TestSubgraph;
  let fleetId: string;
  let acmeId: string;
  const replies: GraphQLResult[] = [];

  beforeAll(async () => {
    let porticoUrl = '';
    subgraph = await startTestSubgraph('replayer', SDL, {
      Query: {
        replay: async (_: unknown, __: unknown, { headers }: { headers: IncomingHttpHeaders }) => {
          const send = async (query: string, variables: Record<string, unknown>) => {
            const response = await fetch(porticoUrl, { method: 'POST', headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: headers[CONTEXT_HEADER] as string }, body: JSON.stringify({ query, variables }) });
            replies.push({ ...((await response.json()) as GraphQLResult), status: response.status });
          };
          await send(ATTACK, { u: fleetId });
          await send('{ viewer { user { email } } }', {});
          await send('query($a: ID!) { authorize(checks: [{ permission: "tickets:read", accountId: $a }]) { allowed } }', { a: acmeId });
          return 'replayed';
        },
      },
    });
    t = await startTestPortico(kind, 'dstny', { subgraphs: [{ name: 'replayer', url: subgraph.url }] });
    porticoUrl = t.portico.url;
    fleetId = (await t.user('fleet@acme.example')).id;
    acmeId = (await t.user('fleet@acme.example')).accountId;
  });
  afterAll(async () => {
    await t?.stop();
    await subgraph?.stop();
  });

  it("the operator's token, replayed by the subgraph mid-request, changes nothing and reads nothing: only authorize answers", async () => {
    const before = await t.snapshot();
    const result = await t.gql('admin@platform.local', '{ replay }');
    expect(result.data).toEqual({ replay: 'replayed' });
    expect(replies.map((r) => [r.status, codes(r)])).toEqual([
      [403, ['FORBIDDEN']],
      [403, ['FORBIDDEN']],
      [200, []],
    ]);
    expect(replies[1].data).toBeUndefined();
    expect(replies[2].data).toEqual({ authorize: [{ allowed: true }] });
    expect(await t.rolesOf('fleet@acme.example')).toEqual(['FLEET_ADMINISTRATOR']);
    expect(await t.snapshot()).toEqual(before);
  });
});
