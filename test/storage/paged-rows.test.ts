import { createLoaders } from '../../src/storage/loaders';
import { AccountEntity, PartnerGroupEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

/**
 * The loaders that read rows with a plain statement (a page of each parent's users or children in one window query,
 * the partner groups) give the very entities `find` gives: dates as dates, booleans as booleans, JSON parsed.
 */
describe.each(databaseKinds())('rows read by plain statements on %s', (kind) => {
  let t: TestPortico;

  beforeAll(async () => {
    t = await startTestPortico(kind, 'unifyr');
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it("a page of an account's users and of its children equals what find reads", async () => {
    const em = t.portico.services.db.manager;
    const partner = await t.account('Northwind Solutions');
    const loaders = createLoaders(em);
    const users = (await loaders.usersPage({ first: 50 }).load(partner.id)).rows;
    const platform = await em.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
    const children = (await loaders.childrenPage({ first: 50 }).load(platform.id)).rows;
    expect(users.length).toBeGreaterThan(0);
    expect(children.length).toBeGreaterThan(0);
    expect(users).toEqual(await em.find(UserEntity, { where: { accountId: partner.id }, order: { email: 'ASC' } }));
    expect(children).toEqual(await em.find(AccountEntity, { where: { parentId: platform.id }, order: { name: 'ASC', id: 'ASC' } }));
    expect(users[0].createdAt).toBeInstanceOf(Date);
    expect(children[0]).toBeInstanceOf(AccountEntity);
  });

  it('the partner groups equal what find reads', async () => {
    const em = t.portico.services.db.manager;
    const created = await t.gql('admin@platform.local', 'mutation($input: PartnerGroupInput!) { createPartnerGroup(input: $input) { id } }', {
      input: { name: 'Gold', rule: { accountTypes: ['PARTNER'], settings: { adminsMayAssignRoles: true } } },
    });
    expect(created.errors).toBeUndefined();
    const groups = await createLoaders(em).partnerGroups();
    expect(groups.length).toBeGreaterThan(0);
    expect(groups).toEqual(await em.find(PartnerGroupEntity, { order: { nameKey: 'ASC', id: 'ASC' } }));
  });
});
