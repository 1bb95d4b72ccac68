import { getVariableValues, Kind, parse, validate, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { PRESETS } from '../../src/config';
import { buildAccessControlSubgraph } from '../../src/graph/schema';
import { exampleOperations, type ExampleOperation } from '../../src/gateway/playground/examples';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = (await buildAccessControlSubgraph()).schema;
});

const operationsOf = (tab: ExampleOperation) => parse(tab.query).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

/** Runs one named operation of a tab as the user it is written for. */
async function run(t: TestPortico, tab: ExampleOperation, operationName: string, variables = JSON.parse(tab.variables ?? '{}') as Record<string, unknown>) {
  const response = await t.raw({ token: await t.token(tab.runAs ?? 'admin@platform.local'), body: JSON.stringify({ query: tab.query, variables, operationName }) });
  return (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
}

describe.each(databaseKinds())('the playground examples (%s)', (kind) => {
  describe.each(PRESETS.map((preset) => ({ preset })))('$preset', ({ preset }) => {
    let t: TestPortico;
    let tabs: ExampleOperation[];
    beforeAll(async () => {
      t = await startTestPortico(kind, preset);
      tabs = await exampleOperations(preset, t.portico.services.db.manager);
    });
    afterAll(() => t?.stop());

    it('are valid against the schema, with named operations and variables of the right types', () => {
      expect(tabs.length).toBeGreaterThan(2);
      for (const tab of tabs) {
        const document = parse(tab.query);
        expect([tab.title, validate(schema, document).map((e) => e.message)]).toEqual([tab.title, []]);
        const operations = operationsOf(tab);
        const names = operations.map((o) => o.name?.value);
        expect(names.every(Boolean) || operations.length === 1).toBe(true);
        expect(new Set(names).size).toBe(names.length);
        const variables = JSON.parse(tab.variables ?? '{}') as Record<string, unknown>;
        for (const operation of operations) {
          expect([tab.title, operation.name?.value, getVariableValues(schema, operation.variableDefinitions ?? [], variables).errors?.map((e) => e.message)]).toEqual([tab.title, operation.name?.value, undefined]);
        }
      }
    });

    it('name demo users that exist', async () => {
      for (const tab of tabs.filter((tab) => tab.runAs)) await expect(t.user(tab.runAs!)).resolves.toMatchObject({ email: tab.runAs });
    });
  });

  describe('the administration examples of dstny, run as written against the demo data', () => {
    let t: TestPortico;
    let tabs: Map<string, ExampleOperation>;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
      tabs = new Map((await exampleOperations('dstny', t.portico.services.db.manager)).map((tab) => [tab.title, tab]));
    });
    afterAll(() => t?.stop());

    it.each(['Users', 'AssignableRoles', 'EffectivePermissions', 'WhoCan', 'AuditTrail'])('AccessReview: %s answers', async (operation) => {
      const result = await run(t, tabs.get('AccessReview')!, operation);
      expect(result.errors).toBeUndefined();
      expect(Object.values(result.data!)[0]).not.toBeNull();
    });

    it('UserAdministration: every mutation succeeds in order, and the roles move as written', async () => {
      const tab = tabs.get('UserAdministration')!;
      expect((await run(t, tab, 'UpdateUser')).data).toEqual({ updateUser: { id: expect.any(String), name: 'Fred Fleet-Manager', email: 'fleet@acme.example' } });
      expect((await run(t, tab, 'SetRoles')).data).toEqual({ setRoles: { email: 'fleet@acme.example', roles: ['FLEET_ADMINISTRATOR', 'INSIGHT_USER'] } });
      const transferred = await run(t, tab, 'TransferRole');
      expect(transferred.errors).toBeUndefined();
      expect(transferred.data!.transferRole).toEqual(expect.arrayContaining([{ email: 'insight@acme.example', roles: expect.arrayContaining(['FLEET_ADMINISTRATOR']) }]));
      const billing = (await t.user('billing@acme.example')).id;
      expect((await run(t, tab, 'RemoveUser')).data).toEqual({ removeUser: billing });
      await expect(t.user('billing@acme.example')).rejects.toThrow();
    });

    it('RequestImpersonation, then ApproveImpersonationGrant with the id it returned', async () => {
      const requested = await run(t, tabs.get('RequestImpersonation')!, 'RequestImpersonation');
      expect(requested.data!.requestImpersonation).toMatchObject({ status: 'PENDING' });
      const approve = tabs.get('ApproveImpersonationGrant')!;
      const approved = await run(t, approve, 'ApproveImpersonationGrant', { id: requested.data!.requestImpersonation.id });
      expect(approved.data!.approveImpersonationGrant).toMatchObject({ status: 'ACTIVE' });
    });

    it('UpdateAccount renames the account', async () => {
      expect((await run(t, tabs.get('UpdateAccount')!, 'UpdateAccount')).data).toEqual({ updateAccount: { id: expect.any(String), name: 'Acme Logistics B.V.' } });
    });
  });

  describe('the delegation examples of appdirect, run as written against the demo data', () => {
    let t: TestPortico;
    let tabs: Map<string, ExampleOperation>;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'appdirect');
      tabs = new Map((await exampleOperations('appdirect', t.portico.services.db.manager)).map((tab) => [tab.title, tab]));
    });
    afterAll(() => t?.stop());

    it('RequestDelegatedAdmin, ApproveDelegatedAdmin, then ExtendDelegatedAdmin to the date it names', async () => {
      const requested = await run(t, tabs.get('RequestDelegatedAdmin')!, 'RequestDelegatedAdmin');
      const id = requested.data!.requestDelegatedAdmin.id as string;
      expect((await run(t, tabs.get('ApproveDelegatedAdmin')!, 'ApproveDelegatedAdmin', { id })).data!.approveDelegatedAdmin).toMatchObject({ status: 'ACTIVE' });
      const extend = tabs.get('ExtendDelegatedAdmin')!;
      const { expiresAt } = JSON.parse(extend.variables!) as { expiresAt: string };
      expect((await run(t, extend, 'ExtendDelegatedAdmin', { id, expiresAt })).data).toEqual({ extendDelegatedAdmin: { id, status: 'ACTIVE', expiresAt } });
    });
  });
});
