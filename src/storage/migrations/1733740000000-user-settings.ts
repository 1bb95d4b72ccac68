import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** My Settings: a user's personal preferences and an email change waiting for its confirmation. */
export class UserSettings1733740000000 implements MigrationInterface {
  name = 'UserSettings1733740000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'user_settings',
        columns: [
          { name: 'user_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'preferences', type: 'text' },
          { name: 'pending_email', type: 'varchar', length: '254', isNullable: true },
          { name: 'email_code_hash', type: 'varchar', length: '64', isNullable: true },
          { name: 'email_code_expires_at', type: 'datetime', precision: 3, isNullable: true },
          { name: 'updated_at', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'idx_user_settings_pending_email', columnNames: ['pending_email'] })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('user_settings');
  }
}
