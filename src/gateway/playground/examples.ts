import type { EntityManager } from 'typeorm';
import { AccountEntity, UserEntity } from '../../storage/entities';

/** A tab the playground opens with: an operation, its variables (JSON text) and who should run it. */
export interface ExampleOperation {
  title: string;
  query: string;
  variables?: string;
  /** The demo user the operation is written for, named in the tab so a newcomer signs in as the right person. */
  runAs?: string;
}

const VIEWER = `# Who you are. Sign in above (or put {"Authorization": "Bearer <token>"} in Headers), then run.
query Viewer {
  viewer {
    user { email name roles }
    account { name type }
    actor { email }
    impersonation { id expiresAt }
  }
}
`;

const DASHBOARD = `# The partner dashboard: a page of the accounts you can see, their users and rights, and the Manage button.
# Try it as a partner's administrator (the sign-in helper preselects one).
query PartnerDashboard($first: Int = 20) {
  viewer { user { email } account { name } roles }
  accounts(first: $first) {
    nodes {
      id name type status viewerCanManage viewerCanImpersonate
      users(first: 5) { nodes { email roles contactRoles } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

type Lookup = { account(name: string): Promise<string | undefined>; user(email: string): Promise<string | undefined> };

const json = (value: Record<string, unknown>) => JSON.stringify(value, null, 2);

/** An `authorize` tab: the preset's telling permissions, checked on one account for whoever is signed in. */
function authorizeTab(comment: string, permissions: string[], accountId: string): ExampleOperation {
  const checks = permissions.map((permission) => `    { permission: "${permission}", accountId: $accountId }\n`).join('');
  return {
    title: 'Authorize',
    query: `# ${comment}\nquery Authorize($accountId: ID!) {\n  authorize(checks: [\n${checks}  ]) { permission allowed scope reason }\n}\n`,
    variables: json({ accountId }),
  };
}
const idOr = (id: string | undefined, what: string) => id ?? `<${what}: copy it from PartnerDashboard>`;

type Builder = (lookup: Lookup) => Promise<ExampleOperation[]>;

const PRESET_EXAMPLES: Record<string, Builder> = {
  async dstny(lookup) {
    const acme = idOr(await lookup.account('Acme Logistics'), 'a customer account id');
    return [
      { title: 'Viewer', query: VIEWER },
      { title: 'PartnerDashboard', query: DASHBOARD, runAs: 'ppa@northwind.example' },
      {
        title: 'GrantImpersonation',
        runAs: 'admin@acme.example',
        query: `# As the customer's Portal Administrator (admin@acme.example): let the partner above Acme act in its portal,
# with the rights named and nothing more.
mutation GrantImpersonation($customerAccountId: ID!) {
  grantImpersonation(input: { customerAccountId: $customerAccountId, rights: ["FLEET_ADMINISTRATOR", "tickets:create"] }) {
    id status permissions partnerAccountName expiresAt
  }
}
`,
        variables: json({ customerAccountId: acme }),
      },
      {
        title: 'StartImpersonation',
        runAs: 'ppm@northwind.example',
        query: `# As a Partner Portal Manager (ppm@northwind.example), under the grant: start a session in Acme's portal.
# Then press "Use this session's token" above: the banner shows whom you act as.
mutation StartImpersonation($customerAccountId: ID!) {
  startImpersonation(customerAccountId: $customerAccountId, reason: "Fleet set-up, ticket 4711") {
    token
    session { id expiresAt status }
  }
}
`,
        variables: json({ customerAccountId: acme }),
      },
      authorizeTab('Decisions for whoever is signed in, with the reason that allowed or denied each.', ['fleet:manage', 'invoices:read', 'impersonation.grant'], acme),
    ];
  },

  async appdirect(lookup) {
    const acme = idOr(await lookup.account('Acme Retail'), 'a customer account id');
    const advisor = idOr(await lookup.user('advisor@northwind.example'), 'the delegate user id');
    return [
      { title: 'Viewer', query: VIEWER },
      { title: 'PartnerDashboard', query: DASHBOARD, runAs: 'am@northwind.example' },
      {
        title: 'RequestDelegatedAdmin',
        runAs: 'advisor@northwind.example',
        query: `# appdirect has no impersonation: a partner administers a customer under its own identity, through a
# delegated-administration relationship the customer approves. As the advisor (advisor@northwind.example):
mutation RequestDelegatedAdmin($customerAccountId: ID!, $delegateUserId: ID!) {
  requestDelegatedAdmin(input: { customerAccountId: $customerAccountId, delegateUserId: $delegateUserId, roles: ["ACCOUNT_MANAGER"], durationDays: 30 }) {
    id status roles
  }
}
`,
        variables: json({ customerAccountId: acme, delegateUserId: advisor }),
      },
      {
        title: 'ApproveDelegatedAdmin',
        runAs: 'am@acme.example',
        query: `# As the customer's Account Manager (am@acme.example), with the id RequestDelegatedAdmin returned.
mutation ApproveDelegatedAdmin($id: ID!) {
  approveDelegatedAdmin(id: $id) { id status expiresAt }
}
`,
        variables: json({ id: '<the id RequestDelegatedAdmin returned>' }),
      },
      authorizeTab('Decisions for whoever is signed in, with the reason (for the advisor: the delegated relationship).', ['users:manage', 'organizations:suspend', 'invoices:read'], acme),
    ];
  },

  async unifyr(lookup) {
    const northwind = idOr(await lookup.account('Northwind Solutions'), 'a partner account id');
    const sales = idOr(await lookup.user('sales@northwind.example'), 'a user id');
    return [
      { title: 'Viewer', query: VIEWER },
      { title: 'PartnerDashboard', query: DASHBOARD, runAs: 'admin@northwind.example' },
      {
        title: 'AssignRole',
        runAs: 'admin@northwind.example',
        query: `# unifyr has neither impersonation nor delegated administration: the partner's own Administrator
# manages its people (when the account's adminsMayAssignRoles is on). As admin@northwind.example:
mutation AssignRole($userId: ID!) {
  assignRole(userId: $userId, role: "MARKETING") { email roles }
}
`,
        variables: json({ userId: sales }),
      },
      {
        title: 'CreatePartnerGroup',
        runAs: 'supplier@platform.local',
        query: `# Partner groups restrict custom views to rule-matched partner users; members are computed, never listed.
# The parts of a rule combine with AND, the values inside one part with OR. As the supplier (supplier@platform.local):
mutation CreatePartnerGroup($input: PartnerGroupInput!) {
  createPartnerGroup(input: $input) { id name rule { accountTypes modules roles customRoles settings } }
}
`,
        variables: json({ input: { name: 'Deal desks', rule: { accountTypes: ['PARTNER'], modules: ['deals'], roles: ['ADMINISTRATOR', 'SALES'] } } }),
      },
      authorizeTab('Decisions for whoever is signed in: leads:read carries a scope (assigned < distributed < all).', ['leads:read', 'settings:manage', 'rights:assign'], northwind),
    ];
  },
};

/** The preset's example operations, with the ids of its seeded demo data where they exist. */
export async function exampleOperations(preset: string, em: EntityManager): Promise<ExampleOperation[]> {
  const lookup: Lookup = {
    account: async (name) => (await em.findOne(AccountEntity, { where: { name }, select: { id: true } }))?.id,
    user: async (email) => (await em.findOne(UserEntity, { where: { email }, select: { id: true } }))?.id,
  };
  const build = PRESET_EXAMPLES[preset];
  if (build) return build(lookup);
  return [
    { title: 'Viewer', query: VIEWER },
    { title: 'PartnerDashboard', query: DASHBOARD },
  ];
}
