import { randomUUID } from 'crypto';
import { AccountEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { codes, refused as refusedUnchanged, startTestPortico, type GraphQLResult, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';

const ACCOUNT = 'query($id: ID!) { account(id: $id) { id name } }';
const USER = 'query($id: ID!) { user(id: $id) { id email } }';
const CREATE = 'mutation($input: CreateAccountInput!) { createAccount(input: $input) { id name type settings parent { id } } }';
const MOVE = 'mutation($id: ID!, $parentId: ID!) { moveAccount(id: $id, parentId: $parentId) { id } }';
const SET_ACCOUNT_STATUS = 'mutation($id: ID!, $status: AccountStatus!) { setAccountStatus(id: $id, status: $status) { id status } }';
const ASSIGN = 'mutation($userId: ID!, $role: String!) { assignRole(userId: $userId, role: $role) { id roles } }';
const REVOKE = 'mutation($userId: ID!, $role: String!) { revokeRole(userId: $userId, role: $role) { id roles } }';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { id email roles } }';
const SET_USER_STATUS = 'mutation($id: ID!, $status: UserStatus!) { setUserStatus(id: $id, status: $status) { id status } }';
const SET_CONTACTS = 'mutation($userId: ID!, $roles: [ContactRole!]!) { setContactRoles(userId: $userId, roles: $roles) { id contactRoles } }';
const AUDIT = 'query($accountId: ID!) { auditEvents(accountId: $accountId) { nodes { action } } }';
const RECIPIENTS = 'query($accountId: ID!) { communicationRecipients(accountId: $accountId, topic: MAINTENANCE) { email } }';

/** Nothing in an error response tells a client how the server is built. */
function expectNoInternals(result: GraphQLResult): void {
  for (const error of result.errors ?? []) {
    expect(error.extensions?.stacktrace).toBeUndefined();
    expect(error.extensions?.exception).toBeUndefined();
    expect(error.extensions?.detail).toBeUndefined();
    expect(error.message).not.toMatch(/\bat .+\.(ts|js):\d+/);
  }
}

/** Refused with exactly `code` and a message naming the problem, changing nothing, returning no data and no internals. */
async function refused(t: TestPortico, as: string, query: string, variables: Record<string, unknown>, code: string, message: RegExp): Promise<GraphQLResult> {
  const result = await refusedUnchanged(t, as, query, variables, code, message);
  expect(Object.values(result.data ?? {}).filter((value) => value !== null)).toEqual([]);
  expectNoInternals(result);
  return result;
}

const platformOf = (t: TestPortico) => t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });

describe.each(databaseKinds())('bad input on %s', (kind) => {
  describe('dstny', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
    });
    afterAll(() => t?.stop());

    describe('roles', () => {
      it.each([
        { title: 'an unknown role', role: 'SUPREME_LEADER', message: /role SUPREME_LEADER does not exist for account type CUSTOMER/ },
        { title: 'a role name in the wrong case', role: 'fleet_administrator', message: /role fleet_administrator does not exist for account type CUSTOMER/ },
        { title: 'a role of a partner account on a customer user', role: 'PARTNER_PORTAL_USER', message: /role PARTNER_PORTAL_USER does not exist for account type CUSTOMER/ },
        { title: 'the platform operator role on a customer user', role: 'PLATFORM_OPERATOR', message: /role PLATFORM_OPERATOR does not exist for account type CUSTOMER/ },
      ])('assignRole refuses $title with BAD_USER_INPUT', async ({ role, message }) => {
        const user = await t.user('billing@acme.example');
        await refused(t, OPERATOR, ASSIGN, { userId: user.id, role }, 'BAD_USER_INPUT', message);
        expect(await t.rolesOf('billing@acme.example')).toEqual([]);
      });

      it('a Portal Administrator asking for an unknown role is told the role does not exist', async () => {
        const user = await t.user('billing@acme.example');
        await refused(t, 'admin@acme.example', ASSIGN, { userId: user.id, role: 'SUPREME_LEADER' }, 'BAD_USER_INPUT', /role SUPREME_LEADER does not exist/);
      });

      it('revokeRole of a role the user does not hold is BAD_USER_INPUT', async () => {
        const user = await t.user('fleet@acme.example');
        await refused(t, OPERATOR, REVOKE, { userId: user.id, role: 'SUPREME_LEADER' }, 'BAD_USER_INPUT', /does not hold role SUPREME_LEADER/);
        expect(await t.rolesOf('fleet@acme.example')).toEqual(['FLEET_ADMINISTRATOR']);
      });

      it.each([
        { title: 'an unknown role', roles: ['SUPREME_LEADER'], message: /role SUPREME_LEADER does not exist for account type CUSTOMER/ },
        { title: 'a role of a partner account', roles: ['PARTNER_PORTAL_ADMINISTRATOR'], message: /role PARTNER_PORTAL_ADMINISTRATOR does not exist for account type CUSTOMER/ },
        { title: 'a valid role beside an unknown one', roles: ['FLEET_ADMINISTRATOR', 'NOPE'], message: /role NOPE does not exist/ },
      ])('inviteUser refuses $title with BAD_USER_INPUT and creates no user', async ({ roles, message }) => {
        const acme = await t.account('Acme Logistics');
        const email = `invitee-${randomUUID().slice(0, 8)}@acme.example`;
        await refused(t, OPERATOR, INVITE, { input: { accountId: acme.id, email, name: 'Invitee', roles } }, 'BAD_USER_INPUT', message);
        expect(await t.portico.services.db.manager.countBy(UserEntity, { email })).toBe(0);
      });

      it('a customer role on a partner user is BAD_USER_INPUT, also for the partner administrator', async () => {
        const user = await t.user('ppu@northwind.example');
        await refused(t, 'ppa@northwind.example', ASSIGN, { userId: user.id, role: 'PORTAL_ADMINISTRATOR' }, 'BAD_USER_INPUT', /role PORTAL_ADMINISTRATOR does not exist for account type PARTNER/);
      });
    });

    describe('unknown ids', () => {
      const unknown = randomUUID();

      it('account(id) and user(id) of an unknown id are null, without an error', async () => {
        for (const query of [ACCOUNT, USER]) {
          const result = await t.gql(OPERATOR, query, { id: unknown });
          expect(result.errors).toBeUndefined();
          expect(Object.values(result.data!)).toEqual([null]);
        }
      });

      it.each([
        { title: 'createAccount under an unknown parent', query: CREATE, vars: () => ({ input: { type: 'CUSTOMER', name: 'Orphan', parentId: unknown } }) },
        { title: 'moveAccount of an unknown account', query: MOVE, vars: async () => ({ id: unknown, parentId: (await t.account('Northwind Telecom')).id }) },
        { title: 'moveAccount under an unknown parent', query: MOVE, vars: async () => ({ id: (await t.account('Globex')).id, parentId: unknown }) },
        { title: 'setAccountStatus of an unknown account', query: SET_ACCOUNT_STATUS, vars: () => ({ id: unknown, status: 'SUSPENDED' }) },
        { title: 'inviteUser into an unknown account', query: INVITE, vars: () => ({ input: { accountId: unknown, email: 'nobody@nowhere.example', name: 'Nobody', roles: [] } }) },
        { title: 'auditEvents of an unknown account', query: AUDIT, vars: () => ({ accountId: unknown }) },
        { title: 'communicationRecipients of an unknown account', query: RECIPIENTS, vars: () => ({ accountId: unknown }) },
      ])('$title is NOT_FOUND', async ({ query, vars }) => {
        await refused(t, OPERATOR, query, await vars(), 'NOT_FOUND', new RegExp(`account ${unknown} was not found`));
      });

      it.each([
        { title: 'assignRole', query: ASSIGN, vars: { userId: unknown, role: 'FLEET_ADMINISTRATOR' } },
        { title: 'revokeRole', query: REVOKE, vars: { userId: unknown, role: 'FLEET_ADMINISTRATOR' } },
        { title: 'setUserStatus', query: SET_USER_STATUS, vars: { id: unknown, status: 'SUSPENDED' } },
        { title: 'setContactRoles', query: SET_CONTACTS, vars: { userId: unknown, roles: ['TECHNICAL_CONTACT'] } },
      ])('$title on an unknown user is NOT_FOUND', async ({ query, vars }) => {
        await refused(t, OPERATOR, query, vars, 'NOT_FOUND', new RegExp(`user ${unknown} was not found`));
      });
    });

    describe('malformed ids read as unknown ones: NOT_FOUND, or null from a query', () => {
      const MALFORMED = [
        { title: 'not-a-uuid', id: 'not-a-uuid' },
        { title: 'the empty string', id: '' },
        { title: 'a 10 KB string', id: 'x'.repeat(10 * 1024) },
        { title: 'an SQL injection', id: "'; DROP TABLE users; --" },
        { title: 'LIKE wildcards', id: '%' },
        { title: 'a path fragment', id: '../' },
        { title: 'non-ASCII text', id: 'ünïcødé-😀' },
      ];

      it.each(MALFORMED)('account(id) and user(id) with $title are null', async ({ id }) => {
        for (const query of [ACCOUNT, USER]) {
          const result = await t.gql(OPERATOR, query, { id });
          expect(result.errors).toBeUndefined();
          expect(Object.values(result.data!)).toEqual([null]);
        }
      });

      it.each(MALFORMED)('account mutations with $title are NOT_FOUND', async ({ id }) => {
        const northwind = await t.account('Northwind Telecom');
        const globex = await t.account('Globex');
        const notFound = /^account .* was not found$/s;
        await refused(t, OPERATOR, MOVE, { id, parentId: northwind.id }, 'NOT_FOUND', notFound);
        await refused(t, OPERATOR, MOVE, { id: globex.id, parentId: id }, 'NOT_FOUND', notFound);
        await refused(t, OPERATOR, SET_ACCOUNT_STATUS, { id, status: 'SUSPENDED' }, 'NOT_FOUND', notFound);
        await refused(t, OPERATOR, CREATE, { input: { type: 'CUSTOMER', name: 'Orphan', parentId: id } }, 'NOT_FOUND', notFound);
        await refused(t, OPERATOR, INVITE, { input: { accountId: id, email: 'nobody@nowhere.example', name: 'Nobody', roles: [] } }, 'NOT_FOUND', notFound);
        await refused(t, OPERATOR, AUDIT, { accountId: id }, 'NOT_FOUND', notFound);
      });

      it('a 10 KB id is not echoed back whole', async () => {
        const id = 'x'.repeat(10 * 1024);
        const result = await t.gql(OPERATOR, SET_ACCOUNT_STATUS, { id, status: 'SUSPENDED' });
        expect(codes(result)).toEqual(['NOT_FOUND']);
        expect(result.errors![0].message).toBe(`account ${'x'.repeat(64)}… was not found`);
        expect(JSON.stringify(result).length).toBeLessThan(1024);
      });

      it.each(MALFORMED)('user mutations with $title are NOT_FOUND', async ({ id }) => {
        const notFound = /^user .* was not found$/s;
        await refused(t, OPERATOR, ASSIGN, { userId: id, role: 'FLEET_ADMINISTRATOR' }, 'NOT_FOUND', notFound);
        await refused(t, OPERATOR, REVOKE, { userId: id, role: 'FLEET_ADMINISTRATOR' }, 'NOT_FOUND', notFound);
        await refused(t, OPERATOR, SET_USER_STATUS, { id, status: 'SUSPENDED' }, 'NOT_FOUND', notFound);
        await refused(t, OPERATOR, SET_CONTACTS, { userId: id, roles: [] }, 'NOT_FOUND', notFound);
      });

      it('an SQL injection in an id leaves every table in place', async () => {
        const users = await t.portico.services.db.manager.count(UserEntity);
        await t.gql(OPERATOR, USER, { id: "'; DROP TABLE users; --" });
        await t.gql(OPERATOR, ASSIGN, { userId: "1' OR '1'='1", role: 'FLEET_ADMINISTRATOR' });
        expect(await t.portico.services.db.manager.count(UserEntity)).toBe(users);
        expect((await t.gql(OPERATOR, '{ viewer { user { email } } }')).data!.viewer.user.email).toBe(OPERATOR);
      });
    });

    describe('the account tree', () => {
      it.each([
        { title: 'a partner under its own customer', id: 'Northwind Telecom', parent: 'Acme Logistics', message: /a PARTNER account cannot sit under a CUSTOMER account/ },
        { title: 'a partner under itself', id: 'Northwind Telecom', parent: 'Northwind Telecom', message: /a PARTNER account cannot sit under a PARTNER account/ },
        { title: 'a customer under itself', id: 'Acme Logistics', parent: 'Acme Logistics', message: /a CUSTOMER account cannot sit under a CUSTOMER account/ },
        { title: 'a customer under another customer', id: 'Acme Logistics', parent: 'Globex', message: /a CUSTOMER account cannot sit under a CUSTOMER account \(allowed: PLATFORM, PARTNER, SUB_PARTNER, AFFILIATE\)/ },
        { title: 'a partner under another partner', id: 'Northwind Telecom', parent: 'Contoso Networks', message: /a PARTNER account cannot sit under a PARTNER account \(allowed: PLATFORM\)/ },
      ])('moveAccount of $title is BAD_USER_INPUT', async ({ id, parent, message }) => {
        const account = await t.account(id);
        await refused(t, OPERATOR, MOVE, { id: account.id, parentId: (await t.account(parent)).id }, 'BAD_USER_INPUT', message);
        expect((await t.account(id)).path).toBe(account.path);
      });

      it('the platform account cannot move', async () => {
        const platform = await platformOf(t);
        await refused(t, OPERATOR, MOVE, { id: platform.id, parentId: (await t.account('Northwind Telecom')).id }, 'BAD_USER_INPUT', /the platform account is the root and cannot move/);
        await refused(t, OPERATOR, MOVE, { id: platform.id, parentId: platform.id }, 'BAD_USER_INPUT', /the platform account is the root and cannot move/);
      });

      it.each([
        { title: 'a CUSTOMER under a CUSTOMER', type: 'CUSTOMER', parent: 'Globex', message: /a CUSTOMER account cannot sit under a CUSTOMER account/ },
        { title: 'a PARTNER under a PARTNER', type: 'PARTNER', parent: 'Northwind Telecom', message: /a PARTNER account cannot sit under a PARTNER account/ },
        { title: 'a second PLATFORM', type: 'PLATFORM', parent: null, message: /a PLATFORM account cannot sit under a PLATFORM account/ },
        { title: 'a SUB_PARTNER, which the policy does not have', type: 'SUB_PARTNER', parent: 'Northwind Telecom', message: /the dstny policy has no SUB_PARTNER accounts/ },
        { title: 'an AFFILIATE, which the policy does not have', type: 'AFFILIATE', parent: null, message: /the dstny policy has no AFFILIATE accounts/ },
      ])('createAccount of $title is BAD_USER_INPUT', async ({ type, parent, message }) => {
        const parentId = parent ? (await t.account(parent)).id : (await platformOf(t)).id;
        await refused(t, OPERATOR, CREATE, { input: { type, name: `New ${type}`, parentId } }, 'BAD_USER_INPUT', message);
      });
    });

    describe('account names and settings', () => {
      it.each([
        { title: 'an empty name', name: '' },
        { title: 'a name of spaces', name: '   ' },
        { title: 'a name of tabs and newlines', name: '\t\n ' },
        { title: 'a name of 201 characters', name: 'n'.repeat(201) },
        { title: 'a 10 KB name', name: 'n'.repeat(10 * 1024) },
      ])('createAccount with $title is BAD_USER_INPUT', async ({ name }) => {
        const northwind = await t.account('Northwind Telecom');
        await refused(t, OPERATOR, CREATE, { input: { type: 'CUSTOMER', name, parentId: northwind.id } }, 'BAD_USER_INPUT', /an account name has 1 to 200 characters/);
      });

      it('a name of 200 characters is accepted, and surrounding spaces are trimmed', async () => {
        const northwind = await t.account('Northwind Telecom');
        const name = `Long ${randomUUID()}`.padEnd(200, 'x');
        const result = await t.gql(OPERATOR, CREATE, { input: { type: 'CUSTOMER', name: `  ${name}  `, parentId: northwind.id } });
        expect(result.errors).toBeUndefined();
        expect(result.data!.createAccount).toMatchObject({ name, type: 'CUSTOMER', parent: { id: northwind.id } });
        expect((await t.account(name)).parentId).toBe(northwind.id);
      });

      it.each([
        { title: 'modules that are not a list', settings: { modules: 'commercial' }, message: /settings\.modules must be a list of module names/ },
        { title: 'modules that are not names', settings: { modules: [42] }, message: /settings\.modules must be a list of module names/ },
        { title: 'a module the policy does not have', settings: { modules: ['commercial', 'teleportation'] }, message: /unknown module teleportation \(the dstny policy has commercial\)/ },
        { title: 'settings over 16 KB', settings: { theme: 'n'.repeat(17 * 1024) }, message: /settings are at most 16384 bytes of JSON/ },
        { title: 'settings larger than a MySQL TEXT column', settings: { theme: 'n'.repeat(70 * 1024) }, message: /settings are at most 16384 bytes of JSON/ },
      ])('createAccount with $title is BAD_USER_INPUT', async ({ settings, message }) => {
        const northwind = await t.account('Northwind Telecom');
        await refused(t, OPERATOR, CREATE, { input: { type: 'CUSTOMER', name: 'Configured', parentId: northwind.id, settings } }, 'BAD_USER_INPUT', message);
      });

      it('valid settings are stored as given', async () => {
        const platform = await platformOf(t);
        const name = `Commercial ${randomUUID().slice(0, 8)}`;
        const settings = { modules: ['commercial'], theme: 'dark' };
        const result = await t.gql(OPERATOR, CREATE, { input: { type: 'PARTNER', name, parentId: platform.id, settings } });
        expect(result.errors).toBeUndefined();
        expect(result.data!.createAccount.settings).toEqual(settings);
        expect((await t.account(name)).settings).toEqual(settings);
      });
    });

    describe('users', () => {
      it.each([
        { title: 'a word', email: 'not-an-email' },
        { title: 'an empty email', email: '' },
        { title: 'no domain dot', email: 'someone@localhost' },
        { title: 'two @', email: 'some@one@acme.example' },
        { title: 'a space inside', email: 'some one@acme.example' },
        { title: 'over 254 characters', email: `${'a'.repeat(250)}@acme.example` },
      ])('inviteUser with a malformed email ($title) is BAD_USER_INPUT', async ({ email }) => {
        const acme = await t.account('Acme Logistics');
        await refused(t, OPERATOR, INVITE, { input: { accountId: acme.id, email, name: 'Someone', roles: [] } }, 'BAD_USER_INPUT', /is not an email address/);
      });

      it.each([
        { title: 'an empty name', name: '' },
        { title: 'a name of spaces', name: '    ' },
        { title: 'a name of 201 characters', name: 'n'.repeat(201) },
      ])('inviteUser with $title is BAD_USER_INPUT', async ({ name }) => {
        const acme = await t.account('Acme Logistics');
        await refused(t, OPERATOR, INVITE, { input: { accountId: acme.id, email: 'named@acme.example', name, roles: [] } }, 'BAD_USER_INPUT', /a user name has 1 to 200 characters/);
      });

      it.each([
        { title: 'the same email in the same account', email: 'billing@acme.example', account: 'Acme Logistics' },
        { title: 'the same email in other letter case', email: '  Billing@ACME.example ', account: 'Acme Logistics' },
        { title: 'the email of a user of another account', email: 'admin@globex.example', account: 'Acme Logistics' },
        { title: 'the platform operator\'s email', email: OPERATOR, account: 'Globex' },
      ])('inviteUser with $title is CONFLICT', async ({ email, account }) => {
        const target = await t.account(account);
        await refused(t, OPERATOR, INVITE, { input: { accountId: target.id, email, name: 'Twin', roles: [] } }, 'CONFLICT', new RegExp(`a user with email ${email.trim().toLowerCase()} already exists`));
      });

      it('setUserStatus INVITED is BAD_USER_INPUT', async () => {
        const user = await t.user('fleet@acme.example');
        await refused(t, OPERATOR, SET_USER_STATUS, { id: user.id, status: 'INVITED' }, 'BAD_USER_INPUT', /a user becomes INVITED only by invitation/);
      });
    });

    describe('GraphQL validation', () => {
      it('an unknown contact role written in the operation fails validation', async () => {
        const user = await t.user('fleet@acme.example');
        const before = await t.snapshot();
        const result = await t.gql(OPERATOR, `mutation { setContactRoles(userId: "${user.id}", roles: [TECHNICAL_CONTACT, CHIEF_CONTACT]) { id } }`);
        expect(result.status).toBe(400);
        expect(result.data).toBeUndefined();
        expect(codes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
        expect(result.errors![0].message).toMatch(/"CHIEF_CONTACT" does not exist in "ContactRole" enum/);
        expectNoInternals(result);
        expect(await t.snapshot()).toEqual(before);
      });

      it.each([
        { title: 'an unknown contact role', query: SET_CONTACTS, vars: async () => ({ userId: (await t.user('fleet@acme.example')).id, roles: ['TECHNICAL_CONTACT', 'CHIEF_CONTACT'] }), message: /\$roles.*"CHIEF_CONTACT".*ContactRole/s },
        { title: 'a contact role in lower case', query: SET_CONTACTS, vars: async () => ({ userId: (await t.user('fleet@acme.example')).id, roles: ['technical_contact'] }), message: /\$roles.*"technical_contact"/s },
        { title: 'a number for a String', query: ASSIGN, vars: async () => ({ userId: (await t.user('fleet@acme.example')).id, role: 42 }), message: /\$role.*String cannot represent a non string value/s },
        { title: 'null for an ID!', query: ASSIGN, vars: async () => ({ userId: null, role: 'INSIGHT_USER' }), message: /\$userId.*must not be null/s },
        { title: 'a missing variable', query: ASSIGN, vars: async () => ({ role: 'INSIGHT_USER' }), message: /\$userId.*was not provided/s },
        { title: 'an object for an ID', query: MOVE, vars: async () => ({ id: { id: 'x' }, parentId: (await t.account('Globex')).id }), message: /\$id.*ID cannot represent value/s },
        { title: 'an unknown account type', query: CREATE, vars: async () => ({ input: { type: 'GALAXY', name: 'Far away', parentId: (await platformOf(t)).id } }), message: /\$input.*"GALAXY".*AccountType/s },
        { title: 'an unknown input field', query: CREATE, vars: async () => ({ input: { type: 'CUSTOMER', name: 'Extra', parentId: (await platformOf(t)).id, owner: 'me' } }), message: /\$input.*"owner"/s },
        { title: 'a missing input field', query: INVITE, vars: async () => ({ input: { accountId: (await t.account('Acme Logistics')).id, name: 'No email' } }), message: /\$input.*"email"/s },
        { title: 'a string for a JSON object', query: CREATE, vars: async () => ({ input: { type: 'CUSTOMER', name: 'Stringly', parentId: (await platformOf(t)).id, settings: 'modules=commercial' } }), message: /\$input.*JSONObject/s },
        { title: 'a list for a JSON object', query: CREATE, vars: async () => ({ input: { type: 'CUSTOMER', name: 'Listy', parentId: (await platformOf(t)).id, settings: ['commercial'] } }), message: /\$input.*JSONObject/s },
        { title: 'an unknown account status', query: SET_ACCOUNT_STATUS, vars: async () => ({ id: (await t.account('Globex')).id, status: 'DELETED' }), message: /\$status.*"DELETED".*AccountStatus/s },
      ])('a variables type error ($title) is BAD_USER_INPUT', async ({ query, vars, message }) => {
        const variables = await vars();
        const before = await t.snapshot();
        const result = await t.gql(OPERATOR, query, variables);
        expect(result.status).toBe(400);
        expect(result.data).toBeUndefined();
        expect(codes(result)).toEqual(['BAD_USER_INPUT']);
        expect(result.errors![0].message).toMatch(message);
        expectNoInternals(result);
        expect(await t.snapshot()).toEqual(before);
      });

      it.each([
        { title: 'accounts', first: -1, query: 'query($first: Int) { accounts(first: $first) { nodes { id } } }' },
        { title: 'accounts', first: 101, query: 'query($first: Int) { accounts(first: $first) { nodes { id } } }' },
        { title: 'auditEvents', first: -1, query: 'query($first: Int, $id: ID!) { auditEvents(accountId: $id, first: $first) { nodes { id } } }' },
        { title: 'auditEvents', first: 101, query: 'query($first: Int, $id: ID!) { auditEvents(accountId: $id, first: $first) { nodes { id } } }' },
      ])('$title with a page size of $first is BAD_USER_INPUT', async ({ first, query }) => {
        const acme = await t.account('Acme Logistics');
        await refused(t, OPERATOR, query, { first, id: acme.id }, 'BAD_USER_INPUT', /first must be between 0 and 100/);
      });

      it('an operation that does not parse is GRAPHQL_PARSE_FAILED', async () => {
        const before = await t.snapshot();
        const result = await t.gql(OPERATOR, 'mutation { createAccount(input: { type: CUSTOMER, name: "x" ');
        expect(result.status).toBe(400);
        expect(codes(result)).toEqual(['GRAPHQL_PARSE_FAILED']);
        expect(result.errors![0].message).toMatch(/Syntax Error/);
        expectNoInternals(result);
        expect(await t.snapshot()).toEqual(before);
      });
    });
  });

  describe('unifyr', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'unifyr');
    });
    afterAll(() => t?.stop());

    it.each([
      { title: 'a switch that is not true or false', settings: { adminsMayAssignRoles: 'yes' }, message: /settings\.adminsMayAssignRoles must be true or false/ },
      { title: 'a module the policy does not have', settings: { modules: ['leads', 'crm'] }, message: /unknown module crm \(the unifyr policy has leads, deals, campaigns, contactLists, content, social\)/ },
      { title: 'modules given as one string', settings: { modules: 'leads,deals' }, message: /settings\.modules must be a list of module names/ },
    ])('createAccount with $title is BAD_USER_INPUT', async ({ settings, message }) => {
      const platform = await platformOf(t);
      await refused(t, OPERATOR, CREATE, { input: { type: 'PARTNER', name: 'Configured Partner', parentId: platform.id, settings } }, 'BAD_USER_INPUT', message);
    });

    it('settings of the shape the policy reads are accepted and stored', async () => {
      const platform = await platformOf(t);
      const name = `Configured ${randomUUID().slice(0, 8)}`;
      const settings = { modules: ['leads'], adminsMayAssignRoles: true, leadsVisibilityByRole: { SALES: 'all' } };
      const result = await t.gql(OPERATOR, CREATE, { input: { type: 'PARTNER', name, parentId: platform.id, settings } });
      expect(result.errors).toBeUndefined();
      expect((await t.account(name)).settings).toEqual(settings);
    });
  });

  describe('dstny in production', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny', { environment: 'production' });
    });
    afterAll(() => t?.stop());

    it('errors carry a code and a message, never a stack trace', async () => {
      const unknown = randomUUID();
      const results = [
        await refused(t, OPERATOR, ASSIGN, { userId: unknown, role: 'FLEET_ADMINISTRATOR' }, 'NOT_FOUND', /was not found/),
        await refused(t, OPERATOR, CREATE, { input: { type: 'CUSTOMER', name: ' ', parentId: (await t.account('Globex')).id } }, 'BAD_USER_INPUT', /an account name/),
        await refused(t, 'admin@acme.example', MOVE, { id: (await t.account('Acme Logistics')).id, parentId: (await t.account('Acme Logistics')).id }, 'FORBIDDEN', /not allowed/),
        await refused(t, OPERATOR, ASSIGN, { userId: unknown, role: 42 }, 'BAD_USER_INPUT', /\$role/),
      ];
      for (const result of results) {
        for (const error of result.errors!) expect(Object.keys(error.extensions ?? {}).filter((k) => !['code', 'id', 'field', 'permission', 'accountId', 'role'].includes(k))).toEqual([]);
      }
    });

    it('an unexpected failure is masked as an internal error, with no detail of its cause', async () => {
      const db = t.portico.services.db;
      const spy = jest.spyOn(db, 'transaction').mockRejectedValueOnce(new Error('connection to 10.0.0.7 lost at /srv/portico/dist/src/storage/database.js:88'));
      try {
        const result = await refused(t, OPERATOR, SET_ACCOUNT_STATUS, { id: (await t.account('Globex')).id, status: 'SUSPENDED' }, 'INTERNAL_SERVER_ERROR', /^Internal server error$/);
        expect(JSON.stringify(result)).not.toMatch(/10\.0\.0\.7|database\.js/);
      } finally {
        spy.mockRestore();
      }
    });
  });
});
