import type { EntityManager } from 'typeorm';
import type { PorticoConfig } from '../config';
import type { DevKeyPair } from '../identity';
import { forbidden, notFound, PorticoError } from '../errors';
import type { Decision, PolicyEngine, PorticoAction } from '../policy';
import type { Database } from '../storage/database';
import { AccountEntity, ImpersonationGrantEntity, ImpersonationSessionEntity, UserEntity } from '../storage/entities';
import { createLoaders, type Loaders } from '../storage/loaders';
import type { SecretBox } from '../storage/secret-box';
import { DecisionTally, drawSampling } from './decision-tally';
import { accountFacts } from './facts';
import type { Principal } from './principal';

/** What lives for the whole process: configuration, the database and the decision engine. */
export interface Services {
  config: PorticoConfig;
  db: Database;
  engine: PolicyEngine;
  /** Portico's own key: signs the impersonation tokens it issues. */
  signingKeys: DevKeyPair;
  /** Seals and opens secret account settings (PORTICO_SECRETS_KEY). */
  secrets: SecretBox;
}

/** Reads the session and its grant under a lock (on MySQL), so a concurrent end or revoke is either before or after. */
async function requireLiveSession(em: EntityManager, kind: 'mysql' | 'sqlite', sessionId: string): Promise<void> {
  const query = em.createQueryBuilder(ImpersonationSessionEntity, 's').where('s.id = :sessionId', { sessionId });
  if (kind === 'mysql') query.setLock('pessimistic_write');
  const session = await query.getOne();
  const grant = session ? await em.findOneBy(ImpersonationGrantEntity, { id: session.grantId }) : null;
  const now = Date.now();
  const live = session && grant && !session.endedAt && session.expiresAt.getTime() > now && !grant.revokedAt && (!grant.expiresAt || grant.expiresAt.getTime() > now);
  if (!live) throw sessionEnded();
}

/** A write under an impersonation session that ended (or whose grant did), possibly earlier in the same request. */
export const sessionEnded = (): PorticoError => new PorticoError('FORBIDDEN', 'the impersonation session or its grant has ended: nothing more is done under it');

/**
 * A permission (`invoices:read`) or one of Portico's own actions (`users.read`), which the policy maps to
 * permissions. Directives and services name either.
 */
export type Requirement = string;

const isAction = (requirement: Requirement): requirement is PorticoAction => !requirement.includes(':');

/** One request: who is calling, its loaders, and the decisions made about it. */
export class RequestContext {
  readonly loaders: Loaders;
  /** Every decision this request made, for its log line and the metrics. */
  readonly decisions: DecisionTally;
  /** Accounts this request was allowed to act on through a delegated relationship, for the audit trail. */
  private readonly delegatedVia = new Map<string, string>();
  /** What `authorize` decided in this request, by account: the gateway hands these to the subgraphs it calls. */
  private readonly authorizedById = new Map<string, Map<string, Decision>>();

  /** Set once a mutation of this request ran: the caller is read again before anything else runs on it. */
  private stale = false;

  constructor(
    readonly services: Services,
    readonly requestId: string,
    private caller: Principal | null,
    em?: EntityManager,
  ) {
    // Contexts built without a configuration (the gateway's own, some tests) log no decisions.
    const config = services.config;
    // The decision log's mode says which decisions are kept at all; the rates, how many requests' of them reach the table.
    const mode = config?.decisionLog ?? 'off';
    this.decisions = new DecisionTally(mode, drawSampling({ denied: mode === 'off' ? 0 : (config?.decisionSampleRate ?? 0), allowed: mode === 'all' ? (config?.decisionSampleRateAllowed ?? 0) : 0 }));
    this.loaders = createLoaders(em ?? services.db.manager);
    // The caller's account was read with the caller for this request: deciding on it needs no second read.
    if (caller && !em) this.loaders.account.prime(caller.account.id, caller.account);
  }

  /** Who is calling, as last read: at the start of the request, or again after one of its mutations. */
  get principal(): Principal | null {
    return this.caller;
  }

  /**
   * Marks what this request read about its caller as out of date: a mutation ran, and may have changed the caller's
   * session, grants, roles or status. The decisions made so far are dropped with it.
   */
  markStale(): void {
    if (this.caller) this.stale = true;
    this.authorizedById.clear();
  }

  /** Whether the caller must be read again (see markStale) before anything more runs on it. */
  get isStale(): boolean {
    return this.stale;
  }

  /** The caller as read again after a mutation: what the rest of the request runs on. */
  replacePrincipal(principal: Principal): void {
    this.caller = principal;
    this.stale = false;
    this.loaders.account.clearAll();
    this.loaders.account.prime(principal.account.id, principal.account);
  }

  get engine(): PolicyEngine {
    return this.services.engine;
  }

  requirePrincipal(): Principal {
    if (!this.principal) throw new PorticoError('UNAUTHENTICATED', 'sign in to do this');
    return this.principal;
  }

  async account(id: string): Promise<AccountEntity | null> {
    return this.loaders.account.load(id);
  }

  /** The account if the viewer may see it; an invisible account and a missing one read the same. */
  async visibleAccount(id: string): Promise<AccountEntity | null> {
    const principal = this.principal;
    if (!principal) return null;
    const account = await this.account(id);
    if (!account || !this.engine.isVisible(principal.facts, accountFacts(account))) return null;
    return account;
  }

  decide(requirement: Requirement, account: AccountEntity): Decision {
    const principal = this.requirePrincipal();
    const facts = accountFacts(account);
    const decision = isAction(requirement) ? this.engine.authorizeAction(principal.facts, requirement, facts) : this.engine.authorize(principal.facts, requirement, facts);
    this.decisions.record(requirement, decision.allowed, { accountId: account.id, reason: decision.reason });
    if (decision.allowed && decision.grant?.relationshipId) this.delegatedVia.set(account.id, decision.grant.relationshipId);
    return decision;
  }

  /** The delegated relationship a decision on this account rested on during this request, if any. */
  delegatedRelationshipOn(accountId: string): string | null {
    return this.delegatedVia.get(accountId) ?? null;
  }

  /** Decides on an account by id: not visible reads as "no role grants it", exactly as a missing account does. */
  async authorize(requirement: Requirement, accountId: string): Promise<Decision> {
    const account = await this.visibleAccount(accountId);
    let decision: Decision;
    if (!account) {
      const reason = `no role grants ${requirement} on account ${accountId}`;
      this.decisions.record(requirement, false, { accountId, reason });
      decision = { allowed: false, permission: requirement, accountId, scope: null, reason };
    } else {
      decision = this.decide(requirement, account);
    }
    let onAccount = this.authorizedById.get(accountId);
    if (!onAccount) this.authorizedById.set(accountId, (onAccount = new Map()));
    onAccount.set(requirement, decision);
    return decision;
  }

  /** The decisions `authorize` made in this request on these accounts, each with the requirement it was asked. */
  authorizedOn(accountIds: Iterable<string>): Array<{ asked: Requirement; decision: Decision }> {
    const found: Array<{ asked: Requirement; decision: Decision }> = [];
    for (const accountId of accountIds) for (const [asked, decision] of this.authorizedById.get(accountId) ?? []) found.push({ asked, decision });
    return found;
  }

  /** The visible account the requirement is allowed on, or NOT_FOUND / FORBIDDEN. */
  async requireOn(requirement: Requirement, accountId: string): Promise<AccountEntity> {
    this.requirePrincipal();
    const account = await this.visibleAccount(accountId);
    if (!account) throw notFound('account', accountId);
    // Suspension blocks the use of an account, not the decision to lift it.
    const subject = requirement === 'accounts.suspend' && account.status !== 'ACTIVE' ? Object.assign(new AccountEntity(), account, { status: 'ACTIVE' }) : account;
    const decision = this.decide(requirement, subject);
    if (!decision.allowed) throw forbidden(`not allowed: ${decision.reason}`, { permission: requirement, accountId });
    return account;
  }

  /**
   * Runs a write in one transaction. In an impersonation session it first checks, inside that transaction, that the
   * session and its grant are still live: an `endImpersonation` or a revoke earlier in the same request (or in
   * another one) stops every write after it.
   */
  async transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const session = this.principal?.impersonation?.session;
    return this.services.db.transaction(async (em) => {
      if (session) await requireLiveSession(em, this.services.db.kind, session.id);
      return work(em);
    });
  }

  /** A user the viewer may see: themselves, or a user of an account where they may read users. */
  async visibleUser(id: string): Promise<UserEntity | null> {
    const principal = this.principal;
    if (!principal) return null;
    const user = await this.loaders.user.load(id);
    if (!user) return null;
    if (user.id === principal.user.id) return user;
    const account = await this.visibleAccount(user.accountId);
    if (!account || !this.decide('users.read', account).allowed) return null;
    return user;
  }
}
