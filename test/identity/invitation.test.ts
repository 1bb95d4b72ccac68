import { AuditEventEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id status } }';
const VIEWER = '{ viewer { user { email status } } }';

describe.each(databaseKinds())('accepting an invitation on %s', (kind) => {
  let t: TestPortico;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'dstny');
  });
  afterAll(() => t?.stop());

  const acceptances = (userId: string) => t.portico.services.db.manager.countBy(AuditEventEntity, { targetId: userId, action: 'user.acceptInvitation' });

  it('the first signed-in request accepts it, once, even when several arrive together', async () => {
    const acme = await t.account('Acme Logistics');
    const invited = await t.gql(OPERATOR, INVITE, { input: { accountId: acme.id, email: 'newcomer@acme.example', name: 'New Comer', roles: [] } });
    expect(invited.data!.inviteUser.status).toBe('INVITED');
    const token = await t.token('newcomer@acme.example');
    const first = await Promise.all(Array.from({ length: 5 }, () => t.raw({ token, body: JSON.stringify({ query: VIEWER }) }).then((r) => r.json())));
    for (const result of first) expect(result).toEqual({ data: { viewer: { user: { email: 'newcomer@acme.example', status: 'ACTIVE' } } } });
    expect((await t.user('newcomer@acme.example')).status).toBe('ACTIVE');
    expect(await acceptances(invited.data!.inviteUser.id)).toBe(1);
  });

  it('an invitation into a suspended account stays pending until the account is reactivated', async () => {
    const globex = await t.account('Globex');
    const invited = await t.gql(OPERATOR, INVITE, { input: { accountId: globex.id, email: 'later@globex.example', name: 'Later', roles: [] } });
    const userId = invited.data!.inviteUser.id as string;
    const setStatus = 'mutation($id: ID!, $status: AccountStatus!) { setAccountStatus(id: $id, status: $status) { status } }';
    expect((await t.gql(OPERATOR, setStatus, { id: globex.id, status: 'SUSPENDED' })).errors).toBeUndefined();

    const whileSuspended = await t.gql('later@globex.example', VIEWER);
    expect(whileSuspended.data!.viewer.user.status).toBe('INVITED');
    expect(await acceptances(userId)).toBe(0);

    expect((await t.gql(OPERATOR, setStatus, { id: globex.id, status: 'ACTIVE' })).errors).toBeUndefined();
    const reactivated = await t.gql('later@globex.example', VIEWER);
    expect(reactivated.data!.viewer.user.status).toBe('ACTIVE');
    expect(await acceptances(userId)).toBe(1);
  });
});
