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

/**
 * The administration screens of a customer's portal, as its administrator runs them: who is there, what each may be
 * given, an access review, who holds a permission and the audit trail. One tab, one operation per screen: pick it
 * with the run button's menu. Variables: the account and one of its users.
 */
const accessReviewTab = (runAs: string, role: string, permission: string, variables: Record<string, string>): ExampleOperation => ({
  title: 'AccessReview',
  runAs,
  query: `${commentLines(`The administration screens, as the customer's administrator (${runAs}): pick an operation to run.`)}query Users($accountId: ID!) {
  users(filter: { underAccountId: $accountId, role: "${role}" }, first: 20) {
    totalCount
    nodes { id email name roles status viewerCanEdit viewerCanAssignRoles }
  }
}

${commentLines(`What you may give this user right now (assignableBy, "grant only what you hold", modules, settings).`)}query AssignableRoles($userId: ID!) {
  assignableRoles(userId: $userId) { name title }
}

${commentLines(`Access review: each permission the user holds here, with its scope and the reason.`)}query EffectivePermissions($userId: ID!, $accountId: ID!) {
  effectivePermissions(userId: $userId, accountId: $accountId) { permission scope via role reason }
}

${commentLines(`Everybody who holds a permission here: own account, ancestors and delegations included.`)}query WhoCan($accountId: ID!) {
  whoCan(permission: "${permission}", accountId: $accountId, first: 20) {
    totalCount
    nodes { identity { email name account { name } } scope via role reason }
  }
}

${commentLines(`The account's audit trail, filtered: every event is hash-chained to the one before.`)}query AuditTrail($accountId: ID!) {
  auditEvents(accountId: $accountId, filter: { action: "user.setRoles" }, first: 20) {
    totalCount
    nodes { occurredAt action actor { email } subjectUser { email } hash previousHash }
  }
}
`,
  variables: json(variables),
});

/** Managing a customer's people: every mutation here changes the demo data (npm run seed starts again). */
const userAdministrationTab = (runAs: string, roles: [string, string], variables: Record<string, string>): ExampleOperation => ({
  title: 'UserAdministration',
  runAs,
  query: `${commentLines(`Managing the account's people, as its administrator (${runAs}): pick an operation to run. Each one changes the demo data, is decided by the policy and lands in the audit trail.`)}mutation UpdateUser($userId: ID!) {
  updateUser(id: $userId, input: { name: "Fred Fleet-Manager" }) { id name email }
}

${commentLines(`Replaces all of the user's roles at once; the invariants are checked on the result.`)}mutation SetRoles($userId: ID!) {
  setRoles(userId: $userId, roles: ["${roles[0]}", "${roles[1]}"]) { email roles }
}

${commentLines(`Moves a role from one user to another of the same account, in one transaction.`)}mutation TransferRole($userId: ID!, $toUserId: ID!) {
  transferRole(role: "${roles[0]}", fromUserId: $userId, toUserId: $toUserId) { email roles }
}

${commentLines(`The last administrator is never removed.`)}mutation RemoveUser($removeUserId: ID!) {
  removeUser(id: $removeUserId)
}
`,
  variables: json(variables),
});

/** Renaming an account; its settings, which the policy reads, change the same way. */
const updateAccountTab = (runAs: string, accountId: string, name: string): ExampleOperation => ({
  title: 'UpdateAccount',
  runAs,
  query: `${commentLines(`As ${runAs}: rename an account, or change its settings (input: { settings: {…} }, validated against the policy); in force from the next request.`)}mutation UpdateAccount($accountId: ID!, $name: String!) {
  updateAccount(id: $accountId, input: { name: $name }) { id name }
}
`,
  variables: json({ accountId, name }),
});

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
    const fleet = idOr(await lookup.user('fleet@acme.example'), 'a user id');
    const insight = idOr(await lookup.user('insight@acme.example'), 'a user id');
    const billing = idOr(await lookup.user('billing@acme.example'), 'a user id');
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
      {
        title: 'RequestImpersonation',
        runAs: 'ppm@northwind.example',
        query: `${commentLines(`The other way round: the partner asks (ppm@northwind.example), naming the rights and why; the grant stays PENDING until the customer's Portal Administrator approves it (ApproveImpersonationGrant) or revokes it.`)}mutation RequestImpersonation($customerAccountId: ID!) {
  requestImpersonation(input: { customerAccountId: $customerAccountId, rights: ["FLEET_ADMINISTRATOR"], reason: "Fleet set-up, ticket 4711" }) {
    id status permissions expiresAt
  }
}
`,
        variables: json({ customerAccountId: acme }),
      },
      {
        title: 'ApproveImpersonationGrant',
        runAs: 'admin@acme.example',
        idFrom: { field: 'requestImpersonation', variable: 'id' },
        query: `${commentLines(`As the customer's Portal Administrator (admin@acme.example), with the id RequestImpersonation returned (filled in): each right must be one you hold.`)}mutation ApproveImpersonationGrant($id: ID!) {
  approveImpersonationGrant(id: $id) { id status permissions approvedAt }
}
`,
        variables: json({ id: '<the id RequestImpersonation returned>' }),
      },
      accessReviewTab('admin@acme.example', 'FLEET_ADMINISTRATOR', 'tickets:read', { accountId: acme, userId: fleet }),
      userAdministrationTab('admin@acme.example', ['FLEET_ADMINISTRATOR', 'INSIGHT_USER'], { userId: fleet, toUserId: insight, removeUserId: billing }),
      updateAccountTab('admin@platform.local', acme, 'Acme Logistics B.V.'),
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
      {
        title: 'ExtendDelegatedAdmin',
        runAs: 'am@acme.example',
        query: `${commentLines(`As the customer's Account Manager (am@acme.example): move an active relationship's end later, never past the policy's longest duration counted from now.`)}mutation ExtendDelegatedAdmin($id: ID!, $expiresAt: DateTimeISO!) {
  extendDelegatedAdmin(id: $id, expiresAt: $expiresAt) { id status expiresAt }
}
`,
        variables: json({ id: '<the id RequestDelegatedAdmin returned>', expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10) + 'T00:00:00.000Z' }),
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
          "unifyr has neither impersonation nor delegated administration: the partner's own Administrator changes its people's Administrative access (whatever adminsMayAssignRoles says; that setting lets it give roles to new users, at invitation). As admin@northwind.example; RevokeRole takes it back.",
        )}mutation AssignRole($userId: ID!) {
  assignRole(userId: $userId, role: "ADMINISTRATOR") { email roles }
}
`,
        variables: json({ userId: sales }),
      },
      {
        title: 'RevokeRole',
        runAs: 'admin@northwind.example',
        query: `${commentLines('Takes back the right AssignRole gave, so both run again. As admin@northwind.example:')}mutation RevokeRole($userId: ID!) {
  revokeRole(userId: $userId, role: "ADMINISTRATOR") { email roles }
}
`,
        variables: json({ userId: sales }),
      },
      {
        title: 'CreatePartnerGroup',
        runAs: 'supplier@platform.local',
        query: `${commentLines('Partner groups restrict custom views to rule-matched partner users; members are computed, never listed. The parts of a rule combine with AND, the values inside one part with OR. As the supplier (supplier@platform.local):')}mutation CreatePartnerGroup($input: PartnerGroupInput!) {
  createPartnerGroup(input: $input) { id name rule { accountTypes modules roles customRoles settings } }
}
`,
        variables: json({ input: { name: 'Deal desks', rule: { accountTypes: ['PARTNER'], modules: ['deals'], roles: ['ADMINISTRATOR', 'SALES'] } } }),
      },
      {
        title: 'DeletePartnerGroup',
        runAs: 'supplier@platform.local',
        idFrom: { field: 'createPartnerGroup', variable: 'id' },
        query: `${commentLines('Deletes the group CreatePartnerGroup made (its id is filled in), so CreatePartnerGroup runs again. As the supplier (supplier@platform.local):')}mutation DeletePartnerGroup($id: ID!) {
  deletePartnerGroup(id: $id)
}
`,
        variables: json({ id: '<the id CreatePartnerGroup returned>' }),
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
