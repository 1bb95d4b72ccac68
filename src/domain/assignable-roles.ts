import { In } from 'typeorm';
import { notFound } from '../errors';
import type { CompiledRole } from '../policy';
import { ancestorIdsOf, CustomRoleEntity, RoleAssignmentEntity, UserEntity } from '../storage/entities';
import type { RequestContext } from './context';
import { accountFacts } from './facts';

/** A role of the account's type that can be held there, with the custom role's id (null for the policy's roles). */
export interface AssignableRole {
  role: CompiledRole;
  customRoleId: string | null;
}

/**
 * The roles the viewer may give this user right now (the role checkboxes a portal enables), decided by the engine
 * exactly as `assignRole` decides. NOT_FOUND for a user the viewer may not see; none without `rights.assign`.
 */
export async function assignableRoles(ctx: RequestContext, userId: string): Promise<AssignableRole[]> {
  const principal = ctx.requirePrincipal();
  const user = await ctx.visibleUser(userId);
  if (!user) throw notFound('user', userId);
  const account = await ctx.visibleAccount(user.accountId);
  if (!account) return [];
  // Without rights.assign, only a role the policy lets another permission give (unifyr's Administrative access) can be.
  const givers = ctx.engine.rolesOf(account.type).flatMap((r) => (r.assignableWith === undefined ? [] : [r.assignableWith]));
  if (!ctx.decide('rights.assign', account).allowed && !givers.some((p) => ctx.decide(p, account).allowed)) return [];
  const em = ctx.services.db.manager;
  const owners = [...ancestorIdsOf(account.path), account.id];
  const [custom, held, staffedRows] = await Promise.all([
    ctx.engine.policy.customRoles ? em.find(CustomRoleEntity, { where: { ownerAccountId: In(owners), accountType: account.type }, order: { name: 'ASC' } }) : Promise.resolve([]),
    ctx.loaders.rolesByUser.load(user.id),
    em
      .createQueryBuilder(RoleAssignmentEntity, 'r')
      .innerJoin(UserEntity, 'u', 'u.id = r.userId')
      .select('r.role', 'role')
      .distinct(true)
      .where('r.accountId = :accountId AND u.status != :suspended', { accountId: account.id, suspended: 'SUSPENDED' })
      .getRawMany<{ role: string }>(),
  ]);
  const candidates: AssignableRole[] = ctx.engine.rolesOf(account.type).map((role) => ({ role, customRoleId: null }));
  for (const c of custom) {
    const role = ctx.engine.resolve({ role: c.name, accountId: account.id, accountType: account.type, custom: { id: c.id, grants: c.grants }, source: { kind: 'role' } });
    // A policy role of the same name wins, as it does when the role is assigned.
    if (role && !candidates.some((x) => x.role.name === c.name)) candidates.push({ role: { ...role, title: c.title }, customRoleId: c.id });
  }
  const allowed = new Set(
    ctx.engine.assignableRoles(principal.facts, candidates.map((c) => c.role), accountFacts(account), {
      held: new Set(held.map((r) => r.role)),
      staffed: new Set(staffedRows.map((r) => r.role)),
    }),
  );
  return candidates.filter((c) => allowed.has(c.role));
}
