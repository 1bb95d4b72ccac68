import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Each account setting's last change (when, by whom) and the sealed values of secret settings. */
export class AccountSettings1733720000000 implements MigrationInterface {
  name = 'AccountSettings1733720000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'account_settings',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'key', type: 'varchar', length: '64', isPrimary: true },
          { name: 'sealed_value', type: 'text', isNullable: true },
          { name: 'updated_at', type: 'datetime', precision: 3 },
          { name: 'updated_by_user_id', type: 'varchar', length: '36' },
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('account_settings');
  }
}
