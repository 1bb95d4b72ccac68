import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite } from './dialect';

/** Revision counters of shared rows every instance keeps a copy of: the partner groups, from 0. */
export class Revisions1733600000000 implements MigrationInterface {
  name = 'Revisions1733600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'revisions',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'revision', type: isSqlite(runner) ? 'integer' : 'int' },
        ],
      }),
    );
    await runner.query(`INSERT INTO revisions (name, revision) VALUES ('partner_groups', 0)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('revisions');
  }
}
