import { readFileSync } from 'fs';
import { getNamedType, isInputObjectType, isNonNullType, isObjectType, type GraphQLInputObjectType, type GraphQLObjectType } from 'graphql';
import { join } from 'path';
import { buildAccessControlSubgraph } from '../../src/graph/schema';
import { protectionReport, type FieldRule } from '../../src/graph/enforce';

const describeRules = (rules: FieldRule[]) =>
  rules.map((r) => (r.kind === 'permission' ? `@requiresPermission(${r.permission}${r.account ? `, account: ${r.account}` : ''})` : `@${r.kind}`)).join(' ');

describe('the access-control subgraph schema', () => {
  let built: Awaited<ReturnType<typeof buildAccessControlSubgraph>>;
  beforeAll(async () => {
    built = await buildAccessControlSubgraph();
  });

  it('matches the committed schema/access-control.graphql (run `npm run schema:print` after a change)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'schema', 'access-control.graphql'), 'utf8');
    expect(built.sdl).toBe(committed);
  });

  it('declares every field protected or explicitly public: no field is left silent', () => {
    const silent = protectionReport(built.schema).filter((entry) => entry.rules.length === 0).map((entry) => entry.field);
    expect(silent).toEqual([]);
  });

  it('makes every field with a permission of its own nullable, so a denied one is null and its object intact', () => {
    const types = Object.values(built.schema.getTypeMap()).filter((type): type is GraphQLObjectType => isObjectType(type) && type !== built.schema.getQueryType() && type !== built.schema.getMutationType());
    const guarded = types.flatMap((type) =>
      Object.values(type.getFields())
        .filter((field) => protectionReport(built.schema).find((entry) => entry.field === `${type.name}.${field.name}`)?.rules.some((r) => r.kind === 'permission'))
        .map((field) => ({ field: `${type.name}.${field.name}`, nullable: !isNonNullType(field.type) })),
    );
    expect(guarded.length).toBeGreaterThan(0);
    expect(guarded.filter((g) => !g.nullable).map((g) => g.field)).toEqual([]);
  });

  it('lists what every operation requires; a change here is a permission change to review', () => {
    const report = protectionReport(built.schema)
      .filter((entry) => entry.field.startsWith('Query.') || entry.field.startsWith('Mutation.') || entry.rules.some((r) => r.kind !== 'authenticated'))
      .map((entry) => `${entry.field}: ${describeRules(entry.rules)}`);
    expect(report).toMatchSnapshot();
  });

  it('keeps the public names clients rely on', () => {
    const query = built.schema.getQueryType()!.getFields();
    const mutation = built.schema.getMutationType()!.getFields();
    for (const name of ['viewer', 'account', 'accounts', 'user', 'users', 'roles', 'authorize', 'communicationRecipients', 'auditEvents']) expect(query[name]).toBeDefined();
    for (const name of ['createAccount', 'moveAccount', 'setAccountStatus', 'inviteUser', 'setUserStatus', 'assignRole', 'revokeRole', 'setContactRoles', 'createCustomRole', 'updateAccount', 'deleteAccount', 'updateUser', 'removeUser', 'resendInvitation', 'setRoles', 'transferRole']) {
      expect(mutation[name]).toBeDefined();
    }
    const account = built.schema.getType('Account') as import('graphql').GraphQLObjectType;
    for (const name of ['parent', 'children', 'ancestors', 'users', 'contacts', 'viewerCanManage', 'viewerPermissions']) expect(account.getFields()[name]).toBeDefined();
    const user = built.schema.getType('User') as import('graphql').GraphQLObjectType;
    for (const name of ['account', 'roles', 'contactRoles', 'canLogin']) expect(user.getFields()[name]).toBeDefined();
  });

  it("carries the names of the portal's screens (SPEC §7.3) with the shapes given there", () => {
    const object = (name: string) => built.schema.getType(name) as GraphQLObjectType;
    const input = (name: string) => {
      const type = built.schema.getType(name);
      expect(isInputObjectType(type)).toBe(true);
      return type as GraphQLInputObjectType;
    };
    const fieldsOf = (type: GraphQLObjectType | GraphQLInputObjectType) => Object.keys(type.getFields());
    const argsOf = (type: GraphQLObjectType, field: string) => type.getFields()[field].args.map((a) => `${a.name}: ${a.type.toString()}`);
    const typeOf = (type: GraphQLObjectType | GraphQLInputObjectType, field: string) => type.getFields()[field].type.toString();
    const [query, mutation] = [built.schema.getQueryType()!, built.schema.getMutationType()!];
    const inputOf = (field: string) => input(getNamedType(mutation.getFields()[field].args.find((a) => a.name === 'input')!.type).name);

    // Communications.
    expect(fieldsOf(inputOf('sendCommunication'))).toEqual(expect.arrayContaining(['accountId', 'topic', 'subject', 'body']));
    expect(argsOf(object('Viewer'), 'communications')).toEqual(['first: Int', 'after: String', 'unreadOnly: Boolean']);
    expect(fieldsOf(object(getNamedType(object('Viewer').getFields().communications.type).name))).toContain('unreadCount');
    expect(argsOf(mutation, 'markCommunicationsRead')).toEqual(['ids: [ID!]!']);
    expect(mutation.getFields().markCommunicationRead).toBeUndefined();
    expect(object('Account').getFields().providerContacts).toBeDefined();
    // My Settings.
    expect(typeOf(inputOf('updateMySettings'), 'name')).toBe('String');
    expect(typeOf(inputOf('updateMySettings'), 'personal')).toBe('JSONObject');
    expect(typeOf(object('User'), 'personalSettings')).toBe('JSONObject');
    expect(object('Viewer').getFields().settings).toBeDefined();
    // Typed settings: a secret reads { set, updatedAt, updatedBy }.
    expect(fieldsOf(object('AccountSetting'))).toEqual(expect.arrayContaining(['set', 'updatedAt', 'updatedBy']));
    // Views.
    const createView = inputOf('createView');
    expect(fieldsOf(createView)).toEqual(expect.arrayContaining(['name', 'path', 'audience']));
    expect(fieldsOf(input(getNamedType(createView.getFields().audience.type).name))).toEqual(['partnerGroupIds']);
    for (const name of ['updateView', 'deleteView']) expect(mutation.getFields()[name]).toBeDefined();
    expect(query.getFields().views).toBeDefined();
    expect(object('Viewer').getFields().views).toBeDefined();
    // Seed rows.
    expect(query.getFields().whoCan).toBeDefined();
    expect(object('AuditEvent').getFields().actor).toBeDefined();
  });
});
