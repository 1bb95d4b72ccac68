import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Partner groups: a name unique per platform and the rule its members are computed from. */
export class PartnerGroups1733500000000 implements MigrationInterface {
  name = 'PartnerGroups1733500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'partner_groups',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'platform_account_id', type: 'varchar', length: '36' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'name_key', type: 'varchar', length: '200' },
          { name: 'rule', type: 'text' },
          { name: 'created_by_user_id', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'datetime', precision: 3 },
          { name: 'updated_at', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'uq_partner_groups_platform_name', columnNames: ['platform_account_id', 'name_key'], isUnique: true })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('partner_groups');
  }
}
