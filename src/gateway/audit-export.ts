import type { IncomingMessage, ServerResponse } from 'http';
import type { Logger } from 'pino';
import { auditEventQuery, readAuditPage, type AuditEventFilter } from '../domain/audit-trail.service';
import { RequestContext, type Services } from '../domain/context';
import { badInput, clientCodeOf, httpStatusOf, PorticoError } from '../errors';
import type { AuditEventEntity } from '../storage/entities';
import { readChainHeads, signCheckpoint } from '../storage/audit-checkpoints';
import type { IdentityResolver } from './context';
import { sendJson } from 'portico-kit/http';

export const AUDIT_EXPORT_PATH = '/audit/export';

/** The HTTP trailer carrying the export's signed checkpoint (base64url JSON), for either format. */
export const CHECKPOINT_TRAILER = 'x-portico-audit-checkpoint';

/** Rows read per statement: memory stays at one page, whatever the trail's size. */
const PAGE = 1_000;

const COLUMNS = [
  'id',
  'occurredAt',
  'sequence',
  'subjectAccountId',
  'actorUserId',
  'subjectUserId',
  'action',
  'targetType',
  'targetId',
  'requestId',
  'impersonationSessionId',
  'delegatedRelationshipId',
  'details',
  'previousHash',
  'hash',
] as const;


function record(event: AuditEventEntity): Record<(typeof COLUMNS)[number], string | number | null | Record<string, unknown>> {
  return { ...event, occurredAt: event.occurredAt.toISOString() };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  // A spreadsheet would run a cell starting with = + - @ as a formula: such text is quoted and marked as text.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n']/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const line = (format: 'ndjson' | 'csv', event: AuditEventEntity): string => {
  const row = record(event);
  return format === 'ndjson' ? `${JSON.stringify(row)}\n` : `${COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`;
};

/** The filter from the query string: the same names as AuditEventFilter; anything malformed is BAD_USER_INPUT. */
function filterOf(params: URLSearchParams): AuditEventFilter {
  const date = (name: 'from' | 'to') => {
    const value = params.get(name);
    if (value === null) return undefined;
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime())) throw badInput(`${name} is not a date`, { field: name });
    return parsed;
  };
  const flag = params.get('includeDescendants');
  if (flag !== null && flag !== 'true' && flag !== 'false') throw badInput('includeDescendants must be true or false', { field: 'includeDescendants' });
  return {
    includeDescendants: flag === 'true',
    actorUserId: params.get('actorUserId') ?? undefined,
    subjectUserId: params.get('subjectUserId') ?? undefined,
    action: params.get('action') ?? undefined,
    impersonationSessionId: params.get('impersonationSessionId') ?? undefined,
    delegationId: params.get('delegationId') ?? undefined,
    from: date('from'),
    to: date('to'),
  };
}

/** Waits until the socket has room again: a slow reader slows the export down instead of filling memory. */
const drained = (res: ServerResponse) => new Promise<void>((resolve) => {
  const done = () => {
    res.off('drain', done);
    res.off('close', done);
    resolve();
  };
  res.on('drain', done);
  res.on('close', done);
});

/**
 * `GET /audit/export?accountId=…&format=ndjson|csv` and the AuditEventFilter fields: the trail `auditEvents`
 * would show the bearer, newest first, one line per event (CSV: a header row first), streamed page by page; then a
 * checkpoint of the chains it read, signed with the audit key (NDJSON: a last line; both: an HTTP trailer).
 */
export async function exportAuditTrail(req: IncomingMessage, res: ServerResponse, url: URL, services: Services, identities: IdentityResolver, requestId: string, logger: Logger): Promise<void> {
  let pages: { next: () => Promise<AuditEventEntity[]> };
  let format: 'ndjson' | 'csv';
  try {
    if (req.method !== 'GET') throw badInput('the export is read with GET');
    const requested = url.searchParams.get('format') ?? 'ndjson';
    if (requested !== 'ndjson' && requested !== 'csv') throw badInput('format must be ndjson or csv', { field: 'format' });
    format = requested;
    const accountId = url.searchParams.get('accountId');
    if (!accountId) throw badInput('accountId is required', { field: 'accountId' });
    const filter = filterOf(url.searchParams);
    if (!req.headers.authorization) throw new PorticoError('UNAUTHENTICATED', 'the export needs a bearer token');
    const { principal } = await identities.resolve(req, requestId);
    // A subgraph's context token answers decisions only, never the trail.
    if (!principal || principal.viaContextToken) throw new PorticoError('UNAUTHENTICATED', 'the export needs a bearer token');
    const ctx = new RequestContext(services, requestId, principal);
    const query = await auditEventQuery(ctx, accountId, filter);
    let after: [string, string] | undefined;
    let done = false;
    pages = {
      next: async () => {
        if (done) return [];
        const rows = await readAuditPage(query, PAGE, after);
        done = rows.length < PAGE;
        const last = rows[rows.length - 1];
        if (last) after = [last.occurredAt.toISOString(), last.id];
        return rows;
      },
    };
  } catch (error) {
    const code = clientCodeOf(error);
    if (!code) throw error;
    res.setHeader('x-request-id', requestId);
    return sendJson(res, httpStatusOf(code), { errors: [{ message: (error as Error).message, extensions: { code } }] });
  }
  res.writeHead(200, {
    'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.${format}"`,
    'cache-control': 'no-store',
    'x-request-id': requestId,
    trailer: CHECKPOINT_TRAILER,
  });
  if (format === 'csv') res.write(`${COLUMNS.join(',')}\r\n`);
  let exported = 0;
  // The chains the export drew from: its trailer signs their heads.
  const chains = new Set([url.searchParams.get('accountId')!]);
  for (;;) {
    if (res.destroyed) break;
    const rows = await pages.next();
    if (rows.length === 0) break;
    const chunk = rows.map((event) => line(format, event)).join('');
    for (const event of rows) chains.add(event.subjectAccountId);
    exported += rows.length;
    if (!res.write(chunk)) await drained(res);
  }
  if (!res.destroyed) {
    // A checkpoint of those chains as they stand now, signed with the audit key: whoever keeps the export keeps it.
    const checkpoint = signCheckpoint(services.db.auditKey, await readChainHeads(services.db.manager, [...chains]));
    if (format === 'ndjson') res.write(`${JSON.stringify({ checkpoint })}\n`);
    res.addTrailers({ [CHECKPOINT_TRAILER]: Buffer.from(JSON.stringify(checkpoint)).toString('base64url') });
  }
  res.end();
  logger.info({ requestId, exported, format }, 'audit trail exported');
}
