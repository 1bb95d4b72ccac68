import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite } from './dialect';

const id = (name = 'id') => ({ name, type: 'varchar', length: '36' });
const at = (name: string, nullable = false) => ({ name, type: 'datetime', precision: 3, isNullable: nullable });

/** Impersonation grants and sessions, and delegated-administration relationships. */
export class ImpersonationAndDelegation1732380000000 implements MigrationInterface {
  name = 'ImpersonationAndDelegation1732380000000';

  async up(runner: QueryRunner): Promise<void> {
    const integer = isSqlite(runner) ? 'integer' : 'int';
    await runner.createTable(
      new Table({
        name: 'impersonation_grants',
        columns: [
          { ...id(), isPrimary: true },
          id('customer_account_id'),
          id('partner_account_id'),
          { name: 'rights', type: 'text' },
          { name: 'grants', type: 'text' },
          at('expires_at', true),
          id('granted_by_user_id'),
          at('created_at'),
          at('revoked_at', true),
          { ...id('revoked_by_user_id'), isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'idx_impersonation_grants_customer', columnNames: ['customer_account_id', 'created_at'] }),
          new TableIndex({ name: 'idx_impersonation_grants_partner', columnNames: ['partner_account_id', 'customer_account_id'] }),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'impersonation_sessions',
        columns: [
          { ...id(), isPrimary: true },
          id('grant_id'),
          id('actor_user_id'),
          id('partner_account_id'),
          id('customer_account_id'),
          { name: 'reason', type: 'varchar', length: '500' },
          at('started_at'),
          at('expires_at'),
          at('ended_at', true),
          { ...id('ended_by_user_id'), isNullable: true },
        ],
        indices: [new TableIndex({ name: 'idx_impersonation_sessions_grant', columnNames: ['grant_id', 'started_at'] })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'delegated_admin_relationships',
        columns: [
          { ...id(), isPrimary: true },
          id('partner_account_id'),
          { ...id('delegate_user_id'), isNullable: true },
          id('customer_account_id'),
          { name: 'roles', type: 'text' },
          { name: 'duration_days', type: integer },
          { name: 'status', type: 'varchar', length: '16' },
          id('requested_by_user_id'),
          at('requested_at'),
          { ...id('approved_by_user_id'), isNullable: true },
          at('approved_at', true),
          at('expires_at', true),
          { ...id('terminated_by_user_id'), isNullable: true },
          at('terminated_at', true),
        ],
        indices: [
          new TableIndex({ name: 'idx_delegated_admin_customer', columnNames: ['customer_account_id', 'requested_at'] }),
          new TableIndex({ name: 'idx_delegated_admin_partner', columnNames: ['partner_account_id', 'status'] }),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['delegated_admin_relationships', 'impersonation_sessions', 'impersonation_grants']) await runner.dropTable(table);
  }
}
