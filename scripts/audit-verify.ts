import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { chainedAccountIds, verifyAuditChain } from '../src/storage/audit-chain';
import { Database } from '../src/storage/database';

/**
 * `npm run audit:verify [-- <accountId>…]`: walks every account's audit hash chain (or the named ones) in the
 * database Portico uses and names the first broken link of each. Exits 1 when any chain is broken.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = await Database.open(config);
  try {
    const named = process.argv.slice(2);
    const accounts = named.length > 0 ? named : await chainedAccountIds(db.manager);
    let broken = 0;
    let events = 0;
    for (const accountId of accounts) {
      const report = await verifyAuditChain(db.manager, accountId);
      events += report.checked;
      if (!report.ok) {
        broken++;
        console.log(`account ${accountId}: BROKEN at event ${report.firstBrokenEventId ?? '(none left)'} after ${report.checked} events checked`);
      }
    }
    console.log(`${broken === 0 ? 'ok' : 'tampered'}: ${accounts.length} accounts, ${events} events checked, ${broken} broken chain${broken === 1 ? '' : 's'}`);
    process.exitCode = broken === 0 ? 0 : 1;
  } finally {
    await db.close();
  }
}

main().catch((error: Error) => {
  console.error(error.name === 'ConfigError' ? error.message : error);
  process.exit(2);
});
