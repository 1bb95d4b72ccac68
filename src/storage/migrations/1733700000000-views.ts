import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite } from './dialect';

/** Custom views: a path unique per platform, and the partner groups (by id) they are shown to. */
export class Views1733700000000 implements MigrationInterface {
  name = 'Views1733700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'views',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'platform_account_id', type: 'varchar', length: '36' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'path', type: 'varchar', length: '300' },
          { name: 'path_key', type: 'varchar', length: '300' },
          { name: 'description', type: 'varchar', length: '1000', isNullable: true },
          { name: 'position', type: isSqlite(runner) ? 'integer' : 'int' },
          { name: 'audience', type: 'text' },
          { name: 'created_by_user_id', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'datetime', precision: 3 },
          { name: 'updated_at', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'uq_views_platform_path', columnNames: ['platform_account_id', 'path_key'], isUnique: true })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('views');
  }
}
