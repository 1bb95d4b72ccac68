import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite } from './dialect';

/**
 * The lifecycle scheduler: expiries recorded on grants and sessions, auto-extending relationships, the expiry
 * warnings sent (so each is sent once) and the leases that make one instance run each job.
 */
export class LifecycleScheduler1733400000000 implements MigrationInterface {
  name = 'LifecycleScheduler1733400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.addColumn('delegated_admin_relationships', new TableColumn({ name: 'auto_extend', type: 'boolean', default: isSqlite(runner) ? 0 : false }));
    await runner.addColumn('impersonation_grants', new TableColumn({ name: 'expired_at', type: 'datetime', precision: 3, isNullable: true }));
    await runner.addColumn('impersonation_sessions', new TableColumn({ name: 'expired_at', type: 'datetime', precision: 3, isNullable: true }));
    await runner.createTable(
      new Table({
        name: 'delegation_expiry_warnings',
        columns: [
          { name: 'relationship_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'expires_at', type: 'datetime', precision: 3, isPrimary: true },
          { name: 'days_before', type: isSqlite(runner) ? 'integer' : 'int', isPrimary: true },
          { name: 'sent_at', type: 'datetime', precision: 3 },
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'scheduler_leases',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '64' },
          { name: 'leased_until', type: 'datetime', precision: 3 },
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('scheduler_leases');
    await runner.dropTable('delegation_expiry_warnings');
    await runner.dropColumn('impersonation_sessions', 'expired_at');
    await runner.dropColumn('impersonation_grants', 'expired_at');
    await runner.dropColumn('delegated_admin_relationships', 'auto_extend');
  }
}
