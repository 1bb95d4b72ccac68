import { randomUUID } from 'crypto';
import type { AccountSettings, AccountType, PartnerGroupRule } from '../policy';
import { addAccount, addUser } from './bootstrap';
import type { Database } from './database';
import { AccountEntity, ContactRoleEntity, PartnerGroupEntity, UserEntity, ViewEntity } from './entities';

export interface DemoUser {
  email: string;
  name: string;
  roles: string[];
  contactRoles?: string[];
}

export interface DemoAccount {
  type: AccountType;
  name: string;
  settings?: AccountSettings;
  users: DemoUser[];
  children?: DemoAccount[];
}

const u = (email: string, name: string, roles: string[], contactRoles: string[] = []): DemoUser => ({ email, name, roles, contactRoles });

/** Demo tenants under the platform, per preset: two partners, customers under them and a direct customer. */
export const DEMO_DATA: Record<string, DemoAccount[]> = {
  dstny: [
    {
      type: 'PARTNER', name: 'Northwind Telecom', users: [
        u('ppa@northwind.example', 'Paula Partner-Admin', ['PARTNER_PORTAL_ADMINISTRATOR'], ['COMMERCIAL_CONTACT']),
        u('ppm@northwind.example', 'Mark Manager', ['PARTNER_PORTAL_MANAGER'], ['TECHNICAL_CONTACT']),
        u('ppu@northwind.example', 'Uma User', ['PARTNER_PORTAL_USER'], ['BILLING_CONTACT']),
      ],
      children: [
        { type: 'CUSTOMER', name: 'Acme Logistics', users: [
          u('admin@acme.example', 'Alice Admin', ['PORTAL_ADMINISTRATOR'], ['TECHNICAL_CONTACT', 'COMMERCIAL_CONTACT']),
          u('fleet@acme.example', 'Fred Fleet', ['FLEET_ADMINISTRATOR'], ['TECHNICAL_CONTACT']),
          u('insight@acme.example', 'Iris Insight', ['INSIGHT_USER']),
          u('billing@acme.example', 'Bill Billing', [], ['BILLING_CONTACT']),
        ] },
        { type: 'CUSTOMER', name: 'Globex', users: [u('admin@globex.example', 'Gina Globex', ['PORTAL_ADMINISTRATOR'], ['BILLING_CONTACT'])] },
      ],
    },
    {
      type: 'PARTNER', name: 'Contoso Networks', users: [u('ppa@contoso.example', 'Carl Contoso', ['PARTNER_PORTAL_ADMINISTRATOR'])],
      children: [{ type: 'CUSTOMER', name: 'Initech', users: [u('admin@initech.example', 'Ivan Initech', ['PORTAL_ADMINISTRATOR'])] }],
    },
    { type: 'CUSTOMER', name: 'Umbrella Direct', users: [u('admin@umbrella.example', 'Uri Umbrella', ['PORTAL_ADMINISTRATOR'], ['TECHNICAL_CONTACT'])] },
  ],
  appdirect: [
    {
      type: 'PARTNER', name: 'Northwind Cloud', users: [
        u('am@northwind.example', 'Ann Account-Manager', ['ACCOUNT_MANAGER'], ['COMMERCIAL_CONTACT']),
        u('billing@northwind.example', 'Ben Billing', ['BILLING_MANAGER'], ['BILLING_CONTACT']),
        u('tech@northwind.example', 'Tess Technical', ['TECHNICAL_MANAGER'], ['TECHNICAL_CONTACT']),
        u('subs@northwind.example', 'Sam Subscriptions', ['SUBSCRIPTION_MANAGER']),
        u('advisor@northwind.example', 'Ada Advisor', ['DELEGATED_ACCOUNT_ADMINISTRATOR']),
      ],
      children: [
        { type: 'SUB_PARTNER', name: 'Northwind East', users: [
          u('am@east.example', 'Ed East', ['ACCOUNT_MANAGER']),
          u('tech@east.example', 'Tom East-Tech', ['TECHNICAL_MANAGER']),
          u('subs@east.example', 'Sid East-Subscriptions', ['SUBSCRIPTION_MANAGER']),
        ], children: [{ type: 'CUSTOMER', name: 'Eastside Dental', users: [u('am@eastside.example', 'Eve Eastside', ['ACCOUNT_MANAGER'])] }] },
        { type: 'CUSTOMER', name: 'Acme Retail', users: [
          u('am@acme.example', 'Alice Acme', ['ACCOUNT_MANAGER'], ['TECHNICAL_CONTACT']),
          u('billing@acme.example', 'Bill Acme', ['BILLING_MANAGER'], ['BILLING_CONTACT']),
          u('tech@acme.example', 'Tina Acme', ['TECHNICAL_MANAGER']),
          u('subs@acme.example', 'Sara Acme', ['SUBSCRIPTION_MANAGER']),
        ] },
      ],
    },
    {
      type: 'PARTNER', name: 'Contoso Cloud', users: [u('am@contoso.example', 'Carl Contoso', ['ACCOUNT_MANAGER'])],
      children: [{ type: 'CUSTOMER', name: 'Initech', users: [u('am@initech.example', 'Ivan Initech', ['ACCOUNT_MANAGER'])] }],
    },
    {
      type: 'AFFILIATE', name: 'Fabrikam Affiliates', users: [
        u('am@fabrikam.example', 'Fay Fabrikam', ['ACCOUNT_MANAGER']),
        u('tech@fabrikam.example', 'Finn Fabrikam', ['TECHNICAL_MANAGER']),
      ],
      children: [{ type: 'CUSTOMER', name: 'Fabrikam Client', users: [u('am@fabclient.example', 'Flo Client', ['ACCOUNT_MANAGER'])] }],
    },
    { type: 'CUSTOMER', name: 'Umbrella Direct', users: [u('am@umbrella.example', 'Uri Umbrella', ['ACCOUNT_MANAGER'])] },
  ],
  unifyr: [
    {
      type: 'PARTNER', name: 'Northwind Solutions', settings: { adminsMayAssignRoles: true }, users: [
        u('admin@northwind.example', 'Ada Admin', ['ADMINISTRATOR'], ['COMMERCIAL_CONTACT']),
        u('marketing@northwind.example', 'Mia Marketing', ['MARKETING'], ['BILLING_CONTACT']),
        u('sales@northwind.example', 'Sol Sales', ['SALES'], ['TECHNICAL_CONTACT']),
        u('rep@northwind.example', 'Rex Rep', ['SALES_REP']),
      ],
    },
    {
      type: 'PARTNER', name: 'Contoso Resellers', settings: { modules: ['leads', 'deals', 'content'] }, users: [
        u('admin@contoso.example', 'Carl Contoso', ['ADMINISTRATOR']),
        u('sales@contoso.example', 'Sue Contoso', ['SALES']),
      ],
    },
  ],
};

/** Demo users of the platform account itself, beside the bootstrap operator. */
export const DEMO_PLATFORM_USERS: Record<string, DemoUser[]> = {
  unifyr: [u('supplier@platform.local', 'Sasha Supplier', ['SUPPLIER_ADMINISTRATOR'])],
};

const rule = (parts: Partial<PartnerGroupRule>): PartnerGroupRule => ({ accountTypes: [], modules: [], roles: [], customRoles: [], settings: {}, ...parts });

/**
 * Partner groups of the demo platform. Gold partners: the Administrators and Marketing of partners with the social
 * module on (Northwind's, not Contoso's); the leads demo subgraph shows a campaign asset to them alone.
 */
export const DEMO_PARTNER_GROUPS: Record<string, Array<{ name: string; rule: PartnerGroupRule }>> = {
  unifyr: [{ name: 'Gold partners', rule: rule({ accountTypes: ['PARTNER'], modules: ['social'], roles: ['ADMINISTRATOR', 'MARKETING'] }) }],
};

/** Custom views of the demo platform, each shown to the partner groups named (by name here, by id once stored). */
export const DEMO_VIEWS: Record<string, Array<{ name: string; path: string; description: string; groups: string[] }>> = {
  unifyr: [{ name: 'Gold co-marketing', path: '/campaigns/gold', description: 'Campaign kits for Gold partners.', groups: ['Gold partners'] }],
};

/**
 * Seeds the preset's demo tenants under the platform, once: a database that has them already is left alone.
 * Reports each tenant as it is written.
 */
export async function seedDemoData(db: Database, preset: string, platform: AccountEntity, progress: (line: string) => void = () => {}): Promise<number> {
  const tenants = DEMO_DATA[preset];
  if (!tenants) return 0;
  // Under the start-up lock, as the platform is created: instances starting together seed once.
  return db.exclusively(() => db.transaction(async (em) => {
    if ((await em.countBy(AccountEntity, {})) > 1) return 0;
    let accounts = 0;
    let tenant = 0;
    const add = async (parent: AccountEntity, spec: DemoAccount) => {
      const account = await addAccount(em, parent, spec.type, spec.name, spec.settings ?? {});
      accounts++;
      if (parent === platform) progress(`seeding ${preset} demo tenant ${++tenant}/${tenants.length}: ${spec.name}`);
      for (const user of spec.users) {
        const entity = await addUser(em, account, user);
        for (const role of user.contactRoles ?? []) await em.insert(ContactRoleEntity, { id: randomUUID(), userId: entity.id, accountId: account.id, role });
      }
      for (const child of spec.children ?? []) await add(account, child);
    };
    for (const user of DEMO_PLATFORM_USERS[preset] ?? []) await addUser(em, platform, user);
    for (const tenant of tenants) await add(platform, tenant);
    const operator = await em.findOneByOrFail(UserEntity, { accountId: platform.id });
    const now = new Date();
    for (const group of DEMO_PARTNER_GROUPS[preset] ?? []) {
      await em.insert(PartnerGroupEntity, { id: randomUUID(), platformAccountId: platform.id, name: group.name, nameKey: group.name.toLowerCase(), rule: group.rule, createdByUserId: operator.id, createdAt: now, updatedAt: now });
    }
    for (const [position, view] of (DEMO_VIEWS[preset] ?? []).entries()) {
      const groups = await Promise.all(view.groups.map((name) => em.findOneByOrFail(PartnerGroupEntity, { platformAccountId: platform.id, name })));
      const audience = { partnerGroupIds: groups.map((g) => g.id) };
      await em.insert(ViewEntity, { id: randomUUID(), platformAccountId: platform.id, name: view.name, path: view.path, pathKey: view.path.toLowerCase(), description: view.description, position, audience, createdByUserId: operator.id, createdAt: now, updatedAt: now });
    }
    return accounts;
  }));
}
