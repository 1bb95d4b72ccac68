import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { auditEventHash } from '../audit-chain';
import { isSqlite } from './dialect';

interface EventRow {
  id: string;
  occurred_at: Date | string;
  actor_user_id: string;
  subject_account_id: string;
  action: string;
  target_type: string;
  target_id: string;
  request_id: string;
  impersonation_session_id: string | null;
  delegated_relationship_id: string | null;
  details: string | null;
}

/** SQLite returns datetimes as the UTC text TypeORM wrote; MySQL as Dates. */
const instant = (value: Date | string): Date => (value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`));

/**
 * A searchable, tamper-evident trail: the user each event was about, indexes for the filters, and a hash chain per
 * account with its head. Existing events are chained in the order they happened.
 */
export class AuditSearchAndChain1733200000000 implements MigrationInterface {
  name = 'AuditSearchAndChain1733200000000';

  async up(runner: QueryRunner): Promise<void> {
    const integer = isSqlite(runner) ? 'integer' : 'int';
    await runner.addColumns('audit_events', [
      new TableColumn({ name: 'subject_user_id', type: 'varchar', length: '36', isNullable: true }),
      new TableColumn({ name: 'sequence', type: integer, default: 0 }),
      new TableColumn({ name: 'previous_hash', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'hash', type: 'varchar', length: '64', default: "''" }),
    ]);
    await runner.createTable(
      new Table({
        name: 'audit_chain_heads',
        columns: [
          { name: 'account_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'sequence', type: integer },
          { name: 'hash', type: 'varchar', length: '64', isNullable: true },
        ],
      }),
    );
    await runner.query("UPDATE audit_events SET subject_user_id = target_id WHERE target_type = 'User'");
    const rows = (await runner.query(
      'SELECT id, occurred_at, actor_user_id, subject_account_id, action, target_type, target_id, request_id, impersonation_session_id, delegated_relationship_id, details FROM audit_events ORDER BY subject_account_id, occurred_at, id',
    )) as EventRow[];
    const heads = new Map<string, { sequence: number; hash: string | null }>();
    for (const row of rows) {
      const head = heads.get(row.subject_account_id) ?? { sequence: 0, hash: null };
      const event = {
        id: row.id,
        sequence: head.sequence + 1,
        occurredAt: instant(row.occurred_at),
        actorUserId: row.actor_user_id,
        subjectAccountId: row.subject_account_id,
        subjectUserId: row.target_type === 'User' ? row.target_id : null,
        action: row.action,
        targetType: row.target_type,
        targetId: row.target_id,
        requestId: row.request_id,
        impersonationSessionId: row.impersonation_session_id,
        delegatedRelationshipId: row.delegated_relationship_id,
        details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
        previousHash: head.hash,
      };
      const hash = auditEventHash(event);
      await runner.query('UPDATE audit_events SET sequence = ?, previous_hash = ?, hash = ? WHERE id = ?', [event.sequence, event.previousHash, hash, row.id]);
      heads.set(row.subject_account_id, { sequence: event.sequence, hash });
    }
    for (const [accountId, head] of heads) await runner.query('INSERT INTO audit_chain_heads (account_id, sequence, hash) VALUES (?, ?, ?)', [accountId, head.sequence, head.hash]);
    await runner.changeColumn('audit_events', 'sequence', new TableColumn({ name: 'sequence', type: integer }));
    await runner.changeColumn('audit_events', 'hash', new TableColumn({ name: 'hash', type: 'varchar', length: '64' }));
    await runner.createIndices('audit_events', [
      new TableIndex({ name: 'uq_audit_events_chain', columnNames: ['subject_account_id', 'sequence'], isUnique: true }),
      new TableIndex({ name: 'idx_audit_events_actor', columnNames: ['actor_user_id', 'occurred_at'] }),
      new TableIndex({ name: 'idx_audit_events_subject_user', columnNames: ['subject_user_id', 'occurred_at'] }),
      // The platform's roll-up reads every account's events in time order.
      new TableIndex({ name: 'idx_audit_events_time', columnNames: ['occurred_at', 'id'] }),
    ]);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const name of ['uq_audit_events_chain', 'idx_audit_events_actor', 'idx_audit_events_subject_user', 'idx_audit_events_time']) await runner.dropIndex('audit_events', name);
    await runner.dropTable('audit_chain_heads');
    for (const name of ['hash', 'previous_hash', 'sequence', 'subject_user_id']) await runner.dropColumn('audit_events', name);
  }
}
