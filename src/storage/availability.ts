import { PorticoError } from '../errors';

/** MySQL driver codes that say the server is gone or full, not that a statement was wrong. */
const CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_SERVER_GONE_ERROR',
  'ER_SERVER_LOST',
  'ER_NET_READ_ERROR',
  'ER_NET_WRITE_ERROR',
]);

/** How often a database marked unavailable is tried again. */
export const PROBE_INTERVAL_MS = 500;

const UNAVAILABLE_MESSAGE = 'the database is unavailable: try again shortly';

/** A request that needs the database while it is unreachable: refused at once, never decided without it. */
export class DatabaseUnavailableError extends PorticoError {
  constructor(readonly reason: string) {
    super('SERVICE_UNAVAILABLE', UNAVAILABLE_MESSAGE);
    this.name = 'DatabaseUnavailableError';
  }
}

/** The driver's code of an error, looking through TypeORM's QueryFailedError. */
function codeOf(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  if (typeof driverError?.code === 'string') return driverError.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when an error from the database driver means the database is out of reach (as opposed to a statement it
 * refused). Network errors count only when mysql2 flagged them: an HTTP client's ECONNREFUSED is not the database's.
 */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (!error || typeof error !== 'object') return false;
  const code = codeOf(error);
  if (code && CONNECTION_CODES.has(code)) return true;
  // mysql2 flags every error that kills a connection (refused, reset, timed out) as fatal.
  const { fatal, driverError, message } = error as { fatal?: unknown; driverError?: { fatal?: unknown; message?: unknown }; message?: unknown };
  if (fatal === true || driverError?.fatal === true) return true;
  const text = typeof driverError?.message === 'string' ? driverError.message : typeof message === 'string' ? message : '';
  return /connection is in closed state|Pool is closed/i.test(text);
}

/** A short, credential-free description of why the database is unavailable, for logs and `/readyz`. */
function reasonOf(error: unknown): string {
  return codeOf(error) ?? (error instanceof Error ? error.name : 'unknown error');
}

export interface AvailabilityEvents {
  /** Called on each change: available again (with how long it was not), or unavailable (with the reason). */
  onChange?(available: boolean, detail: { reason?: string; downForMs?: number }): void;
}

/**
 * Whether the database can be reached. A connection-class error marks it unavailable at once, and from then on
 * every request needing it fails immediately instead of waiting on connection timeouts; a background probe marks
 * it available again as soon as it answers, so Portico recovers without a restart.
 */
export class DatabaseAvailability {
  private down: { since: number; reason: string } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly listeners: Array<NonNullable<AvailabilityEvents['onChange']>> = [];

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly intervalMs = PROBE_INTERVAL_MS,
  ) {}

  get available(): boolean {
    return this.down === null;
  }

  /** Why the database is unavailable, or undefined while it is available. */
  get reason(): string | undefined {
    return this.down?.reason;
  }

  onChange(listener: NonNullable<AvailabilityEvents['onChange']>): void {
    this.listeners.push(listener);
  }

  /** Throws DatabaseUnavailableError while the database is marked unavailable. */
  assertAvailable(): void {
    if (this.down) throw new DatabaseUnavailableError(this.down.reason);
  }

  /** Looks at an error from the database: a connection-class one marks it unavailable. Returns whether it was. */
  observe(error: unknown): boolean {
    if (!isConnectionError(error)) return false;
    if (error instanceof DatabaseUnavailableError) return true;
    this.markDown(reasonOf(error));
    return true;
  }

  markDown(reason: string): void {
    if (this.down || this.stopped) return;
    this.down = { since: Date.now(), reason };
    for (const listener of this.listeners) listener(false, { reason });
    this.scheduleProbe();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    // One probe at a time; the timer never keeps the process alive on its own.
    this.timer = setTimeout(() => void this.runProbe(), this.intervalMs);
    this.timer.unref();
  }

  private async runProbe(): Promise<void> {
    this.timer = null;
    try {
      await this.probe();
    } catch (error) {
      if (this.down && isConnectionError(error)) this.down.reason = reasonOf(error);
      return this.scheduleProbe();
    }
    const down = this.down;
    if (!down || this.stopped) return;
    this.down = null;
    for (const listener of this.listeners) listener(true, { downForMs: Date.now() - down.since });
  }
}
