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

  constructor(private readonly mode: 'off' | 'denied' | 'all' = 'off') {}

  record(requirement: string, allowed: boolean, detail?: { accountId: string; reason: string }): void {
    if (detail && this.logged.length < MAX_LOGGED && (this.mode === 'all' || (this.mode === 'denied' && !allowed))) {
      this.logged.push({ permission: requirement, accountId: detail.accountId, allowed, reason: detail.reason });
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
