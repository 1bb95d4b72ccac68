import { Brackets, type SelectQueryBuilder } from 'typeorm';
import type { PorticoScope } from 'portico-kit';
import type { LeadEntity } from './lead.entity';

/**
 * What each `leads:read` scope shows of an account's leads:
 * - `all`: every lead;
 * - `distributed`: leads from marketing activities and those distributed to the viewer, never registered leads;
 * - `assigned`: the leads assigned to the viewer, never registered leads.
 * The same rule twice: as a WHERE clause for lists, as a predicate for one lead (entity resolution).
 */
export function whereLeadScope(query: SelectQueryBuilder<LeadEntity>, alias: string, scope: PorticoScope, userId: string): SelectQueryBuilder<LeadEntity> {
  if (scope === 'all') return query;
  query.andWhere(`${alias}.source <> :registered`, { registered: 'REGISTERED' });
  if (scope === 'distributed') {
    return query.andWhere(new Brackets((or) => or.where(`${alias}.source = :marketing`, { marketing: 'MARKETING' }).orWhere(`${alias}.assignedToUserId = :viewer`, { viewer: userId })));
  }
  return query.andWhere(`${alias}.assignedToUserId = :viewer`, { viewer: userId });
}

export function leadInScope(lead: LeadEntity, scope: PorticoScope | null, userId: string): boolean {
  if (scope === null) return false;
  if (scope === 'all') return true;
  if (lead.source === 'REGISTERED') return false;
  if (scope === 'distributed' && lead.source === 'MARKETING') return true;
  return lead.assignedToUserId === userId;
}
