import { randomUUID } from 'crypto';
import { currentFacts, loadPrincipal } from '../../src/domain/principal';
import { addAccount } from '../../src/storage/bootstrap';
import { AccountEntity, CustomRoleEntity, DelegatedAdminRelationshipEntity, ExternalIdentityEntity, RoleAssignmentEntity } from '../../src/storage/entities';
import { databaseKinds } from '../support/databases';
import { startTestPortico, type TestPortico } from '../support/portico';

const DAY = 86_400_000;

describe.each(databaseKinds())('loading the caller on %s', (kind) => {
  describe('with a policy that has delegated administration (appdirect)', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'appdirect');
      const em = t.portico.services.db.manager;
      const tech = await t.user('tech@northwind.example');
      const northwind = await t.account('Northwind Cloud');
      const customers = [await addAccount(em, northwind, 'CUSTOMER', 'Delegating One'), await addAccount(em, northwind, 'CUSTOMER', 'Delegating Two')];
      const relationship = (customer: AccountEntity, delegateUserId: string | null, status: string, expiresAt: Date | null) =>
        em.insert(DelegatedAdminRelationshipEntity, {
          id: randomUUID(),
          partnerAccountId: northwind.id,
          delegateUserId,
          customerAccountId: customer.id,
          roles: ['ACCOUNT_MANAGER'],
          durationDays: 30,
          status,
          requestedByUserId: tech.id,
          requestedAt: new Date(),
          approvedByUserId: null,
          approvedAt: null,
          expiresAt,
          terminatedByUserId: null,
          terminatedAt: null,
        } as Partial<DelegatedAdminRelationshipEntity>);
      // Counted: one naming the user, one naming the whole account. Not counted: expired, pending, another user's.
      await relationship(customers[0], tech.id, 'ACTIVE', new Date(Date.now() + DAY));
      await relationship(customers[1], null, 'ACTIVE', new Date(Date.now() + DAY));
      await relationship(customers[0], null, 'ACTIVE', new Date(Date.now() - DAY));
      await relationship(customers[1], tech.id, 'PENDING', null);
      await relationship(customers[0], (await t.user('am@northwind.example')).id, 'ACTIVE', new Date(Date.now() + DAY));
      const customRoleId = randomUUID();
      await em.insert(CustomRoleEntity, { id: customRoleId, ownerAccountId: northwind.id, accountType: 'PARTNER', name: 'PRICE_READER', title: 'Price reader', grants: [{ permission: 'priceList:read', descendants: false }], createdByUserId: tech.id });
      await em.insert(RoleAssignmentEntity, { id: randomUUID(), userId: tech.id, accountId: northwind.id, role: 'PRICE_READER', customRoleId });
    }, 120_000);
    afterAll(() => t?.stop());

    it('reads the user, their account, roles, custom roles and delegated relationships in one statement, the same facts a write reads again in its transaction', async () => {
      const { db, engine } = t.portico.services;
      const tech = await t.user('tech@northwind.example');
      db.statements.reset();
      const principal = await loadPrincipal(db, engine, { subject: tech.id, claims: {} }, 'test');
      expect(db.statements.count).toBe(1);
      const again = await db.transaction((em) => currentFacts(em, engine, principal));
      expect(again).toEqual(principal.facts);
      expect(principal.facts.assignments.map((a) => `${a.source.kind}:${a.role}`).sort()).toEqual(['delegated:ACCOUNT_MANAGER', 'delegated:ACCOUNT_MANAGER', 'role:PRICE_READER', 'role:TECHNICAL_MANAGER']);
      expect(principal.facts.assignments.find((a) => a.role === 'PRICE_READER')?.custom?.grants).toEqual([{ permission: 'priceList:read', descendants: false }]);
      expect(principal.account.name).toBe('Northwind Cloud');
    });

    it('finds a user through their linked external identity, with the same rights, and never by the email claim', async () => {
      const { db, engine } = t.portico.services;
      const tech = await t.user('tech@northwind.example');
      const external = { issuer: 'https://idp.example', subject: 'idp-tech', email: 'someone-else@northwind.example', emailVerified: true, mayLink: true };
      await db.manager.insert(ExternalIdentityEntity, { id: randomUUID(), issuer: external.issuer, subject: external.subject, userId: tech.id, linkedAt: new Date() });
      const linked = await loadPrincipal(db, engine, { subject: 'idp-tech', claims: {}, external }, 'test');
      const byId = await loadPrincipal(db, engine, { subject: tech.id, claims: {} }, 'test');
      expect(linked.user.id).toBe(tech.id);
      expect(linked.facts).toEqual(byId.facts);
    });
  });

  describe('with a policy without delegated administration (dstny)', () => {
    let t: TestPortico;
    beforeAll(async () => {
      t = await startTestPortico(kind, 'dstny');
    }, 120_000);
    afterAll(() => t?.stop());

    it('reads the caller in a single statement', async () => {
      const { db, engine } = t.portico.services;
      const admin = await t.user('admin@acme.example');
      db.statements.reset();
      const principal = await loadPrincipal(db, engine, { subject: admin.id, claims: {} }, 'test');
      expect(db.statements.count).toBe(1);
      expect(principal.facts.assignments.map((a) => a.role)).toEqual(await t.rolesOf('admin@acme.example'));
      expect(principal.facts.active).toBe(true);
    });

    it('reads delegations by the same rule at sign-in and inside a write: none where the policy has no delegated administration', async () => {
      const { db, engine } = t.portico.services;
      const admin = await t.user('admin@acme.example');
      const other = await db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
      // A row no action of this policy could make: neither reading of the caller's rights may count it.
      await db.manager.insert(DelegatedAdminRelationshipEntity, {
        id: randomUUID(),
        partnerAccountId: admin.accountId,
        delegateUserId: admin.id,
        customerAccountId: other.id,
        roles: ['ADMIN'],
        durationDays: 30,
        status: 'ACTIVE',
        requestedByUserId: admin.id,
        requestedAt: new Date(),
        approvedByUserId: null,
        approvedAt: null,
        expiresAt: new Date(Date.now() + DAY),
        terminatedByUserId: null,
        terminatedAt: null,
      } as Partial<DelegatedAdminRelationshipEntity>);
      const principal = await loadPrincipal(db, engine, { subject: admin.id, claims: {} }, 'test');
      const again = await db.transaction((em) => currentFacts(em, engine, principal));
      expect(principal.facts.assignments.filter((a) => a.source.kind === 'delegated')).toEqual([]);
      expect(again).toEqual(principal.facts);
    });

    it("decides on the caller's own account with no read beyond the caller's, and on another account with one", async () => {
      const { db } = t.portico.services;
      const acme = await t.account('Acme Logistics');
      const other = await t.portico.services.db.manager.findOneByOrFail(AccountEntity, { type: 'PLATFORM' });
      const token = await t.token('admin@acme.example');
      const ask = async (accountId: string) => {
        db.statements.reset();
        const response = await t.raw({ token, body: JSON.stringify({ query: 'query($c: [AuthorizationCheckInput!]!) { authorize(checks: $c) { allowed } }', variables: { c: [{ permission: 'invoices:read', accountId }] } }) });
        const json = (await response.json()) as { data: { authorize: Array<{ allowed: boolean }> } };
        return { statements: db.statements.count, allowed: json.data.authorize[0].allowed };
      };
      expect(await ask(acme.id)).toEqual({ statements: 1, allowed: true });
      expect(await ask(other.id)).toEqual({ statements: 2, allowed: false });
    });
  });
});
