import { readFileSync } from 'fs';
import { join } from 'path';
import { eventCatalogue, EVENTS_DOC, EVENTS_START, withEventCatalogue } from '../../scripts/events-docs';
import { packageRoot } from '../../src/config';
import { actionsOf, EVENT_EXAMPLES, EVENT_TYPES, eventTypeOf } from '../../src/domain/events';

describe('the event catalogue of docs/events-and-audit.md', () => {
  it('is up to date (npm run events:docs)', () => {
    const doc = readFileSync(join(packageRoot(), EVENTS_DOC), 'utf8');
    expect(doc).toContain(EVENTS_START);
    expect(doc).toBe(withEventCatalogue(doc));
  });

  it('lists every event a webhook may subscribe to, each announced by an audited action, with one example payload', () => {
    const catalogue = eventCatalogue();
    for (const type of EVENT_TYPES) {
      expect(actionsOf(type).length).toBeGreaterThan(0);
      for (const action of actionsOf(type)) expect(eventTypeOf(action)).toBe(type);
      expect(catalogue).toContain(`| \`${type}\` |`);
      expect(catalogue).toContain(`{"type":"${type}",`);
    }
    expect(Object.keys(EVENT_EXAMPLES).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('keeps the names of SPEC §7.2 and has those of §7.3', () => {
    for (const type of ['role.assigned', 'role.revoked', 'user.invited', 'impersonation.session.started', 'delegation.expiring', 'user.updated', 'user.removed', 'user.status_changed', 'user.contact_roles_changed', 'invitation.resent', 'account.created', 'account.updated', 'account.status_changed', 'account.deleted', 'custom_role.created', 'custom_role.updated', 'custom_role.deleted', 'partner_group.created', 'partner_group.updated', 'partner_group.deleted', 'view.created', 'view.updated', 'view.deleted', 'communication.sent']) {
      expect(EVENT_TYPES).toContain(type);
    }
  });
});
