import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Impersonation requests: a partner asks, the customer approves. A grant made that way records who asked and why;
 * until it is approved it is PENDING and lets nobody in.
 */
export class ImpersonationRequests1733300000000 implements MigrationInterface {
  name = 'ImpersonationRequests1733300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.addColumns('impersonation_grants', [
      new TableColumn({ name: 'requested_by_user_id', type: 'varchar', length: '36', isNullable: true }),
      new TableColumn({ name: 'request_reason', type: 'varchar', length: '500', isNullable: true }),
      new TableColumn({ name: 'approved_at', type: 'datetime', precision: 3, isNullable: true }),
    ]);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const column of ['approved_at', 'request_reason', 'requested_by_user_id']) await runner.dropColumn('impersonation_grants', column);
  }
}
