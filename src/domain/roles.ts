import { In, type EntityManager } from 'typeorm';
import type { CompiledRole, PolicyEngine } from '../policy';
import { AccountEntity, ancestorIdsOf, CustomRoleEntity, RoleAssignmentEntity } from '../storage/entities';

/** A role that can be held in an account: the policy's role for its type, or a custom role defined above it. */
export interface ResolvedRole {
  role: CompiledRole;
  customRoleId: string | null;
}

export async function resolveRole(em: EntityManager, engine: PolicyEngine, account: AccountEntity, name: string): Promise<ResolvedRole | undefined> {
  const policyRole = engine.role(account.type, name);
  if (policyRole) return { role: policyRole, customRoleId: null };
  if (!engine.policy.customRoles) return undefined;
  const owners = [...ancestorIdsOf(account.path), account.id];
  const custom = await em.getRepository(CustomRoleEntity).findOneBy({ name, accountType: account.type, ownerAccountId: In(owners) });
  if (!custom) return undefined;
  const role = engine.resolve({ role: custom.name, accountId: account.id, accountType: account.type, custom: { id: custom.id, grants: custom.grants }, source: { kind: 'role' } });
  return role ? { role, customRoleId: custom.id } : undefined;
}

/**
 * The roles held in the database that this policy does not define (`ACCOUNT_TYPE/ROLE`), custom roles aside: a
 * database made under another policy, whose users would silently hold no permission at all.
 */
export async function rolesUnknownTo(em: EntityManager, engine: PolicyEngine): Promise<string[]> {
  const held: Array<{ type: string; role: string }> = await em
    .createQueryBuilder(RoleAssignmentEntity, 'r')
    .innerJoin(AccountEntity, 'a', 'a.id = r.accountId')
    .select(['a.type AS type', 'r.role AS role'])
    .where('r.customRoleId IS NULL')
    .distinct(true)
    .getRawMany();
  return held
    .filter(({ type, role }) => !engine.role(type as AccountEntity['type'], role))
    .map(({ type, role }) => `${type}/${role}`)
    .sort();
}
