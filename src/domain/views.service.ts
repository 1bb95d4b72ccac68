import { randomUUID } from 'crypto';
import type { EntityManager } from 'typeorm';
import { badInput, InvariantError, notFound } from '../errors';
import { displayName } from '../identifiers';
import { PartnerGroupEntity, ViewEntity, type ViewAudience } from '../storage/entities';
import { audit } from './audit';
import type { RequestContext } from './context';
import { partnerGroupsOfPrincipal, platformOf } from './partner-groups.service';
import type { Principal } from './principal';

export interface ViewInput {
  name?: string | null;
  path?: string | null;
  description?: string | null;
  position?: number | null;
  audience?: { partnerGroupIds: string[] } | null;
}

/** What a view is made of, checked: every part of a new view, or the parts an update names. */
interface CheckedView {
  name: string;
  path: string;
  description: string | null;
  position: number;
  audience: ViewAudience;
}

const MAX_PATH = 300;
const MAX_POSITION = 1_000_000;
const MAX_AUDIENCE = 100;

const pathKeyOf = (path: string): string => path.normalize('NFC').toLowerCase();

/**
 * A path inside the portal: starts with one `/` (`//host` would leave it), at most 300 characters, without spaces,
 * control characters, `?`, `#` or backslashes.
 */
function checkedPath(raw: string): string {
  const path = raw.trim();
  if (path.length === 0 || path.length > MAX_PATH) throw badInput(`a view path has 1 to ${MAX_PATH} characters`, { field: 'path' });
  if (!/^\/(?!\/)[^\s\p{Cc}\p{Cf}?#\\]*$/u.test(path)) throw badInput('a view path starts with a single / and has no spaces, control characters, ?, # or \\ (e.g. /campaigns/gold)', { field: 'path' });
  return path;
}

function checkedPosition(position: number): number {
  if (!Number.isInteger(position) || Math.abs(position) > MAX_POSITION) throw badInput(`position is a whole number between -${MAX_POSITION} and ${MAX_POSITION}`, { field: 'position' });
  return position;
}

const checkedDescription = (raw: string | null): string | null => (raw === null || raw.trim() === '' ? null : displayName(raw, { what: 'a view description', field: 'description', max: 1000 }));

/** The group ids, each once; that each names a group of the platform is checked under the platform's lock. */
function checkedAudience(audience: { partnerGroupIds: string[] }): ViewAudience {
  const ids = [...new Set(audience.partnerGroupIds)];
  if (ids.length > MAX_AUDIENCE) throw badInput(`a view's audience names at most ${MAX_AUDIENCE} partner groups`, { field: 'audience.partnerGroupIds' });
  return { partnerGroupIds: ids };
}

/** Refuses an audience naming a group the platform does not have (BAD_USER_INPUT), inside the write's transaction. */
async function requireGroups(em: EntityManager, platformAccountId: string, audience: ViewAudience): Promise<void> {
  if (audience.partnerGroupIds.length === 0) return;
  const known = new Set((await em.find(PartnerGroupEntity, { select: { id: true }, where: { platformAccountId } })).map((g) => g.id));
  const unknown = audience.partnerGroupIds.find((id) => !known.has(id));
  if (unknown !== undefined) throw badInput(`no partner group has the id ${JSON.stringify(unknown.slice(0, 64))}`, { field: 'audience.partnerGroupIds' });
}

async function requireFreePath(em: EntityManager, platformAccountId: string, path: string, except?: string): Promise<void> {
  const taken = await em.findOneBy(ViewEntity, { platformAccountId, pathKey: pathKeyOf(path) });
  if (taken && taken.id !== except) throw new InvariantError(`the view ${taken.name} is already at ${taken.path}`, { field: 'path' });
}

/** Defines a view (partnerGroups.manage on the platform): a path unique on the platform, an audience of its groups. */
export async function createView(ctx: RequestContext, input: ViewInput): Promise<ViewEntity> {
  const platformId = platformOf(ctx.requirePrincipal().account);
  await ctx.requireOn('partnerGroups.manage', platformId);
  if (input.name == null || input.path == null || input.audience == null) throw badInput('a view needs a name, a path and an audience', { field: input.name == null ? 'name' : input.path == null ? 'path' : 'audience' });
  const view: CheckedView = {
    name: displayName(input.name, { what: 'a view name', field: 'name', max: 200 }),
    path: checkedPath(input.path),
    description: checkedDescription(input.description ?? null),
    position: checkedPosition(input.position ?? 0),
    audience: checkedAudience(input.audience),
  };
  return ctx.transaction(async (em) => {
    // The platform row serializes view and group changes: the path and the groups checked below hold until commit.
    await ctx.services.db.lockAccounts(em, [platformId]);
    await requireFreePath(em, platformId, view.path);
    await requireGroups(em, platformId, view.audience);
    const now = new Date();
    const entity = em.create(ViewEntity, { id: randomUUID(), platformAccountId: platformId, ...view, pathKey: pathKeyOf(view.path), createdByUserId: ctx.requirePrincipal().user.id, createdAt: now, updatedAt: now });
    await em.insert(ViewEntity, entity);
    await audit(em, ctx, { action: 'view.created', subjectAccountId: platformId, targetType: 'View', targetId: entity.id, details: { ...view } });
    return entity;
  });
}

/** Changes the parts of a view the input names; the others stay. */
export async function updateView(ctx: RequestContext, id: string, input: ViewInput): Promise<ViewEntity> {
  const platformId = platformOf(ctx.requirePrincipal().account);
  await ctx.requireOn('partnerGroups.manage', platformId);
  const wanted: Partial<CheckedView> = {};
  if (input.name != null) wanted.name = displayName(input.name, { what: 'a view name', field: 'name', max: 200 });
  if (input.path != null) wanted.path = checkedPath(input.path);
  if (input.description !== undefined) wanted.description = checkedDescription(input.description);
  if (input.position != null) wanted.position = checkedPosition(input.position);
  if (input.audience != null) wanted.audience = checkedAudience(input.audience);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [platformId]);
    const current = await em.findOneBy(ViewEntity, { id, platformAccountId: platformId });
    if (!current) throw notFound('view', id);
    if (wanted.path !== undefined) await requireFreePath(em, platformId, wanted.path, id);
    if (wanted.audience !== undefined) await requireGroups(em, platformId, wanted.audience);
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const [key, to] of Object.entries(wanted) as Array<[keyof CheckedView, unknown]>) {
      if (JSON.stringify(to) !== JSON.stringify(current[key])) changes[key] = { from: current[key], to };
    }
    if (Object.keys(changes).length === 0) return current;
    const next = { ...wanted, ...(wanted.path !== undefined ? { pathKey: pathKeyOf(wanted.path) } : {}), updatedAt: new Date() };
    await em.update(ViewEntity, { id }, next as never);
    await audit(em, ctx, { action: 'view.updated', subjectAccountId: platformId, targetType: 'View', targetId: id, details: changes });
    return Object.assign(current, next);
  });
}

export async function deleteView(ctx: RequestContext, id: string): Promise<string> {
  const platformId = platformOf(ctx.requirePrincipal().account);
  await ctx.requireOn('partnerGroups.manage', platformId);
  return ctx.transaction(async (em) => {
    await ctx.services.db.lockAccounts(em, [platformId]);
    const current = await em.findOneBy(ViewEntity, { id, platformAccountId: platformId });
    if (!current) throw notFound('view', id);
    await em.delete(ViewEntity, { id });
    await audit(em, ctx, { action: 'view.deleted', subjectAccountId: platformId, targetType: 'View', targetId: id, details: { name: current.name, path: current.path } });
    return id;
  });
}

/** One page of the platform's views in navigation order (position, then path), and how many there are. */
export async function viewsPage(ctx: RequestContext, first: number, after?: [string, string]): Promise<{ rows: ViewEntity[]; hasNextPage: boolean; count: () => Promise<number> }> {
  const platformId = platformOf(ctx.requirePrincipal().account);
  await ctx.requireOn('partnerGroups.manage', platformId);
  const em = ctx.services.db.manager;
  const query = em.createQueryBuilder(ViewEntity, 'v').where('v.platformAccountId = :platformId', { platformId });
  if (after) {
    const position = Number(after[0]);
    if (!Number.isInteger(position)) throw badInput('after is not a cursor of this list', { field: 'after' });
    query.andWhere('(v.position > :position OR (v.position = :position AND v.pathKey > :key))', { position, key: after[1] });
  }
  const rows = await query.orderBy('v.position', 'ASC').addOrderBy('v.pathKey', 'ASC').take(first + 1).getMany();
  return { rows: rows.slice(0, first), hasNextPage: rows.length > first, count: () => em.countBy(ViewEntity, { platformAccountId: platformId }) };
}

/**
 * The views the caller may see, in navigation order: those whose audience names one of the caller's partner
 * groups. A caller in no group (the platform's own team, an impersonation session) sees none; a view with an empty
 * audience is seen by no one.
 */
export async function viewsOfPrincipal(ctx: RequestContext, principal: Principal): Promise<ViewEntity[]> {
  const groups = new Set((await partnerGroupsOfPrincipal(ctx, principal)).map((g) => g.id));
  if (groups.size === 0) return [];
  const views = await ctx.services.db.manager.find(ViewEntity, { where: { platformAccountId: platformOf(principal.account) }, order: { position: 'ASC', pathKey: 'ASC' } });
  return views.filter((view) => view.audience.partnerGroupIds.some((id) => groups.has(id)));
}
