import { randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import { badInput, InvariantError, notFound } from '../errors';
import { displayName } from '../identifiers';
import { checkPartnerGroupRule, matchesPartnerGroup, type AccountType, type PartnerGroupRule } from '../policy';
import { ancestorIdsOf, CustomRoleEntity, PartnerGroupEntity, RevisionEntity, ViewEntity, type AccountEntity, type UserEntity } from '../storage/entities';
import { audit } from './audit';
import type { RequestContext } from './context';
import type { Principal } from './principal';

export interface PartnerGroupInput {
  name: string;
  rule: {
    accountTypes?: AccountType[] | null;
    modules?: string[] | null;
    roles?: string[] | null;
    customRoles?: string[] | null;
    settings?: Record<string, unknown> | null;
  };
}

/** The platform a principal's partner groups are defined on: the root of their account's tree. */
export const platformOf = (account: AccountEntity): string => ancestorIdsOf(account.path)[0] ?? account.id;

const nameKeyOf = (name: string): string => name.normalize('NFC').toLowerCase();

function ruleOf(input: PartnerGroupInput['rule']): PartnerGroupRule {
  const settings = input.settings ?? {};
  if (typeof settings !== 'object' || Array.isArray(settings)) throw badInput('rule.settings must be an object of switches', { field: 'rule.settings' });
  return {
    accountTypes: input.accountTypes ?? [],
    modules: input.modules ?? [],
    roles: input.roles ?? [],
    customRoles: input.customRoles ?? [],
    settings: settings as Record<string, boolean>,
  };
}

/** The name and rule as stored: a display name, and a rule every part of which the policy knows. */
async function checkedInput(ctx: RequestContext, em: EntityManager, input: PartnerGroupInput): Promise<{ name: string; rule: PartnerGroupRule }> {
  const name = displayName(input.name, { what: 'a partner group name', field: 'name', max: 200 });
  const rule = ruleOf(input.rule);
  const customRoleNames = rule.customRoles.length === 0 ? new Set<string>() : new Set((await em.find(CustomRoleEntity, { select: { name: true } })).map((c) => c.name));
  const check = checkPartnerGroupRule(ctx.engine.policy, rule, customRoleNames);
  if (!check.ok) throw badInput(check.reason, { field: check.field });
  return { name, rule: check.rule };
}

/** Every write to the groups raises their revision, in its own transaction: each instance's copy is read again. */
const raiseRevision = (em: EntityManager) => em.increment(RevisionEntity, { name: 'partner_groups' }, 'revision', 1);

/**
 * Each instance's copy of the partner groups, with the revision it was read at. A caller is loaded with the groups'
 * current revision (in the same statement), so a request uses the copy only when no group changed since it was
 * read, and reads the groups again otherwise: a change counts from the next request, on every instance.
 */
const copies = new WeakMap<object, { revision: number; groups: Promise<PartnerGroupEntity[]> }>();

function groupsAt(ctx: RequestContext, revision: number | undefined): Promise<PartnerGroupEntity[]> {
  if (revision === undefined) return ctx.loaders.partnerGroups();
  const held = copies.get(ctx.services.db);
  if (held && held.revision === revision) return held.groups;
  // Read after the revision was: the copy is at least as new as the revision it is kept under.
  const groups = ctx.loaders.partnerGroups();
  copies.set(ctx.services.db, { revision, groups });
  groups.catch(() => copies.get(ctx.services.db)?.groups === groups && copies.delete(ctx.services.db));
  return groups;
}

/** Defines a group (partnerGroups.manage on the platform); a name is unique on the platform, whatever its case. */
export async function createPartnerGroup(ctx: RequestContext, input: PartnerGroupInput): Promise<PartnerGroupEntity> {
  const platformId = platformOf(ctx.requirePrincipal().account);
  await ctx.requireOn('partnerGroups.manage', platformId);
  const { name, rule } = await checkedInput(ctx, ctx.services.db.manager, input);
  return ctx.transaction(async (em) => {
    // The platform row serializes the platform's group changes, so the name check below holds until commit.
    await ctx.services.db.lockAccounts(em, [platformId]);
    await requireFreeName(em, platformId, name);
    const now = new Date();
    const entity = em.create(PartnerGroupEntity, { id: randomUUID(), platformAccountId: platformId, name, nameKey: nameKeyOf(name), rule, createdByUserId: ctx.requirePrincipal().user.id, createdAt: now, updatedAt: now });
    await em.insert(PartnerGroupEntity, entity);
    await raiseRevision(em);
    await audit(em, ctx, { action: 'partnerGroup.create', subjectAccountId: platformId, targetType: 'PartnerGroup', targetId: entity.id, details: { name, rule } });
    return entity;
  });
}

async function requireFreeName(em: EntityManager, platformAccountId: string, name: string, except?: string): Promise<void> {
  const taken = await em.findOneBy(PartnerGroupEntity, { platformAccountId, nameKey: nameKeyOf(name) });
  if (taken && taken.id !== except) throw new InvariantError(`a partner group is already named ${taken.name}`, { field: 'name' });
}

/** Renames a group or replaces its rule; its members change with it, from the next request. */
export async function updatePartnerGroup(ctx: RequestContext, id: string, input: PartnerGroupInput): Promise<PartnerGroupEntity> {
  const platformId = platformOf(ctx.requirePrincipal().account);
  await ctx.requireOn('partnerGroups.manage', platformId);
  const { name, rule } = await checkedInput(ctx, ctx.services.db.manager, input);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [platformId]);
    const current = await em.findOneBy(PartnerGroupEntity, { id, platformAccountId: platformId });
    if (!current) throw notFound('partner group', id);
    await requireFreeName(em, platformId, name, id);
    const changes: Record<string, unknown> = {};
    if (name !== current.name) changes.name = { from: current.name, to: name };
    if (JSON.stringify(rule) !== JSON.stringify(current.rule)) changes.rule = { from: current.rule, to: rule };
    if (Object.keys(changes).length === 0) return current;
    const updatedAt = new Date();
    await em.update(PartnerGroupEntity, { id }, { name, nameKey: nameKeyOf(name), rule: rule as never, updatedAt });
    await raiseRevision(em);
    await audit(em, ctx, { action: 'partnerGroup.update', subjectAccountId: platformId, targetType: 'PartnerGroup', targetId: id, details: changes });
    return Object.assign(current, { name, nameKey: nameKeyOf(name), rule, updatedAt });
  });
}

/**
 * Refuses (CONFLICT) to delete a partner group a view's audience names: the views would silently lose that
 * audience. Called under the platform's lock, in the deleting transaction.
 */
async function requireGroupUnused(em: EntityManager, platformAccountId: string, groupId: string, groupName: string): Promise<void> {
  const using = (await em.find(ViewEntity, { where: { platformAccountId }, order: { pathKey: 'ASC' } })).filter((v) => v.audience.partnerGroupIds.includes(groupId));
  if (using.length === 0) return;
  const paths = using.map((v) => v.path);
  throw new InvariantError(`the partner group ${groupName} is the audience of ${using.length === 1 ? 'the view' : 'the views'} ${paths.join(', ')}: take it out of ${using.length === 1 ? 'that view' : 'them'} first`, { views: using.map((v) => v.id) });
}

/** Deletes a group no view's audience names (CONFLICT otherwise, and nothing changes). */
export async function deletePartnerGroup(ctx: RequestContext, id: string): Promise<string> {
  const platformId = platformOf(ctx.requirePrincipal().account);
  await ctx.requireOn('partnerGroups.manage', platformId);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [platformId]);
    const current = await em.findOneBy(PartnerGroupEntity, { id, platformAccountId: platformId });
    if (!current) throw notFound('partner group', id);
    await requireGroupUnused(em, platformId, id, current.name);
    await em.delete(PartnerGroupEntity, { id });
    await raiseRevision(em);
    await audit(em, ctx, { action: 'partnerGroup.delete', subjectAccountId: platformId, targetType: 'PartnerGroup', targetId: id, details: { name: current.name } });
    return id;
  });
}

/** One page of the platform's groups in name order, and how many there are in all (counted when asked). */
export async function partnerGroupsPage(ctx: RequestContext, first: number, after?: [string, string]): Promise<{ rows: PartnerGroupEntity[]; hasNextPage: boolean; count: () => Promise<number> }> {
  const platformId = platformOf(ctx.requirePrincipal().account);
  await ctx.requireOn('partnerGroups.manage', platformId);
  const em = ctx.services.db.manager;
  const query = em.createQueryBuilder(PartnerGroupEntity, 'g').where('g.platformAccountId = :platformId', { platformId });
  if (after) query.andWhere('(g.nameKey > :key OR (g.nameKey = :key AND g.id > :id))', { key: after[0], id: after[1] });
  const rows = await query.orderBy('g.nameKey', 'ASC').addOrderBy('g.id', 'ASC').take(first + 1).getMany();
  return { rows: rows.slice(0, first), hasNextPage: rows.length > first, count: () => em.countBy(PartnerGroupEntity, { platformAccountId: platformId }) };
}

/** The rights a user holds in their home account, by name: policy roles and custom roles apart. */
interface HeldRights {
  roles: string[];
  customRoles: string[];
}

function groupsMatching(ctx: RequestContext, groups: readonly PartnerGroupEntity[], account: AccountEntity, held: HeldRights): PartnerGroupEntity[] {
  if (groups.length === 0) return [];
  const platformId = platformOf(account);
  const member = { account: { type: account.type, settings: account.settings ?? {} }, ...held };
  return groups.filter((group) => group.platformAccountId === platformId && matchesPartnerGroup(ctx.engine.policy, group.rule, member));
}

/**
 * The caller's groups, from the rights loaded with them. An impersonation session is in no group: it carries the
 * permissions its grant names, never the partner user's own standing.
 */
export async function partnerGroupsOfPrincipal(ctx: RequestContext, principal: Principal): Promise<PartnerGroupEntity[]> {
  if (principal.impersonation) return [];
  const own = principal.facts.assignments.filter((a) => a.source.kind === 'role');
  const held = { roles: own.filter((a) => !a.custom).map((a) => a.role), customRoles: own.filter((a) => a.custom).map((a) => a.role) };
  return groupsMatching(ctx, await groupsAt(ctx, principal.partnerGroupsRevision), principal.account, held);
}

/** A user's groups; the groups, accounts and rights of a page of users are read in one statement each. */
export async function partnerGroupsOfUser(ctx: RequestContext, user: UserEntity): Promise<PartnerGroupEntity[]> {
  const [groups, account, assignments] = await Promise.all([ctx.loaders.partnerGroups(), ctx.loaders.account.load(user.accountId), ctx.loaders.rolesByUser.load(user.id)]);
  if (!account || groups.length === 0) return [];
  const held = { roles: assignments.filter((a) => a.customRoleId === null).map((a) => a.role), customRoles: assignments.filter((a) => a.customRoleId !== null).map((a) => a.role) };
  return groupsMatching(ctx, groups, account, held);
}
