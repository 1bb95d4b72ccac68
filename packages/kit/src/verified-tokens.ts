import { LRUCache } from 'lru-cache';
/** How long a verified token is taken on trust before its signature is checked again. */
const MAX_AGE_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Remembers what verifying a token gave, by the token's exact text, until it expires (at most a minute): a client
 * sends the same token on every request, and its signature cannot change. Who the token names is still read from
 * the database on every request; only the signature check is skipped.
 */
export class VerifiedTokens<T extends {}> {
  private readonly entries = new LRUCache<string, T>({ max: MAX_ENTRIES, ttl: MAX_AGE_MS });

  get(token: string): T | undefined {
    return this.entries.get(token);
  }

  /** `exp` in seconds since the epoch, as JWTs carry it; a token without one is kept for the maximum age. */
  set(token: string, value: T, exp: number | undefined): void {
    const ttl = Math.min(MAX_AGE_MS, typeof exp === 'number' ? exp * 1000 - Date.now() : MAX_AGE_MS);
    // An already expired token is never remembered: it is refused again, and says so.
    if (ttl > 0) this.entries.set(token, value, { ttl });
  }
}
