import { z } from 'zod';
import { ACCOUNT_TYPES } from './types';

const permissionName = z
  .string()
  .regex(/^[a-z][A-Za-z0-9]*:[a-z][A-Za-z0-9]*$/, 'a permission is written resource:action, e.g. invoices:read');

/** `*` (the account type's whole set), `**` (every permission of every type), `resource:*`, or a permission. */
const permissionPattern = z
  .string()
  .regex(/^(\*\*?|[a-z][A-Za-z0-9]*:(\*|[a-z][A-Za-z0-9]*))$/, 'expected *, **, resource:* or resource:action');

const roleName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'role names are UPPER_SNAKE_CASE');

const permissionEntry = z.union([
  permissionPattern,
  z
    .object({
      permission: permissionPattern,
      descendants: z.boolean().optional(),
      ownAccount: z.boolean().optional(),
      /** The grant counts only when roles are given at invitation, to new users (for the right to assign roles). */
      atInvitation: z.boolean().optional(),
      scope: z.string().optional(),
      module: z.string().optional(),
      whenSetting: z.string().optional(),
      scopeSetting: z.string().optional(),
    })
    .strict(),
]);
export type PermissionEntry = z.infer<typeof permissionEntry>;

const accountType = z.enum(ACCOUNT_TYPES);

const roleDefinition = z
  .object({
    name: roleName,
    title: z.string().min(1),
    description: z.string().optional(),
    accountTypes: z.array(accountType).min(1),
    permissions: z.array(permissionEntry).default([]),
    /** Permissions removed from the expansion of `*`; `resource:*` removes a whole resource. */
    except: z.array(permissionPattern).default([]),
    /** Roles of the same account type whose permissions this role also has. */
    includes: z.array(roleName).default([]),
    /** Default for this role's permissions: they also apply below the role's account. */
    descendants: z.boolean().default(false),
    /**
     * Default for this role's permissions: false when they do not apply on the role's own account, only below it
     * (with `descendants`): appdirect's affiliate Technical Manager acts for the affiliate's customers alone.
     */
    ownAccount: z.boolean().default(true),
    /** Roles whose holders may assign this one (the platform operator always may). */
    assignableBy: z.array(roleName).default([]),
    /**
     * A permission whose holders on the account may also give this role, at invitation, without the right to assign
     * roles at all (unifyr's `salesReps:manage`: an Administrator invites Sales Reps whatever `adminsMayAssignRoles` says).
     */
    assignableWith: permissionName.optional(),
    /** The account's administrator: the last one cannot leave while others use the account. */
    administrator: z.boolean().default(false),
    /** Another role of the account that must already be held by someone before this one is assigned. */
    requires: roleName.optional(),
    /** Given automatically to the first user of an account of this type. */
    autoAssignToFirstUser: z.boolean().default(false),
    /** Holders of this role cannot sign in. */
    canLogin: z.boolean().default(true),
    /** The platform operator: every permission of every account type, on every account. */
    operator: z.boolean().default(false),
  })
  .strict();
export type RoleDefinitionInput = z.infer<typeof roleDefinition>;

/** What an account setting holds: `list` is a list of strings, `map` an object of strings (role name → scope). */
export const SETTING_TYPES = ['boolean', 'string', 'integer', 'list', 'map'] as const;
export type SettingType = (typeof SETTING_TYPES)[number];

const settingDefinition = z
  .object({
    type: z.enum(SETTING_TYPES),
    description: z.string().optional(),
    /** The value an account that never set it reads. Never given for a secret. */
    default: z.unknown().optional(),
    /** The permissions (any of) that let their holders on the account change this setting. */
    changedBy: z.array(permissionName).min(1),
    /** Write-only: readers see that it is set, never its value; stored encrypted. Only for strings. */
    secret: z.boolean().default(false),
  })
  .strict();
export type SettingDefinitionInput = z.infer<typeof settingDefinition>;

/** Every policy maps these: the administration every portal has. */
const REQUIRED_ACTIONS = [
  'accounts.create',
  'accounts.move',
  'accounts.suspend',
  'accounts.settings',
  'accounts.manage',
  'users.read',
  'users.invite',
  'users.suspend',
  'rights.assign',
  'contactRoles.manage',
  'audit.read',
  'customRoles.manage',
] as const;

/** A policy maps these only when its portal has the feature; an unmapped action is denied to everyone. */
const OPTIONAL_ACTIONS = [
  // A customer consents to a partner acting in its portal; a partner user starts a session under that consent.
  'impersonation.grant',
  'impersonation.start',
  // A partner asks for delegated administration of a customer below it; the customer approves.
  'delegation.request',
  'delegation.approve',
  // A portal's administration screens: renaming an account, changing its settings, deleting it.
  'accounts.update',
  'accounts.configure',
  'accounts.delete',
  // An account subscribes webhooks to its lifecycle events (they carry its trail outside).
  'webhooks.manage',
  // The platform defines partner groups: rule-based sets of partner users that custom views are restricted to.
  'partnerGroups.manage',
  // Communications: sending one to an account's recipients by topic; naming and reading an account's provider contacts.
  'communications.send',
  'providerContacts.manage',
  'providerContacts.read',
] as const;

export type PorticoAction = (typeof REQUIRED_ACTIONS)[number] | (typeof OPTIONAL_ACTIONS)[number];
export const PORTICO_ACTIONS: readonly PorticoAction[] = [...REQUIRED_ACTIONS, ...OPTIONAL_ACTIONS];

const actionPermissions = z.array(permissionName).min(1);
const actionsSchema = z
  .object({
    ...Object.fromEntries(REQUIRED_ACTIONS.map((action) => [action, actionPermissions])),
    ...Object.fromEntries(OPTIONAL_ACTIONS.map((action) => [action, actionPermissions.optional()])),
  } as Record<PorticoAction, typeof actionPermissions>)
  .strict();

export const policyFileSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    title: z.string(),
    description: z.string().optional(),
    /** The permission set of each account type the preset uses; `*` expands to it. */
    accountTypes: z.partialRecord(
      accountType,
      z.object({ title: z.string(), permissions: z.array(permissionName).min(1) }).strict(),
    ),
    /**
     * Only users holding a role of the portal (their own right, a policy or custom role) may sign in: one with
     * none is refused at sign-in rather than let in to see nothing (appdirect).
     */
    signInRequiresRole: z.boolean().default(false),
    /** Ordered scopes of scoped permissions, narrowest first. */
    scopes: z.record(permissionName, z.array(z.string().min(1)).min(2)).default({}),
    /** Modules of the site configuration and the permissions each one switches. */
    modules: z.record(z.string(), z.array(permissionName).min(1)).default({}),
    /** Modules on when an account's settings do not list any. */
    defaultModules: z.array(z.string()).default([]),
    /** The permission (any of) that each of Portico's own administrative operations requires. */
    actions: actionsSchema,
    roles: z.array(roleDefinition).min(1),
    contactRoles: z.array(roleName).default([]),
    /**
     * The account settings (site configuration) the portal has: their type, default, who may change them and whether
     * they are secret. Any other key is refused.
     */
    settings: z.record(z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'setting names are camelCase'), settingDefinition).default({}),
    /**
     * Communication topics and who receives them: a list of contact roles (an empty list: nobody by contact role), or
     * `{ contactRoles, roles }` to also reach the holders of rights (dstny's contractual point of contact is the
     * Portal Administrator).
     */
    topics: z
      .record(roleName, z.union([z.array(roleName), z.object({ contactRoles: z.array(roleName).default([]), roles: z.array(roleName).default([]) }).strict()]))
      .default({}),
    customRoles: z
      .object({
        accountTypes: z.array(accountType).min(1),
        /** Permissions every custom role has, whatever its creator chose. */
        basePermissions: z.array(permissionEntry).default([]),
        assignableBy: z.array(roleName).default([]),
        /**
         * Per account type of `accountTypes`, the permissions a custom role may carry (`*`, `resource:*` or names;
         * an empty list: none beyond `basePermissions`). Anything else is refused, whatever its creator holds.
         */
        mayCarry: z.partialRecord(accountType, z.array(permissionPattern)).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type PolicyFile = z.infer<typeof policyFileSchema>;
