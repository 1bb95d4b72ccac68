import 'reflect-metadata';
import { existsSync } from 'fs';
import { auditCheckpointsDir, loadConfig } from '../src/config';
import { chainedAccountIds, verifyAuditChain } from '../src/storage/audit-chain';
import { CheckpointSet, readCheckpoints } from '../src/storage/audit-checkpoints';
import { Database } from '../src/storage/database';

/**
 * `npm run audit:verify [-- <path>… <accountId>…]`: walks every account's audit chain (or the named ones) in the
 * database Portico uses, with the audit key (PORTICO_AUDIT_KEY, or the data directory's outside production), and
 * against the signed checkpoints of PORTICO_AUDIT_CHECKPOINTS and of each path given (a checkpoint directory or
 * file, or an NDJSON export, whose trailer carries one). Names the first broken link of each chain, and each
 * account a checkpoint names whose chain is gone. Exits 1 when anything does not hold.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = await Database.open(config);
  try {
    const args = process.argv.slice(2);
    const paths = args.filter((arg) => existsSync(arg));
    const named = args.filter((arg) => !existsSync(arg));
    const checkpoints = new CheckpointSet(db.auditKey);
    for (const path of [auditCheckpointsDir(config), ...paths]) await readCheckpoints(db.auditKey, path, checkpoints);
    const accounts = named.length > 0 ? named : [...new Set([...(await chainedAccountIds(db.manager)), ...checkpoints.accountIds()])].sort();
    let broken = 0;
    let events = 0;
    let unkeyed = 0;
    for (const { source, problem } of checkpoints.refused) console.log(`checkpoint ${source}: REFUSED, ${problem}`);
    for (const accountId of accounts) {
      const report = await verifyAuditChain(db.manager, accountId, { key: db.auditKey, checkpoint: checkpoints.latest(accountId) });
      events += report.checked;
      unkeyed += report.unkeyed;
      if (!report.ok) {
        broken++;
        console.log(`account ${accountId}: BROKEN at event ${report.firstBrokenEventId ?? '(none left)'} after ${report.checked} events checked: ${report.problem}`);
      }
    }
    console.log(`audit key ${db.auditKey.id}; ${checkpoints.count} checkpoint${checkpoints.count === 1 ? '' : 's'} read, ${checkpoints.refused.length} refused; ${unkeyed} events from before the audit key`);
    const failed = broken > 0 || checkpoints.refused.length > 0;
    console.log(`${failed ? 'tampered' : 'ok'}: ${accounts.length} accounts, ${events} events checked, ${broken} broken chain${broken === 1 ? '' : 's'}`);
    process.exitCode = failed ? 1 : 0;
  } finally {
    await db.close();
  }
}

main().catch((error: Error) => {
  console.error(error.name === 'ConfigError' ? error.message : error);
  process.exit(2);
});
