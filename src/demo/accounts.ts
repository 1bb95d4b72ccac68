import type { EntityManager } from 'typeorm';
import type { PorticoViewer } from 'portico-kit';
import { DemoAccountEntity } from './demo-account.entity';
import type { DemoStore } from './store';

/** Writes a demo account's seed rows, keyed to its Portico account id. */
export type AccountSeeder = (em: EntityManager, accountId: string, accountName: string) => Promise<void>;

/**
 * Ties the demo rows to Portico's accounts. The seed is written per demo account *name* (the names of
 * src/storage/demo-data.ts); Portico's ids are random, so the subgraph learns them: from a name → id map given at
 * start, or else the first time a caller of the account touches it, from the account name their context token
 * carries (a context token reads nothing more of Portico than `authorize`). The binding is stored, so each account
 * is seeded once; an account first touched by a caller of another account (a partner reading a customer) has no rows
 * until one of its own users comes by, or the map names it.
 */
export class AccountDirectory {
  private readonly known = new Map<string, Promise<void>>();

  constructor(
    private readonly store: DemoStore,
    private readonly seeders: Readonly<Record<string, AccountSeeder>>,
  ) {}

  /**
   * Seeds the named accounts at once (a name → Portico id map, e.g. from the demo script), in the seed's own order
   * whatever the map's, so that numbered rows (ticket numbers) come out the same on every run.
   */
  async bindAll(accounts: Readonly<Record<string, string>>): Promise<void> {
    const order = Object.keys(this.seeders);
    const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
    const named = Object.entries(accounts).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
    for (const [name, id] of named) await this.bind(id, name);
  }

  /** Makes sure the account's seed rows exist before its rows are read or written. */
  ensure(viewer: PorticoViewer, accountId: string): Promise<void> {
    let pending = this.known.get(accountId);
    if (!pending) {
      pending = this.learn(viewer, accountId).then((bound) => {
        // an account the caller could not name is asked about again next time, perhaps by someone who can
        if (!bound) this.known.delete(accountId);
      });
      this.known.set(accountId, pending);
      pending.catch(() => this.known.delete(accountId));
    }
    return pending;
  }

  private async learn(viewer: PorticoViewer, accountId: string): Promise<boolean> {
    if (await this.store.manager.existsBy(DemoAccountEntity, { id: accountId })) return true;
    if (viewer.accountId !== accountId || viewer.accountName === undefined) return false;
    await this.bind(accountId, viewer.accountName);
    return true;
  }

  private async bind(id: string, name: string): Promise<void> {
    await this.store.write(async (em) => {
      if (await em.existsBy(DemoAccountEntity, { id })) return;
      await em.insert(DemoAccountEntity, { id, name });
      await this.seeders[name]?.(em, id, name);
    });
    this.known.set(id, Promise.resolve());
  }
}
