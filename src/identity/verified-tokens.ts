/** How long a verified token is taken on trust before its signature is checked again. */
const MAX_AGE_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Remembers what verifying a token gave, by the token's exact text, until it expires (at most a minute): a client
 * sends the same token on every request, and its signature cannot change. Who the token names is still read from
 * the database on every request; only the signature check is skipped.
 */
export class VerifiedTokens<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();

  get(token: string): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.until > Date.now()) return entry.value;
    this.entries.delete(token);
    return undefined;
  }

  /** `exp` in seconds since the epoch, as JWTs carry it; a token without one is kept for the maximum age. */
  set(token: string, value: T, exp: number | undefined): void {
    const until = Math.min(Date.now() + MAX_AGE_MS, typeof exp === 'number' ? exp * 1000 : Infinity);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { value, until });
  }
}
