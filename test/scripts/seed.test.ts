import { parseSeedArgs, seedHierarchy, type SeedSummary } from '../../scripts/seed';
import { AccountEntity, RoleAssignmentEntity, UserEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

describe('seed arguments', () => {
  it.each([
    { title: 'a number', argv: ['--scale', '100000'], scale: 100000 },
    { title: 'the = form with separators', argv: ['--scale=1_000'], scale: 1000 },
  ])('reads $title', ({ argv, scale }) => expect(parseSeedArgs(argv)).toEqual({ scale }));

  it.each([
    { title: 'no scale', argv: [], message: /--scale N is required/ },
    { title: 'too small', argv: ['--scale', '3'], message: /--scale "3" is not valid: expected an integer from 10/ },
    { title: 'not a number', argv: ['--scale', 'lots'], message: /--scale "lots" is not valid/ },
    { title: 'an unknown argument', argv: ['--depth', '3'], message: /unknown argument "--depth"/ },
  ])('refuses $title', ({ argv, message }) => expect(() => parseSeedArgs(argv)).toThrow(message));
});

describe.each(databaseKinds())('seeding a hierarchy on %s', (kind) => {
  let t: TestPortico;
  let summary: SeedSummary;
  const progress: Array<[number, number]> = [];

  beforeAll(async () => {
    t = await startTestPortico(kind, 'appdirect', { seedDemo: false });
    const { db, engine, config } = t.portico.services;
    summary = await seedHierarchy(db, engine, config.bootstrapEmail, { scale: 50, progress: (done, total) => progress.push([done, total]) });
  }, 60_000);
  afterAll(() => t?.stop());

  it('writes the accounts asked for, ten users each with a role, three levels below the platform', async () => {
    const em = t.portico.services.db.manager;
    expect(await em.count(AccountEntity)).toBe(50);
    expect(await em.count(UserEntity)).toBe(500);
    expect(await em.count(RoleAssignmentEntity)).toBe(500);
    expect(summary).toMatchObject({ accounts: 50, users: 500, partners: 1, subPartners: 9, customers: 39, depth: 3 });
    const deepest = await em.find(AccountEntity, { order: { depth: 'DESC' }, take: 1 });
    expect(deepest[0]).toMatchObject({ type: 'CUSTOMER', depth: 3 });
    expect(deepest[0].path.split('/').filter(Boolean)).toHaveLength(4);
    expect(progress.at(-1)).toEqual([progress.at(-1)![1], progress.at(-1)![1]]);
  });

  it("a deepest customer is managed by its partner's Account Manager and by its own, not by another customer's", async () => {
    const em = t.portico.services.db.manager;
    const customers = await em.find(AccountEntity, { where: { type: 'CUSTOMER', depth: 3 }, order: { name: 'ASC' } });
    const [target, other] = [customers.at(-1)!, customers[0]];
    const partnerId = target.path.split('/').filter(Boolean)[1];
    const managerOf = async (accountId: string) => {
      const assignment = await em.findOneByOrFail(RoleAssignmentEntity, { accountId, role: 'ACCOUNT_MANAGER' });
      return (await em.findOneByOrFail(UserEntity, { id: assignment.userId })).email;
    };
    const check = async (email: string) => {
      const result = await t.gql(email, 'query($a: ID!) { authorize(checks: [{ permission: "organizations:update", accountId: $a }]) { allowed reason } }', { a: target.id });
      expect(result.errors).toBeUndefined();
      return result.data!.authorize[0] as { allowed: boolean; reason: string };
    };
    expect(await check(await managerOf(partnerId))).toEqual({ allowed: true, reason: `role ACCOUNT_MANAGER on account ${partnerId}, inherited by its descendants` });
    expect(await check(await managerOf(target.id))).toEqual({ allowed: true, reason: `role ACCOUNT_MANAGER on account ${target.id}` });
    expect((await check(await managerOf(other.id))).allowed).toBe(false);
  });

  it('refuses to seed a database that already holds accounts, and writes nothing', async () => {
    const { db, engine, config } = t.portico.services;
    await expect(seedHierarchy(db, engine, config.bootstrapEmail, { scale: 10 })).rejects.toThrow('the database already holds 50 accounts: seed an empty database');
    expect(await db.manager.count(UserEntity)).toBe(500);
  });
});
