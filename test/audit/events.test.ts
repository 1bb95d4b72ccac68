import { OutboxEventEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, ok, startTestPortico, type TestPortico } from '../support/portico';

const GRANT = 'mutation($input: GrantImpersonationInput!) { grantImpersonation(input: $input) { id } }';
const START = 'mutation($c: ID!) { startImpersonation(customerAccountId: $c, reason: "ticket 4711: router config") { session { id } } }';
const END = 'mutation($id: ID!) { endImpersonation(sessionId: $id) { id } }';

type Body = { type: string; timestamp: string; data: Record<string, any> };

describe.each(databaseKinds())('lifecycle events in the outbox on %s', (kind) => {
  let t: TestPortico;
  const events = async (accountId: string): Promise<Body[]> =>
    (await t.portico.services.db.manager.find(OutboxEventEntity, { where: { accountId }, order: { sequence: 'ASC' } })).map((e) => JSON.parse(e.body) as Body);

  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
  });
  afterAll(() => t?.stop());

  it("tells the customer who acts in its portal, why and with which rights; and when it ends", async () => {
    const [acme, northwind, mark] = await Promise.all([t.account('Acme Logistics'), t.account('Northwind Telecom'), t.user('ppm@northwind.example')]);
    ok(await t.gql('admin@acme.example', GRANT, { input: { customerAccountId: acme.id, partnerAccountId: northwind.id, rights: ['FLEET_ADMINISTRATOR'] } }));
    const session = ok(await t.gql('ppm@northwind.example', START, { c: acme.id })).startImpersonation.session.id as string;
    ok(await t.gql('ppm@northwind.example', END, { id: session }));
    const published = await events(acme.id);
    expect(published.map((e) => e.type)).toEqual(['impersonation.session.started', 'impersonation.session.ended']);
    expect(published[0].data).toMatchObject({
      accountId: acme.id,
      targetId: session,
      actor: { id: mark.id, email: 'ppm@northwind.example', name: 'Mark Manager', accountId: northwind.id },
      partnerAccountId: northwind.id,
      reason: 'ticket 4711: router config',
      grantedRights: ['FLEET_ADMINISTRATOR'],
    });
    expect(published[0].data.grantedPermissions).toEqual(expect.arrayContaining(['fleet:manage', 'fleet:read']));
    expect(Date.parse(published[0].data.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('writes nothing for a refused change', async () => {
    const acme = await t.account('Acme Logistics');
    const before = await t.portico.services.db.manager.count(OutboxEventEntity);
    const refused = await t.gql('insight@acme.example', 'mutation($u: ID!) { assignRole(userId: $u, role: "FLEET_ADMINISTRATOR") { id } }', { u: (await t.user('billing@acme.example')).id });
    // The insight user cannot see that user: refused as not found, with nothing written.
    expect(codes(refused)).toEqual(['NOT_FOUND']);
    expect(await t.portico.services.db.manager.count(OutboxEventEntity)).toBe(before);
    expect((await events(acme.id)).filter((e) => e.type === 'role.assigned')).toEqual([]);
  });
});
