import { randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import { canonicalEmail } from '../identifiers';
import type { PolicyEngine } from '../policy';
import type { Database } from './database';
import { AccountEntity, RoleAssignmentEntity, UserEntity } from './entities';

/** Creates the platform account and its operator on first start; returns the platform account. */
export async function bootstrapPlatform(db: Database, engine: PolicyEngine, operatorEmail: string): Promise<AccountEntity> {
  // Under the start-up lock: two instances starting on an empty database would each find no platform.
  return db.exclusively(() => db.transaction(async (em) => {
    const existing = await em.findOneBy(AccountEntity, { type: 'PLATFORM' });
    if (existing) return existing;
    const id = randomUUID();
    const platform = em.create(AccountEntity, { id, type: 'PLATFORM', name: engine.policy.title, parentId: null, status: 'ACTIVE', settings: {}, path: `/${id}/`, depth: 0 });
    await em.save(platform);
    await addUser(em, platform, { email: operatorEmail, name: 'Platform Operator', roles: [engine.policy.operatorRole.name] });
    return platform;
  }));
}

export async function addUser(em: EntityManager, account: AccountEntity, user: { email: string; name: string; roles: string[]; status?: UserEntity['status'] }): Promise<UserEntity> {
  const canonical = canonicalEmail(user.email);
  if (!canonical.ok) throw new Error(`${user.email} is not an email address: ${canonical.reason}`);
  const entity = em.create(UserEntity, { id: randomUUID(), accountId: account.id, email: canonical.email, emailSkeleton: canonical.skeleton, name: user.name, status: user.status ?? 'ACTIVE' });
  await em.insert(UserEntity, entity);
  for (const role of user.roles) await em.insert(RoleAssignmentEntity, { id: randomUUID(), userId: entity.id, accountId: account.id, role, customRoleId: null });
  return entity;
}

export async function addAccount(em: EntityManager, parent: AccountEntity, type: AccountEntity['type'], name: string, settings: AccountEntity['settings'] = {}): Promise<AccountEntity> {
  const id = randomUUID();
  const account = em.create(AccountEntity, { id, type, name, parentId: parent.id, status: 'ACTIVE', settings, path: `${parent.path}${id}/`, depth: parent.depth + 1 });
  await em.save(account);
  return account;
}
