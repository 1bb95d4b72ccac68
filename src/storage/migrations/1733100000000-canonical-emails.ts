import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { canonicalEmail, visibly } from '../../identifiers';

interface UserRow {
  id: string;
  email: string;
}

interface Rewrite {
  id: string;
  email: string;
  skeleton: string;
}

const quoted = (row: UserRow) => `${visibly(row.email, 254)} (user ${row.id})`;

/**
 * The canonical email and skeleton digest of every stored user, and what stands in the way: an email that is no
 * address, or two users who would share an email, or whose emails look alike. Those are reported, never merged.
 */
export function canonicalEmailsOf(rows: UserRow[]): { rewrites: Rewrite[]; problems: string[] } {
  const rewrites: Rewrite[] = [];
  const problems: string[] = [];
  const byEmail = new Map<string, UserRow>();
  const bySkeleton = new Map<string, UserRow>();
  for (const row of rows) {
    const canonical = canonicalEmail(row.email);
    if (!canonical.ok) {
      problems.push(`${quoted(row)} is not an email address: ${canonical.reason}`);
      continue;
    }
    const same = byEmail.get(canonical.email);
    const alike = bySkeleton.get(canonical.skeleton);
    if (same) problems.push(`${quoted(same)} and ${quoted(row)} are the same address`);
    else if (alike) problems.push(`${quoted(alike)} and ${quoted(row)} look alike`);
    byEmail.set(canonical.email, same ?? row);
    bySkeleton.set(canonical.skeleton, alike ?? row);
    rewrites.push({ id: row.id, email: canonical.email, skeleton: canonical.skeleton });
  }
  return { rewrites, problems };
}

const isMysql = (runner: QueryRunner) => ['mysql', 'mariadb'].includes(runner.connection.driver.options.type);

/**
 * Emails in their canonical form (NFKC, case-folded local part, UTS #46 domain), with the digest of their UTS #39
 * skeleton in a unique column. On MySQL / MariaDB the email compares byte for byte: the canonical form decides
 * what is equal, not an accent- and case-insensitive collation.
 */
export class CanonicalEmails1733100000000 implements MigrationInterface {
  name = 'CanonicalEmails1733100000000';

  async up(runner: QueryRunner): Promise<void> {
    // Checked before any change: on MySQL a schema change commits at once, so a refusal must come first.
    const rows = (await runner.query('SELECT id, email FROM users ORDER BY id')) as UserRow[];
    const { rewrites, problems } = canonicalEmailsOf(rows);
    if (problems.length > 0) {
      throw new Error(`migration 1733100000000-canonical-emails stopped, nothing changed: ${problems.join('; ')}. Change or remove one user of each, then start again.`);
    }
    if (isMysql(runner)) await runner.query('ALTER TABLE `users` MODIFY `email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL');
    await runner.addColumn('users', new TableColumn({ name: 'email_skeleton', type: 'varchar', length: '64', isNullable: true }));
    for (const { id, email, skeleton } of rewrites) await runner.query('UPDATE users SET email = ?, email_skeleton = ? WHERE id = ?', [email, skeleton, id]);
    await runner.changeColumn('users', 'email_skeleton', new TableColumn({ name: 'email_skeleton', type: 'varchar', length: '64' }));
    await runner.createIndex('users', new TableIndex({ name: 'uq_users_email_skeleton', columnNames: ['email_skeleton'], isUnique: true }));
  }

  /** The emails stay canonical: their earlier spellings are not kept anywhere. */
  async down(runner: QueryRunner): Promise<void> {
    await runner.dropIndex('users', 'uq_users_email_skeleton');
    await runner.dropColumn('users', 'email_skeleton');
    if (isMysql(runner)) await runner.query('ALTER TABLE `users` MODIFY `email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL');
  }
}
