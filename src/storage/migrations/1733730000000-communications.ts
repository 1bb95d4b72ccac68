import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Communications sent by topic, each recipient's inbox entry, and the provider contacts named for an account. */
export class Communications1733730000000 implements MigrationInterface {
  name = 'Communications1733730000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'communications',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'topic', type: 'varchar', length: '64' },
          { name: 'subject', type: 'varchar', length: '200' },
          { name: 'body', type: 'text' },
          { name: 'sender_user_id', type: 'varchar', length: '36' },
          { name: 'sent_at', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'idx_communications_account', columnNames: ['account_id', 'sent_at', 'id'] })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'communication_recipients',
        columns: [
          { name: 'communication_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'sent_at', type: 'datetime', precision: 3 },
          { name: 'read_at', type: 'datetime', precision: 3, isNullable: true },
        ],
        indices: [new TableIndex({ name: 'idx_communication_recipients_inbox', columnNames: ['user_id', 'sent_at', 'communication_id'] })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'provider_contacts',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'role', type: 'varchar', length: '64' },
          { name: 'named_by_user_id', type: 'varchar', length: '36' },
          { name: 'named_at', type: 'datetime', precision: 3 },
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('provider_contacts');
    await runner.dropTable('communication_recipients');
    await runner.dropTable('communications');
  }
}
