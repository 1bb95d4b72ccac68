import { IsNull, type EntityManager } from 'typeorm';
import { AccountEntity, DelegatedAdminRelationshipEntity, ImpersonationGrantEntity, UserEntity } from '../../storage/entities';

/** A tab the playground opens with: an operation, its variables (JSON text) and who should run it. */
export interface ExampleOperation {
  title: string;
  query: string;
  variables?: string;
  /** The demo user the operation is written for, named in the tab so a newcomer signs in as the right person. */
  runAs?: string;
  /**
   * The id another example returns, filled into this tab's variable when the tab is opened after that example ran
   * (the page remembers the last one): ApproveDelegatedAdmin takes the id RequestDelegatedAdmin returned.
   */
  idFrom?: { field: string; variable: string };
}

/** Comment lines of an example stay within this width, so the editor never scrolls sideways to read them. */
export const EXAMPLE_COMMENT_WIDTH = 80;

/** `# ` comment lines of at most EXAMPLE_COMMENT_WIDTH characters, the words of `text` wrapped between them. */
export function commentLines(text: string): string {
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= EXAMPLE_COMMENT_WIDTH) lines[last] += ` ${word}`;
    else lines.push(`# ${word}`);
  }
  return lines.map((line) => `${line}\n`).join('');
}

const VIEWER = `${commentLines('Who you are. Sign in above (or put {"Authorization": "Bearer <token>"} in Headers), then run.')}query Viewer {
  viewer {
    user { email name roles }
    account { name type }
    actor { email }
    impersonation { id expiresAt }
  }
}
`;

const DASHBOARD = `${commentLines(
  "The partner dashboard: a page of the accounts you can see, their users and rights, and the Manage button. Try it as a partner's administrator (the sign-in helper preselects one).",
)}query PartnerDashboard($first: Int = 20) {
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

interface Lookup {
  account(name: string): Promise<string | undefined>;
  user(email: string): Promise<string | undefined>;
  /** The customer's latest grant not revoked, so Revoke finds what Grant made even after a reload. */
  activeGrant(customerAccountId: string | undefined): Promise<string | undefined>;
  /** The customer's latest delegated-administration relationship that is not over yet. */
  openDelegation(customerAccountId: string | undefined): Promise<string | undefined>;
}

const json = (value: Record<string, unknown>) => JSON.stringify(value, null, 2);

/** An `authorize` tab: the preset's telling permissions, checked on one account for whoever is signed in. */
function authorizeTab(comment: string, permissions: string[], accountId: string): ExampleOperation {
  const checks = permissions.map((permission) => `    { permission: "${permission}", accountId: $accountId }\n`).join('');
  return {
    title: 'Authorize',
    query: `${commentLines(comment)}query Authorize($accountId: ID!) {\n  authorize(checks: [\n${checks}  ]) { permission allowed scope reason }\n}\n`,
    variables: json({ accountId }),
  };
}
const idOr = (id: string | undefined, what: string) => id ?? `<${what}: copy it from PartnerDashboard>`;

type Builder = (lookup: Lookup) => Promise<ExampleOperation[]>;

const PRESET_EXAMPLES: Record<string, Builder> = {
  async dstny(lookup) {
    const acmeId = await lookup.account('Acme Logistics');
    const acme = idOr(acmeId, 'a customer account id');
    const grant = (await lookup.activeGrant(acmeId)) ?? '<the id GrantImpersonation returned>';
    return [
      { title: 'Viewer', query: VIEWER },
      { title: 'PartnerDashboard', query: DASHBOARD, runAs: 'ppa@northwind.example' },
      {
        title: 'GrantImpersonation',
        runAs: 'admin@acme.example',
        query: `${commentLines(
          "As the customer's Portal Administrator (admin@acme.example): let the partner above Acme act in its portal, with the rights named and nothing more. A customer has one active grant per partner: RevokeImpersonationGrant ends it, so this runs again.",
        )}mutation GrantImpersonation($customerAccountId: ID!) {
  grantImpersonation(input: {
    customerAccountId: $customerAccountId
    rights: ["FLEET_ADMINISTRATOR", "tickets:create"]
  }) {
    id status permissions partnerAccountName expiresAt
  }
}
`,
        variables: json({ customerAccountId: acme }),
      },
      {
        title: 'StartImpersonation',
        runAs: 'ppm@northwind.example',
        query: `${commentLines(
          'As a Partner Portal Manager (ppm@northwind.example), under the grant: start a session in Acme\'s portal. Then press "Use this session\'s token" above: the banner shows whom you act as.',
        )}mutation StartImpersonation($customerAccountId: ID!) {
  startImpersonation(customerAccountId: $customerAccountId, reason: "Fleet set-up, ticket 4711") {
    token
    session { id expiresAt status }
  }
}
`,
        variables: json({ customerAccountId: acme }),
      },
      {
        title: 'RevokeImpersonationGrant',
        runAs: 'admin@acme.example',
        idFrom: { field: 'grantImpersonation', variable: 'id' },
        query: `${commentLines(
          "As the customer's Portal Administrator (admin@acme.example): revoke the grant GrantImpersonation made (its id is filled in). Every session under it ends on its next request; GrantImpersonation then runs again.",
        )}mutation RevokeImpersonationGrant($id: ID!) {
  revokeImpersonationGrant(id: $id) { id status revokedAt }
}
`,
        variables: json({ id: grant }),
      },
      authorizeTab('Decisions for whoever is signed in, with the reason that allowed or denied each.', ['fleet:manage', 'invoices:read', 'impersonation.grant'], acme),
    ];
  },

  async appdirect(lookup) {
    const acmeId = await lookup.account('Acme Retail');
    const acme = idOr(acmeId, 'a customer account id');
    const advisor = idOr(await lookup.user('advisor@northwind.example'), 'the delegate user id');
    const relationship = (await lookup.openDelegation(acmeId)) ?? '<the id RequestDelegatedAdmin returned>';
    return [
      { title: 'Viewer', query: VIEWER },
      { title: 'PartnerDashboard', query: DASHBOARD, runAs: 'am@northwind.example' },
      {
        title: 'RequestDelegatedAdmin',
        runAs: 'advisor@northwind.example',
        query: `${commentLines(
          'appdirect has no impersonation: a partner administers a customer under its own identity, through a delegated-administration relationship the customer approves. As the advisor (advisor@northwind.example):',
        )}mutation RequestDelegatedAdmin($customerAccountId: ID!, $delegateUserId: ID!) {
  requestDelegatedAdmin(input: {
    customerAccountId: $customerAccountId
    delegateUserId: $delegateUserId
    roles: ["ACCOUNT_MANAGER"]
    durationDays: 30
  }) {
    id status roles
  }
}
`,
        variables: json({ customerAccountId: acme, delegateUserId: advisor }),
      },
      {
        title: 'ApproveDelegatedAdmin',
        runAs: 'am@acme.example',
        idFrom: { field: 'requestDelegatedAdmin', variable: 'id' },
        query: `${commentLines("As the customer's Account Manager (am@acme.example): approve the request RequestDelegatedAdmin made (its id is filled in).")}mutation ApproveDelegatedAdmin($id: ID!) {
  approveDelegatedAdmin(id: $id) { id status expiresAt }
}
`,
        variables: json({ id: relationship }),
      },
      {
        title: 'TerminateDelegatedAdmin',
        runAs: 'am@acme.example',
        idFrom: { field: 'requestDelegatedAdmin', variable: 'id' },
        query: `${commentLines(
          'Either side (or the delegate) ends the relationship RequestDelegatedAdmin asked for (its id is filled in); RequestDelegatedAdmin then runs again.',
        )}mutation TerminateDelegatedAdmin($id: ID!) {
  terminateDelegatedAdmin(id: $id) { id status }
}
`,
        variables: json({ id: relationship }),
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
        query: `${commentLines(
          "unifyr has neither impersonation nor delegated administration: the partner's own Administrator manages its people (when the account's adminsMayAssignRoles is on). As admin@northwind.example; RevokeRole takes it back.",
        )}mutation AssignRole($userId: ID!) {
  assignRole(userId: $userId, role: "MARKETING") { email roles }
}
`,
        variables: json({ userId: sales }),
      },
      {
        title: 'RevokeRole',
        runAs: 'admin@northwind.example',
        query: `${commentLines('Takes back the right AssignRole gave, so both run again. As admin@northwind.example:')}mutation RevokeRole($userId: ID!) {
  revokeRole(userId: $userId, role: "MARKETING") { email roles }
}
`,
        variables: json({ userId: sales }),
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
    activeGrant: async (customerAccountId) =>
      customerAccountId && (await em.findOne(ImpersonationGrantEntity, { where: { customerAccountId, revokedAt: IsNull() }, order: { createdAt: 'DESC' }, select: { id: true } }))?.id,
    openDelegation: async (customerAccountId) =>
      customerAccountId &&
      (await em.findOne(DelegatedAdminRelationshipEntity, { where: [{ customerAccountId, status: 'PENDING' }, { customerAccountId, status: 'ACTIVE' }], order: { requestedAt: 'DESC' }, select: { id: true } }))?.id,
  };
  const build = PRESET_EXAMPLES[preset];
  if (build) return build(lookup);
  return [
    { title: 'Viewer', query: VIEWER },
    { title: 'PartnerDashboard', query: DASHBOARD },
  ];
}
