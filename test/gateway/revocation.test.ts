import { databaseKinds } from '../support/databases';
import { codes, startTestPortico, type TestPortico } from '../support/portico';
import { postGraphQL as post, startPorticoProcess, type PorticoProcess } from '../support/processes';

const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }';
const REVOKE = 'mutation($id: ID!) { revokeImpersonationGrant(id: $id) { status } }';
const START = 'mutation($customer: ID!) { startImpersonation(customerAccountId: $customer, reason: "two instances") { token session { id } } }';
const END = 'mutation($id: ID!) { endImpersonation(sessionId: $id) { status } }';
const VIEWER = '{ viewer { account { name } impersonation { id } } }';

describe.each(databaseKinds())('revocation across instances (two Portico processes on one %s database)', (kind) => {
  let t: TestPortico;
  let second: PorticoProcess;
  let ids: Record<string, string>;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
    // The same database (and, through the data directory, the same signing keys) as the first instance.
    second = await startPorticoProcess({ DATABASE_URL: t.portico.services.config.databaseUrl, PORTICO_DATA_DIR: t.dataDir, PORTICO_SEED_DEMO: 'false' });
    const [acme, northwind] = await Promise.all([t.account('Acme Logistics'), t.account('Northwind Telecom')]);
    ids = { acme: acme.id, northwind: northwind.id };
  }, 120_000);
  afterAll(async () => {
    await second?.kill();
    await t?.stop();
  });

  const grant = async () => {
    const result = await t.gql('admin@acme.example', GRANT, { input: { customerAccountId: ids.acme, partnerAccountId: ids.northwind, rights: ['tickets:create'] } });
    expect(result.errors).toBeUndefined();
    return result.data!.grantImpersonation.id as string;
  };

  it('a grant revoked through the first instance refuses the session token at the second, on the very next request', async () => {
    const grantId = await grant();
    const started = (await t.gql('ppm@northwind.example', START, { customer: ids.acme })).data!.startImpersonation;
    const atSecond = await post(second.url, started.token, VIEWER);
    expect(atSecond.data!.viewer).toEqual({ account: { name: 'Acme Logistics' }, impersonation: { id: started.session.id } });

    expect((await t.gql('admin@acme.example', REVOKE, { id: grantId })).data!.revokeImpersonationGrant.status).toBe('REVOKED');
    expect(codes(await post(second.url, started.token, VIEWER))).toEqual(['UNAUTHENTICATED']);
  });

  it('a session started at the second instance and ended through the first is refused at both', async () => {
    const grantId = await grant();
    const manager = await t.token('ppm@northwind.example');
    const started = (await post(second.url, manager, START, { customer: ids.acme })).data!.startImpersonation;
    expect((await t.gql({ token: started.token }, VIEWER)).data!.viewer.impersonation.id).toBe(started.session.id);

    expect((await t.gql('admin@acme.example', END, { id: started.session.id })).data!.endImpersonation.status).toBe('ENDED');
    expect(codes(await post(second.url, started.token, VIEWER))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await t.gql({ token: started.token }, VIEWER))).toEqual(['UNAUTHENTICATED']);
    await t.gql('admin@acme.example', REVOKE, { id: grantId });
  });
});
