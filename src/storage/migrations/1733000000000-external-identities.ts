import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** External identities: an identity provider's `(issuer, subject)` linked once to a Portico user. */
export class ExternalIdentities1733000000000 implements MigrationInterface {
  name = 'ExternalIdentities1733000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'external_identities',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'issuer', type: 'varchar', length: '255' },
          { name: 'subject', type: 'varchar', length: '255' },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'linked_at', type: 'datetime', precision: 3 },
        ],
        indices: [
          new TableIndex({ name: 'uq_external_identities_issuer_subject', columnNames: ['issuer', 'subject'], isUnique: true }),
          new TableIndex({ name: 'uq_external_identities_user', columnNames: ['user_id'], isUnique: true }),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('external_identities');
  }
}
