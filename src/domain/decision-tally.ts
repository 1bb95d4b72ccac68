import { randomUUID } from 'crypto';
import type { Database } from '../storage/database';
import { AuthorizationDecisionEntity } from '../storage/entities';

/** Allowed and denied counts of one requirement (a permission, an action or a gateway rule). */
export interface DecisionCount {
  allowed: number;
  denied: number;
}

/** One decision as the decision log writes it. */
export interface LoggedDecision {
  permission: string;
  accountId: string;
  allowed: boolean;
  reason: string;
}

/** Which outcomes of this request's decisions go to the decision table (drawn once per request). */
export interface DecisionSampling {
  denied: boolean;
  allowed: boolean;
}

// A page of 100 accounts decides several times per account: the log keeps a request's first decisions, not all.
const MAX_LOGGED = 100;

/**
 * The authorization decisions one request made, by requirement: what its log line summarises and the metrics
 * count. Recorded beside the decision, never inside the pure policy engine.
 */
export class DecisionTally {
  readonly byRequirement = new Map<string, DecisionCount>();
  /** The decisions kept for the decision log (PORTICO_DECISION_LOG), at most MAX_LOGGED per request. */
  readonly logged: LoggedDecision[] = [];
  /** The decisions kept for the decision table (PORTICO_DECISION_SAMPLE_RATE), at most MAX_LOGGED per request. */
  readonly sampled: Array<LoggedDecision & { at: Date }> = [];

  constructor(
    private readonly mode: 'off' | 'denied' | 'all' = 'off',
    private readonly sampling: DecisionSampling = { denied: false, allowed: false },
  ) {}

  record(requirement: string, allowed: boolean, detail?: { accountId: string; reason: string }): void {
    if (detail && this.logged.length < MAX_LOGGED && (this.mode === 'all' || (this.mode === 'denied' && !allowed))) {
      this.logged.push({ permission: requirement, accountId: detail.accountId, allowed, reason: detail.reason });
    }
    if (detail && this.sampled.length < MAX_LOGGED && (allowed ? this.sampling.allowed : this.sampling.denied)) {
      this.sampled.push({ permission: requirement, accountId: detail.accountId, allowed, reason: detail.reason, at: new Date() });
    }
    let count = this.byRequirement.get(requirement);
    if (!count) this.byRequirement.set(requirement, (count = { allowed: 0, denied: 0 }));
    if (allowed) count.allowed++;
    else count.denied++;
  }

  /** `{ allowed, denied, deniedPermissions }` for a log line. */
  summary(): { allowed: number; denied: number; deniedPermissions: string[] } {
    let allowed = 0;
    let denied = 0;
    const deniedPermissions: string[] = [];
    for (const [requirement, count] of this.byRequirement) {
      allowed += count.allowed;
      denied += count.denied;
      if (count.denied > 0) deniedPermissions.push(requirement);
    }
    return { allowed, denied, deniedPermissions: deniedPermissions.sort() };
  }
}

/** Draws whether a request's denied and allowed decisions are sampled, at the configured rates. */
export function drawSampling(rates: { denied: number; allowed: number }, random: () => number = Math.random): DecisionSampling {
  return { denied: random() < rates.denied, allowed: random() < rates.allowed };
}

/**
 * Stores a request's sampled decisions, with who asked and the request id the audit trail carries, in one
 * statement. Returns how many were written.
 */
export async function storeSampledDecisions(db: Database, requestId: string, who: { userId: string | null; actorUserId: string | null }, tally: DecisionTally): Promise<number> {
  if (tally.sampled.length === 0) return 0;
  const rows = tally.sampled.map((d) => ({
    id: randomUUID(),
    occurredAt: d.at,
    requestId,
    userId: who.userId,
    actorUserId: who.actorUserId,
    accountId: d.accountId.slice(0, 36),
    permission: d.permission.slice(0, 128),
    allowed: d.allowed,
    reason: d.reason.slice(0, 500),
  }));
  await db.transaction((em) => em.insert(AuthorizationDecisionEntity, rows));
  return rows.length;
}
