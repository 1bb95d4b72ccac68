import { randomUUID } from 'crypto';
import { In, type EntityManager } from 'typeorm';
import { AuthenticationError, type Identity } from '../identity';
import type { PolicyEngine, PrincipalFacts, RoleAssignmentFact } from '../policy';
import type { Database } from '../storage/database';
import { AccountEntity, AuditEventEntity, CustomRoleEntity, RoleAssignmentEntity, UserEntity } from '../storage/entities';

/** The caller of a request: their user, home account and the facts the decision engine needs. */
export interface Principal {
  user: UserEntity;
  account: AccountEntity;
  facts: PrincipalFacts;
}

/** Resolves a verified identity to a principal; an unknown user, or one who may not log in, is refused. */
export async function loadPrincipal(db: Database, engine: PolicyEngine, identity: Identity, requestId: string): Promise<Principal> {
  const em = db.manager;
  const users = em.getRepository(UserEntity);
  let user = await users.findOneBy({ id: identity.subject });
  if (!user && identity.email) user = await users.findOneBy({ email: identity.email.toLowerCase() });
  if (!user) throw new AuthenticationError('the token names no known user');
  const account = await em.getRepository(AccountEntity).findOneByOrFail({ id: user.accountId });
  const assignments = await assignmentFacts(em, user, account);
  if (!engine.mayLogIn({ assignments })) throw new AuthenticationError('this user cannot log in');
  if (user.status === 'INVITED' && account.status === 'ACTIVE') {
    // Signing in with a valid token accepts the invitation (not into a suspended account: nothing is usable there).
    await acceptInvitation(db, user, requestId);
    user.status = 'ACTIVE';
  }
  return { user, account, facts: principalFacts(user, account, assignments) };
}

async function acceptInvitation(db: Database, user: UserEntity, requestId: string): Promise<void> {
  await db.transaction(async (em) => {
    const { affected } = await em.update(UserEntity, { id: user.id, status: 'INVITED' }, { status: 'ACTIVE' });
    // A concurrent first request accepted it already: one audit event per acceptance.
    if (!affected) return;
    await em.insert(AuditEventEntity, {
      id: randomUUID(),
      occurredAt: new Date(),
      actorUserId: user.id,
      subjectAccountId: user.accountId,
      action: 'user.acceptInvitation',
      targetType: 'User',
      targetId: user.id,
      requestId,
      impersonationSessionId: null,
      delegatedRelationshipId: null,
      details: null,
    });
  });
}

export function principalFacts(user: UserEntity, account: AccountEntity, assignments: RoleAssignmentFact[]): PrincipalFacts {
  return {
    userId: user.id,
    homeAccountId: account.id,
    active: user.status !== 'SUSPENDED' && account.status === 'ACTIVE',
    assignments,
  };
}

/** The user's rights as decision facts, with custom roles' permissions attached. */
export async function assignmentFacts(em: EntityManager, user: UserEntity, account: AccountEntity): Promise<RoleAssignmentFact[]> {
  const rows = await em.getRepository(RoleAssignmentEntity).find({ where: { userId: user.id }, order: { role: 'ASC' } });
  const customIds = rows.map((r) => r.customRoleId).filter((id): id is string => id !== null);
  const customRoles = customIds.length > 0 ? await em.getRepository(CustomRoleEntity).findBy({ id: In(customIds) }) : [];
  const byId = new Map(customRoles.map((c) => [c.id, c]));
  return rows.map((row) => {
    const custom = row.customRoleId ? byId.get(row.customRoleId) : undefined;
    return {
      role: row.role,
      accountId: account.id,
      accountType: account.type,
      custom: custom ? { id: custom.id, grants: custom.grants } : undefined,
      source: { kind: 'role' },
    };
  });
}
