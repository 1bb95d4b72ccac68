import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { isSqlite } from './dialect';

const id = (name = 'id') => ({ name, type: 'varchar', length: '36' });
const createdAt = { name: 'created_at', type: 'datetime', precision: 6, default: 'CURRENT_TIMESTAMP(6)' };

/** Accounts (materialized path), users, rights, contact roles, custom roles and the audit trail. */
export class InitialSchema1732280000000 implements MigrationInterface {
  name = 'InitialSchema1732280000000';

  async up(runner: QueryRunner): Promise<void> {
    const sqlite = isSqlite(runner);
    // SQLite has no fractional CURRENT_TIMESTAMP; TypeORM's own default for it is datetime('now').
    const created = sqlite ? { name: 'created_at', type: 'datetime', default: "datetime('now')" } : createdAt;
    await runner.createTable(
      new Table({
        name: 'accounts',
        columns: [
          { ...id(), isPrimary: true },
          { name: 'type', type: 'varchar', length: '16' },
          { name: 'name', type: 'varchar', length: '200' },
          { ...id('parent_id'), isNullable: true },
          { name: 'status', type: 'varchar', length: '16', default: "'ACTIVE'" },
          { name: 'settings', type: 'text' },
          { name: 'path', type: 'varchar', length: '400' },
          { name: 'depth', type: sqlite ? 'integer' : 'int' },
          created,
        ],
        indices: [
          new TableIndex({ name: 'idx_accounts_path', columnNames: ['path'] }),
          new TableIndex({ name: 'idx_accounts_parent_name', columnNames: ['parent_id', 'name', 'id'] }),
          new TableIndex({ name: 'idx_accounts_name', columnNames: ['name', 'id'] }),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'users',
        columns: [
          { ...id(), isPrimary: true },
          id('account_id'),
          { name: 'email', type: 'varchar', length: '254' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'status', type: 'varchar', length: '16', default: "'INVITED'" },
          created,
        ],
        indices: [
          new TableIndex({ name: 'uq_users_email', columnNames: ['email'], isUnique: true }),
          new TableIndex({ name: 'idx_users_account_email', columnNames: ['account_id', 'email'] }),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'role_assignments',
        columns: [
          { ...id(), isPrimary: true },
          id('user_id'),
          id('account_id'),
          { name: 'role', type: 'varchar', length: '64' },
          { ...id('custom_role_id'), isNullable: true },
          created,
        ],
        indices: [
          new TableIndex({ name: 'uq_role_assignments_user_role', columnNames: ['user_id', 'role'], isUnique: true }),
          new TableIndex({ name: 'idx_role_assignments_account_role', columnNames: ['account_id', 'role'] }),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'contact_roles',
        columns: [{ ...id(), isPrimary: true }, id('user_id'), id('account_id'), { name: 'role', type: 'varchar', length: '32' }],
        indices: [
          new TableIndex({ name: 'uq_contact_roles_user_role', columnNames: ['user_id', 'role'], isUnique: true }),
          new TableIndex({ name: 'idx_contact_roles_account_role', columnNames: ['account_id', 'role'] }),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'custom_roles',
        columns: [
          { ...id(), isPrimary: true },
          id('owner_account_id'),
          { name: 'account_type', type: 'varchar', length: '16' },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'title', type: 'varchar', length: '200' },
          { name: 'grants', type: 'text' },
          id('created_by_user_id'),
          created,
        ],
        indices: [new TableIndex({ name: 'uq_custom_roles_owner_name', columnNames: ['owner_account_id', 'name'], isUnique: true })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { ...id(), isPrimary: true },
          { name: 'occurred_at', type: 'datetime', precision: 3 },
          id('actor_user_id'),
          id('subject_account_id'),
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'target_type', type: 'varchar', length: '32' },
          id('target_id'),
          { name: 'request_id', type: 'varchar', length: '64' },
          { ...id('impersonation_session_id'), isNullable: true },
          { ...id('delegated_relationship_id'), isNullable: true },
          { name: 'details', type: 'text', isNullable: true },
        ],
        indices: [new TableIndex({ name: 'idx_audit_events_subject', columnNames: ['subject_account_id', 'occurred_at', 'id'] })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['audit_events', 'custom_roles', 'contact_roles', 'role_assignments', 'users', 'accounts']) {
      await runner.dropTable(table);
    }
  }
}
