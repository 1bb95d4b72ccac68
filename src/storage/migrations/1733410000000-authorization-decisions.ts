import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Sampled authorization decisions, joined to the audit trail by request id. */
export class AuthorizationDecisions1733410000000 implements MigrationInterface {
  name = 'AuthorizationDecisions1733410000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'authorization_decisions',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'occurred_at', type: 'datetime', precision: 3 },
          { name: 'request_id', type: 'varchar', length: '64' },
          { name: 'user_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'actor_user_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'permission', type: 'varchar', length: '128' },
          { name: 'allowed', type: 'boolean' },
          { name: 'reason', type: 'varchar', length: '500' },
        ],
        indices: [
          new TableIndex({ name: 'idx_authorization_decisions_request', columnNames: ['request_id'] }),
          new TableIndex({ name: 'idx_authorization_decisions_time', columnNames: ['occurred_at'] }),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('authorization_decisions');
  }
}
