import { AuditEventEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { ok, refused, startTestPortico, type TestPortico } from '../support/portico';

const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id email roles canLogin } }';
const REMOVE = 'mutation($id: ID!) { removeUser(id: $id) }';

// Contoso Resellers has adminsMayAssignRoles off: its Administrator assigns no role, yet manages its Sales Reps.
describe.each(databaseKinds())('Sales Reps (salesReps:manage, unifyr) on %s', (kind) => {
  let t: TestPortico;
  let serial = 0;
  beforeAll(async () => {
    t = await startTestPortico(kind, 'unifyr');
  });
  afterAll(() => t?.stop());

  const invite = (as: string, account: string, roles: string[]) =>
    t.account(account).then(({ id }) => ({ input: { accountId: id, email: `rep${++serial}@${account.split(' ')[0].toLowerCase()}.example`, name: `Rep ${serial}`, roles } }));

  it('an Administrator without adminsMayAssignRoles invites a Sales Rep and removes them, both audited', async () => {
    const invited = ok(await t.gql('admin@contoso.example', INVITE, await invite('admin@contoso.example', 'Contoso Resellers', ['SALES_REP']))).inviteUser;
    expect(invited).toMatchObject({ roles: ['SALES_REP'], canLogin: false });
    const em = t.portico.services.db.manager;
    expect(await em.findOneByOrFail(AuditEventEntity, { action: 'user.invite', targetId: invited.id })).toMatchObject({ details: { email: invited.email, roles: ['SALES_REP'] } });
    expect(ok(await t.gql('admin@contoso.example', REMOVE, { id: invited.id })).removeUser).toBe(invited.id);
    expect(await em.existsBy(AuditEventEntity, { action: 'user.remove', targetId: invited.id })).toBe(true);
  });

  it.each([
    { title: 'the same Administrator still may not invite a Sales user', as: 'admin@contoso.example', account: 'Contoso Resellers', roles: ['SALES'], code: 'FORBIDDEN' },
    { title: 'nor a Sales Rep who is also a Sales user: the invitation is refused whole', as: 'admin@contoso.example', account: 'Contoso Resellers', roles: ['SALES_REP', 'SALES'], code: 'FORBIDDEN' },
    { title: 'a Sales user, without salesReps:manage, may not invite a Sales Rep', as: 'sales@contoso.example', account: 'Contoso Resellers', roles: ['SALES_REP'], code: 'FORBIDDEN' },
    { title: 'a Marketing user may not either', as: 'marketing@northwind.example', account: 'Northwind Solutions', roles: ['SALES_REP'], code: 'FORBIDDEN' },
    { title: 'an Administrator may not invite a Sales Rep into another partner', as: 'admin@contoso.example', account: 'Northwind Solutions', roles: ['SALES_REP'], code: 'NOT_FOUND' },
  ])('$title', async ({ as, account, roles, code }) => {
    await refused(t, as, INVITE, await invite(as, account, roles), code);
  });

  it.each([
    { title: 'a Sales user does not even see a Sales Rep to remove', as: 'sales@northwind.example', code: 'NOT_FOUND' },
    { title: 'another partner\'s Administrator does not see them', as: 'admin@contoso.example', code: 'NOT_FOUND' },
  ])('$title', async ({ as, code }) => {
    const rep = await t.user('rep@northwind.example');
    await refused(t, as, REMOVE, { id: rep.id }, code);
  });
});
