import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite } from './dialect';

/** The event outbox, webhooks and their deliveries. */
export class OutboxAndWebhooks1733210000000 implements MigrationInterface {
  name = 'OutboxAndWebhooks1733210000000';

  async up(runner: QueryRunner): Promise<void> {
    const integer = isSqlite(runner) ? 'integer' : 'int';
    await runner.createTable(
      new Table({
        name: 'outbox_events',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'sequence', type: integer },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'body', type: 'text' },
          { name: 'occurred_at', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'uq_outbox_events_account_sequence', columnNames: ['account_id', 'sequence'], isUnique: true })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'webhooks',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'account_id', type: 'varchar', length: '36' },
          { name: 'url', type: 'varchar', length: '2000' },
          { name: 'events', type: 'text' },
          { name: 'secret', type: 'varchar', length: '200' },
          { name: 'created_by_user_id', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'idx_webhooks_account', columnNames: ['account_id', 'created_at'] })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'webhook_id', type: 'varchar', length: '36' },
          { name: 'event_id', type: 'varchar', length: '36' },
          { name: 'sequence', type: integer },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: integer },
          { name: 'next_attempt_at', type: 'datetime', precision: 3 },
          { name: 'last_attempt_at', type: 'datetime', precision: 3, isNullable: true },
          { name: 'last_status_code', type: integer, isNullable: true },
          { name: 'last_error', type: 'varchar', length: '500', isNullable: true },
          { name: 'delivered_at', type: 'datetime', precision: 3, isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'uq_webhook_deliveries_event', columnNames: ['webhook_id', 'event_id'], isUnique: true }),
          new TableIndex({ name: 'idx_webhook_deliveries_order', columnNames: ['webhook_id', 'status', 'sequence'] }),
          new TableIndex({ name: 'idx_webhook_deliveries_due', columnNames: ['status', 'next_attempt_at'] }),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['webhook_deliveries', 'webhooks', 'outbox_events']) await runner.dropTable(table);
  }
}
