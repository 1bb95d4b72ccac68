import { RequestContext } from '../../src/domain/context';
import { partnerGroupsOfPrincipal } from '../../src/domain/partner-groups.service';
import { loadPrincipal } from '../../src/domain/principal';
import { Database } from '../../src/storage/database';
import { RevisionEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

const OPERATOR = 'admin@platform.local';
const SALES = 'sales@northwind.example';
const CREATE = 'mutation($input: PartnerGroupInput!) { createPartnerGroup(input: $input) { id } }';
const UPDATE = 'mutation($id: ID!, $input: PartnerGroupInput!) { updatePartnerGroup(id: $id, input: $input) { id } }';
const DELETE = 'mutation($id: ID!) { deletePartnerGroup(id: $id) }';
const rule = (parts: Record<string, unknown> = {}) => ({ accountTypes: [], modules: [], roles: [], customRoles: [], settings: {}, ...parts });

describe.each(databaseKinds())("each instance's copy of the partner groups on %s", (kind) => {
  let t: TestPortico;
  /** A second instance's database: the same rows, its own copy of the groups. */
  let other: Database;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'unifyr');
    other = await Database.open(t.portico.services.config);
  }, 120_000);
  afterAll(async () => {
    await other?.close();
    await t?.stop();
  });

  /** What a request of SALES served by the instance on `db` sees: its groups, and the statements it took. */
  async function groupsSeenOn(db: Database): Promise<{ groups: string[]; statements: number }> {
    const services = { ...t.portico.services, db };
    const principal = await loadPrincipal(db, services.engine, { subject: (await t.user(SALES)).id, claims: {} }, 'test');
    db.statements.reset();
    const groups = await partnerGroupsOfPrincipal(new RequestContext(services, 'test', principal), principal);
    return { groups: groups.map((g) => g.name).sort(), statements: db.statements.count };
  }

  const revision = async () => (await t.portico.services.db.manager.findOneByOrFail(RevisionEntity, { name: 'partner_groups' })).revision;

  it('reads the groups once per instance while none changes; a change on another instance counts from the next request', async () => {
    const mine = t.portico.services.db;
    const first = await groupsSeenOn(other);
    const again = await groupsSeenOn(other);
    expect(again).toEqual({ groups: first.groups, statements: 0 });

    // Written through the first instance: created, renamed, then deleted, each seen by the other on its next request.
    const before = await revision();
    const created = await t.gql(OPERATOR, CREATE, { input: { name: 'All partners', rule: rule({ accountTypes: ['PARTNER'] }) } });
    const id = (created.data as { createPartnerGroup: { id: string } }).createPartnerGroup.id;
    expect(await revision()).toBe(before + 1);
    expect(await groupsSeenOn(other)).toEqual({ groups: [...first.groups, 'All partners'].sort(), statements: 1 });
    expect((await groupsSeenOn(other)).statements).toBe(0);

    await t.gql(OPERATOR, UPDATE, { id, input: { name: 'Every partner', rule: rule({ accountTypes: ['PARTNER'] }) } });
    expect(await revision()).toBe(before + 2);
    expect(await groupsSeenOn(other)).toEqual({ groups: [...first.groups, 'Every partner'].sort(), statements: 1 });

    await t.gql(OPERATOR, DELETE, { id });
    expect(await revision()).toBe(before + 3);
    expect(await groupsSeenOn(other)).toEqual({ groups: first.groups, statements: 1 });
    // The instance that wrote sees the same, by the same rule.
    expect((await groupsSeenOn(mine)).groups).toEqual(first.groups);
  });

  it('a write refused or failed raises nothing: the copies stay current', async () => {
    const before = await revision();
    const refused = await t.gql(SALES, CREATE, { input: { name: 'Mine', rule: rule() } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const duplicate = await t.gql(OPERATOR, CREATE, { input: { name: 'Gold partners', rule: rule() } });
    expect(duplicate.errors?.length).toBe(1);
    expect(await revision()).toBe(before);
    await groupsSeenOn(other);
    expect((await groupsSeenOn(other)).statements).toBe(0);
  });
});
