/** Allowed and denied counts of one requirement (a permission, an action or a gateway rule). */
export interface DecisionCount {
  allowed: number;
  denied: number;
}

/**
 * The authorization decisions one request made, by requirement: what its log line summarises and the metrics
 * count. Recorded beside the decision, never inside the pure policy engine.
 */
export class DecisionTally {
  readonly byRequirement = new Map<string, DecisionCount>();

  record(requirement: string, allowed: boolean): void {
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
