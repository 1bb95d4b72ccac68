import type { Logger } from 'pino';
import { auditCheckpointsDir, type PorticoConfig } from '../config';
import { readChainHeads, signCheckpoint, writeCheckpointFile, type Checkpoint } from '../storage/audit-checkpoints';
import type { Database } from '../storage/database';

/**
 * Signs checkpoints of the audit chains with the audit key and writes them outside the database
 * (`PORTICO_AUDIT_CHECKPOINTS`): once at start (every chain, so a trail made before the key is anchored at once),
 * then every `PORTICO_AUDIT_CHECKPOINT_INTERVAL_MS` the chains whose head moved since. Every instance may run it:
 * each writes files of its own, and a verification reads them all.
 */
export class AuditCheckpointer {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;
  /** The heads this instance last signed, by account. */
  private readonly signed = new Map<string, string | null>();

  constructor(
    private readonly db: Database,
    private readonly config: Pick<PorticoConfig, 'auditCheckpoints' | 'auditCheckpointIntervalMs' | 'dataDir'>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch((error: unknown) => this.logger.error({ err: error }, 'audit checkpoint failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.config.auditCheckpointIntervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Signs and writes a checkpoint of the chains that moved since this instance's last one; null when none did. */
  async runOnce(): Promise<{ file: string; checkpoint: Checkpoint } | null> {
    const heads = (await readChainHeads(this.db.manager)).filter((head) => !this.signed.has(head.accountId) || this.signed.get(head.accountId) !== head.hash);
    if (heads.length === 0) return null;
    const checkpoint = signCheckpoint(this.db.auditKey, heads);
    const file = writeCheckpointFile(auditCheckpointsDir(this.config), checkpoint);
    for (const head of heads) this.signed.set(head.accountId, head.hash);
    this.logger.info({ file, chains: heads.length }, 'audit checkpoint signed');
    return { file, checkpoint };
  }
}
