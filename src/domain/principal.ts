import { randomUUID } from 'crypto';
import { EntityNotFoundError, type EntityManager } from 'typeorm';
import { AuthenticationError, type ExternalIdentity, type Identity } from '../identity';
import type { PolicyEngine, PrincipalFacts, RoleAssignmentFact } from '../policy';
import type { Database } from '../storage/database';
import {
  AccountEntity,
  CustomRoleEntity,
  DelegatedAdminRelationshipEntity,
  ExternalIdentityEntity,
  ImpersonationGrantEntity,
  ImpersonationSessionEntity,
  RoleAssignmentEntity,
  UserEntity,
  RevisionEntity,
} from '../storage/entities';
import { audit, selfService } from './audit';
import { accountFacts, principalFacts } from './facts';

/**
 * The caller of a request: their user, the account they act for and the facts the decision engine needs.
 * In an impersonation session `account` is the customer, `actor` the partner user and `impersonation` the
 * session with its grant; the facts then allow exactly the granted permissions, on that customer only.
 */
export interface Principal {
  user: UserEntity;
  account: AccountEntity;
  facts: PrincipalFacts;
  actor?: UserEntity;
  impersonation?: { session: ImpersonationSessionEntity; grant: ImpersonationGrantEntity };
  /** Vouched for by a context token a subgraph sent back: it may ask for decisions (authorize), nothing else. */
  viaContextToken?: boolean;
  /** The partner groups' revision, read with the caller: whether an instance's copy of the groups is current. */
  partnerGroupsRevision?: number;
}

/** Resolves a verified identity to a principal; an unknown user, or one who may not log in, is refused. */
export async function loadPrincipal(db: Database, engine: PolicyEngine, identity: Identity, requestId: string): Promise<Principal> {
  if (identity.impersonationSessionId) return loadSessionPrincipal(db, engine, identity.subject, identity.impersonationSessionId);
  const em = db.manager;
  const userId = identity.external ? await linkedUserId(db, engine, identity.external, requestId) : identity.subject;
  const found = await loadCaller(em, engine, 'id', userId);
  if (!found) throw new AuthenticationError('the token names no known user');
  const { user, account, assignments, partnerGroupsRevision } = found;
  const refusal = engine.signInRefusal({ assignments });
  if (refusal) throw new AuthenticationError(refusal);
  if (user.status === 'INVITED' && account.status === 'ACTIVE') {
    // Signing in with a valid token accepts the invitation (not into a suspended account: nothing is usable there).
    await acceptInvitation(db, user, requestId);
    user.status = 'ACTIVE';
  }
  return { user, account, facts: principalFacts(user, account, assignments), partnerGroupsRevision };
}

/**
 * The caller loaded again from the database, as a context token naming them would load them: after a request changed
 * the caller's own session, grants, roles or status, nothing later in it runs on what was read before. Refused
 * (AuthenticationError) when the caller may no longer sign in or the session is over.
 */
export function reloadPrincipal(db: Database, engine: PolicyEngine, principal: Principal, requestId: string): Promise<Principal> {
  const identity: Identity = { subject: principal.user.id, claims: {}, impersonationSessionId: principal.facts.impersonation?.sessionId };
  return loadPrincipal(db, engine, identity, requestId).then((loaded) => (principal.viaContextToken ? { ...loaded, viaContextToken: true } : loaded));
}

/** The roles the caller holds in their account; in an impersonation session, the rights granted. */
export function rolesOf(principal: Principal): string[] {
  if (principal.impersonation) return [...principal.impersonation.grant.rights];
  return principal.facts.assignments.filter((a) => a.source.kind === 'role').map((a) => a.role);
}

const NOT_LINKED = 'no Portico user is linked to this identity';

/**
 * The user an identity provider's account is linked to. The link is made once, on the first sign-in of a user not
 * linked yet, from a token of the configured issuer and audience whose verified email is exactly the user's; after
 * that only `(issuer, subject)` counts and the email claim is never read again.
 */
async function linkedUserId(db: Database, engine: PolicyEngine, external: ExternalIdentity, requestId: string): Promise<string> {
  if (external.linkedUserId) return external.linkedUserId;
  external.linkedUserId = await readOrMakeLink(db, engine, external, requestId);
  return external.linkedUserId;
}

async function readOrMakeLink(db: Database, engine: PolicyEngine, external: ExternalIdentity, requestId: string): Promise<string> {
  const byIdentity = { issuer: external.issuer, subject: external.subject };
  const linked = await db.manager.findOneBy(ExternalIdentityEntity, byIdentity);
  if (linked) return linked.userId;
  if (!external.mayLink || !external.emailVerified || !external.email) throw new AuthenticationError(NOT_LINKED);
  const email = external.email;
  try {
    return await db.transaction(async (em) => {
      // Read again inside: a concurrent first sign-in (or this transaction's earlier attempt) may have linked it.
      const raced = await em.findOneBy(ExternalIdentityEntity, byIdentity);
      if (raced) return raced.userId;
      const user = await em.findOneBy(UserEntity, { email });
      // Exactly the stored address: another spelling is another claim, and a suspended user is never linked.
      if (!user || user.email !== email || user.status === 'SUSPENDED') throw new AuthenticationError(NOT_LINKED);
      if (await em.existsBy(ExternalIdentityEntity, { userId: user.id })) throw new AuthenticationError(NOT_LINKED);
      const found = await loadCaller(em, engine, 'id', user.id);
      if (!found || !engine.mayLogIn({ assignments: found.assignments })) throw new AuthenticationError(NOT_LINKED);
      const link = { id: randomUUID(), ...byIdentity, userId: user.id, linkedAt: new Date() };
      await em.insert(ExternalIdentityEntity, link);
      await audit(em, selfService(user, requestId), {
        occurredAt: link.linkedAt,
        action: 'user.linkIdentity',
        subjectAccountId: user.accountId,
        targetType: 'User',
        targetId: user.id,
        details: { issuer: external.issuer, subject: external.subject },
      });
      return user.id;
    });
  } catch (error) {
    // A concurrent first sign-in of the same identity linked it meanwhile: use that link; any other stands, and this is refused.
    const raced = await db.manager.findOneBy(ExternalIdentityEntity, byIdentity);
    if (raced) return raced.userId;
    if (error instanceof AuthenticationError || isUniqueViolation(error)) throw new AuthenticationError(NOT_LINKED);
    throw error;
  }
}

function isUniqueViolation(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'ER_DUP_ENTRY' || /UNIQUE constraint failed/.test(message ?? '');
}

type CallerRow = UserEntity & {
  homeAccount: AccountEntity;
  roleRows: Array<RoleAssignmentEntity & { customRole?: CustomRoleEntity | null }>;
  delegations?: Array<DelegatedAdminRelationshipEntity & { customer: AccountEntity }>;
};

/**
 * A user with their home account and current rights, read on every request in one statement: the user, the
 * account, their roles (with custom roles) and, where the policy has delegation, the active relationships naming
 * them or their whole account (with each customer).
 */
export async function loadCaller(
  em: EntityManager,
  engine: PolicyEngine,
  by: 'id' | 'email',
  value: string,
): Promise<{ user: UserEntity; account: AccountEntity; assignments: RoleAssignmentFact[]; partnerGroupsRevision?: number } | null> {
  const { entities, raw } = await callerQuery(em, engine)
    .addSelect((sub) => sub.select('rev.revision').from(RevisionEntity, 'rev').where('rev.name = :revisionName', { revisionName: 'partner_groups' }), 'partner_groups_revision')
    .where(`u.${by} = :value`, { value })
    .getRawAndEntities();
  if (entities.length === 0) return null;
  const revision = raw[0]?.partner_groups_revision;
  return { ...callerOf(entities[0] as CallerRow), partnerGroupsRevision: revision === null || revision === undefined ? undefined : Number(revision) };
}

/** A user, their home account and their rights as decision facts. */
export interface UserFacts {
  user: UserEntity;
  account: AccountEntity;
  facts: PrincipalFacts;
}

/**
 * Users as the decision engine sees them, read in one statement as `loadCaller` reads one caller: the facts a
 * signed-in request of theirs would carry (inactive when suspended, in a suspended account, or never to sign in).
 */
export async function loadUserFacts(em: EntityManager, engine: PolicyEngine, of: { userIds: readonly string[] } | { accountIds: readonly string[] }): Promise<Map<string, UserFacts>> {
  const found = new Map<string, UserFacts>();
  const ids = [...new Set('userIds' in of ? of.userIds : of.accountIds)];
  if (ids.length === 0) return found;
  const rows = await callerQuery(em, engine).where('userIds' in of ? 'u.id IN (:...ids)' : 'u.accountId IN (:...ids)', { ids }).getMany();
  for (const row of rows) {
    const { user, account, assignments } = callerOf(row as CallerRow);
    const facts = principalFacts(user, account, assignments);
    found.set(user.id, { user, account, facts: engine.mayLogIn({ assignments }) ? facts : { ...facts, active: false } });
  }
  return found;
}

function callerQuery(em: EntityManager, engine: PolicyEngine) {
  let query = em
    .createQueryBuilder(UserEntity, 'u')
    .innerJoinAndMapOne('u.homeAccount', AccountEntity, 'a', 'a.id = u.accountId')
    .leftJoinAndMapMany('u.roleRows', RoleAssignmentEntity, 'ra', 'ra.userId = u.id')
    .leftJoinAndMapOne('ra.customRole', CustomRoleEntity, 'cr', 'cr.id = ra.customRoleId');
  // Relationships are only made through the delegation actions: a policy mapping none has none to read.
  if (engine.policy.actions.has('delegation.request')) {
    query = query
      .leftJoinAndMapMany('u.delegations', DelegatedAdminRelationshipEntity, 'r', 'r.partnerAccountId = u.accountId AND r.status = :active AND (r.delegateUserId = u.id OR r.delegateUserId IS NULL)', { active: 'ACTIVE' })
      .leftJoinAndMapOne('r.customer', AccountEntity, 'c', 'c.id = r.customerAccountId');
  }
  return query;
}

function callerOf(row: CallerRow): { user: UserEntity; account: AccountEntity; assignments: RoleAssignmentFact[] } {
  const { homeAccount: account, roleRows, delegations, ...fields } = row;
  const user = Object.assign(new UserEntity(), fields);
  const own = roleRows
    .sort((x, y) => (x.role < y.role ? -1 : x.role > y.role ? 1 : 0))
    .map((r) => ownFact(r.role, account, r.customRole ?? undefined));
  return { user, account, assignments: [...own, ...delegatedFacts(delegations ?? [])] };
}

async function acceptInvitation(db: Database, user: UserEntity, requestId: string): Promise<void> {
  await db.transaction(async (em) => {
    const { affected } = await em.update(UserEntity, { id: user.id, status: 'INVITED' }, { status: 'ACTIVE' });
    // A concurrent first request accepted it already: one audit event per acceptance.
    if (!affected) return;
    await audit(em, selfService(user, requestId), { action: 'user.acceptInvitation', subjectAccountId: user.accountId, targetType: 'User', targetId: user.id });
  });
}

type LoadedSession = ImpersonationSessionEntity & { grant: ImpersonationGrantEntity; customer: AccountEntity };

/**
 * A request under an impersonation token: the session, its grant and the customer account are read in one
 * statement on every request, so ending the session, revoking the grant or suspending either account or the
 * actor refuses the very next request, whichever instance serves it.
 */
async function loadSessionPrincipal(db: Database, engine: PolicyEngine, actorId: string, sessionId: string): Promise<Principal> {
  const em = db.manager;
  const session = (await em
    .createQueryBuilder(ImpersonationSessionEntity, 's')
    .innerJoinAndMapOne('s.grant', ImpersonationGrantEntity, 'g', 'g.id = s.grantId')
    .innerJoinAndMapOne('s.customer', AccountEntity, 'c', 'c.id = s.customerAccountId')
    .where('s.id = :sessionId', { sessionId })
    .getOne()) as LoadedSession | null;
  if (!session || session.actorUserId !== actorId) throw new AuthenticationError('the impersonation session does not exist');
  const now = Date.now();
  if (session.endedAt) throw new AuthenticationError('the impersonation session has ended');
  if (session.expiresAt.getTime() <= now) throw new AuthenticationError('the impersonation session has expired');
  const { grant, customer } = session;
  if (grant.revokedAt) throw new AuthenticationError('the impersonation grant was revoked');
  if (grant.expiresAt && grant.expiresAt.getTime() <= now) throw new AuthenticationError('the impersonation grant has expired');
  const found = await loadCaller(em, engine, 'id', actorId);
  if (!found || found.account.id !== session.partnerAccountId) throw new AuthenticationError('the impersonation session does not exist');
  const { user: actor, account: partner } = found;
  if (actor.status !== 'ACTIVE' || partner.status !== 'ACTIVE' || customer.status !== 'ACTIVE') {
    throw new AuthenticationError('the impersonation session is suspended: its actor or one of its accounts is not active');
  }
  // The actor must still be someone who may impersonate: losing the right ends the session too.
  const own = principalFacts(actor, partner, found.assignments);
  if (!engine.authorizeAction(own, 'impersonation.start', accountFacts(partner)).allowed) {
    throw new AuthenticationError('the actor may no longer impersonate customers');
  }
  const facts: PrincipalFacts = {
    userId: actor.id,
    homeAccountId: customer.id,
    active: true,
    assignments: [
      {
        role: `impersonation:${grant.id}`,
        accountId: customer.id,
        accountType: customer.type,
        custom: { id: `impersonation:${grant.id}`, grants: grant.grants },
        source: { kind: 'impersonation', grantId: grant.id },
      },
    ],
    impersonation: { sessionId: session.id, grantId: grant.id, accountId: customer.id, permissions: new Set(grant.grants.map((g) => g.permission)) },
  };
  const { grant: _grant, customer: _customer, ...sessionRow } = session;
  return { user: actor, account: customer, actor, facts, impersonation: { session: Object.assign(new ImpersonationSessionEntity(), sessionRow), grant } };
}

/**
 * The caller's rights as they are now: an impersonation session's are fixed by its grant; anyone else's are read
 * again inside the transaction, as `loadCaller` reads them, since a right revoked by another request since this
 * one began no longer counts.
 */
export async function currentFacts(em: EntityManager, engine: PolicyEngine, principal: Principal): Promise<PrincipalFacts> {
  if (principal.facts.impersonation) return principal.facts;
  const found = await loadCaller(em, engine, 'id', principal.user.id);
  if (!found) throw new EntityNotFoundError(UserEntity, { id: principal.user.id });
  return principalFacts(found.user, found.account, found.assignments);
}

function delegatedFacts(relationships: Array<DelegatedAdminRelationshipEntity & { customer: AccountEntity }>): RoleAssignmentFact[] {
  const now = Date.now();
  return relationships
    .filter((r) => r.expiresAt !== null && r.expiresAt.getTime() > now)
    .flatMap((r) => r.roles.map((role) => ({ role, accountId: r.customerAccountId, accountType: r.customer.type, source: { kind: 'delegated' as const, relationshipId: r.id } })));
}

function ownFact(role: string, account: AccountEntity, custom: CustomRoleEntity | undefined): RoleAssignmentFact {
  return { role, accountId: account.id, accountType: account.type, custom: custom ? { id: custom.id, grants: custom.grants } : undefined, source: { kind: 'role' } };
}
