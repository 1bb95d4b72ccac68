import { randomUUID } from 'crypto';
import { addAccount, addUser } from '../../src/storage/bootstrap';
import { AccountEntity, RoleAssignmentEntity, type UserEntity } from '../../src/storage/entities';
import { codes, ok, startTestPortico, type TestPortico } from '../support/portico';
import { postGraphQL, startPorticoProcess, type PorticoProcess } from '../support/processes';

const OPERATOR = 'admin@platform.local';
const CREATE = 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id name } }';
const READ = 'query($id: ID!) { account(id: $id) { name status } }';
const SET_STATUS = 'mutation($id: ID!, $status: AccountStatus!) { setAccountStatus(id: $id, status: $status) { status } }';
const REVOKE = 'mutation($userId: ID!, $role: String!) { revokeRole(userId: $userId, role: $role) { id roles } }';

/** Two Portico processes on one data directory: this test's own and a child started like `npm start`. */
describe('two Portico processes on one embedded SQLite file', () => {
  let t: TestPortico;
  let other: PorticoProcess;
  let platformId: string;

  beforeAll(async () => {
    t = await startTestPortico('sqlite', 'dstny');
    other = await startPorticoProcess({ PORTICO_DATA_DIR: t.dataDir, DATABASE_URL: undefined });
    platformId = (await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' })).id;
  }, 120_000);
  afterAll(async () => {
    await other?.kill();
    await t?.stop();
  });

  it("a write on either process is read by the other on its next request, and so is a change to it", async () => {
    const token = await t.token(OPERATOR);
    const there = ok(await postGraphQL(other.url, token, CREATE, { input: { type: 'PARTNER', name: 'Written There', parentId: platformId } })).createAccount;
    expect(ok(await t.gql(OPERATOR, READ, { id: there.id })).account).toEqual({ name: 'Written There', status: 'ACTIVE' });

    const here = ok(await t.gql(OPERATOR, CREATE, { input: { type: 'PARTNER', name: 'Written Here', parentId: platformId } })).createAccount;
    expect(ok(await postGraphQL(other.url, token, READ, { id: here.id })).account).toEqual({ name: 'Written Here', status: 'ACTIVE' });

    ok(await t.gql(OPERATOR, SET_STATUS, { id: there.id, status: 'SUSPENDED' }));
    expect(ok(await postGraphQL(other.url, token, READ, { id: there.id })).account).toEqual({ name: 'Written There', status: 'SUSPENDED' });
  });

  it('20 concurrent revokes of every Portal Administrator, split across both processes, leave exactly one', async () => {
    const em = t.portico.services.db.manager;
    const account = await addAccount(em, await t.account('Northwind Telecom'), 'CUSTOMER', `Shared ${randomUUID().slice(0, 8)}`);
    const admins: UserEntity[] = [];
    for (let i = 0; i < 20; i++) admins.push(await addUser(em, account, { email: `admin${i}-${account.id.slice(0, 8)}@example.test`, name: `Admin ${i}`, roles: ['PORTAL_ADMINISTRATOR'] }));
    await addUser(em, account, { email: `user-${account.id.slice(0, 8)}@example.test`, name: 'User', roles: [] });
    const token = await t.token(OPERATOR);

    const results = await Promise.all(
      admins.map((admin, i) => {
        const variables = { userId: admin.id, role: 'PORTAL_ADMINISTRATOR' };
        return i % 2 === 0 ? t.gql({ token }, REVOKE, variables) : postGraphQL(other.url, token, REVOKE, variables);
      }),
    );
    expect(results.flatMap(codes)).toEqual(['CONFLICT']);
    expect(await em.countBy(RoleAssignmentEntity, { accountId: account.id, role: 'PORTAL_ADMINISTRATOR' })).toBe(1);
  });
});
