import type { CompiledPolicy } from './compile';
import type { AccountSettings, AccountType } from './types';

/**
 * Which partner users a partner group holds, as a rule: the parts combine with AND, the values inside one part with
 * OR, and an empty part sets no condition. `accountTypes`, `modules` and `settings` are about the user's home account
 * (its type; a module on for it; a switch set as given), `roles` and `customRoles` about the user's own rights there.
 */
export interface PartnerGroupRule {
  accountTypes: AccountType[];
  modules: string[];
  roles: string[];
  customRoles: string[];
  /** Boolean switches of the account's settings the policy reads (`adminsMayAssignRoles`), each with the value wanted. */
  settings: Record<string, boolean>;
}

/** What membership is decided on: the user's home account and the rights the user holds there, by name. */
export interface PartnerGroupMemberFacts {
  account: { type: AccountType; settings: AccountSettings };
  roles: readonly string[];
  customRoles: readonly string[];
}

export type PartnerGroupRuleCheck = { ok: true; rule: PartnerGroupRule } | { ok: false; field: string; reason: string };

/** The account switches a rule may name: the boolean settings the policy's grants depend on. */
export function partnerGroupSwitches(policy: CompiledPolicy): string[] {
  const switches = new Set<string>();
  for (const role of policy.roles.values()) {
    for (const grant of role.grants.values()) if (grant.whenSetting !== undefined) switches.add(grant.whenSetting);
  }
  for (const grant of policy.customRoles?.baseGrants ?? []) if (grant.whenSetting !== undefined) switches.add(grant.whenSetting);
  return [...switches].sort();
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

/**
 * Validates a rule against the policy: account types of the partner side (the platform's own team is in no partner
 * group), modules of the site configuration, roles of those account types, custom roles that exist (by name) and
 * switches the policy reads. Returns the rule with duplicates removed.
 */
export function checkPartnerGroupRule(policy: CompiledPolicy, rule: PartnerGroupRule, customRoleNames: ReadonlySet<string>): PartnerGroupRuleCheck {
  const partnerTypes: AccountType[] = [...policy.accountTypes.keys()].filter((type) => type !== 'PLATFORM');
  const badType = rule.accountTypes.find((type) => !partnerTypes.includes(type));
  if (badType !== undefined) return { ok: false, field: 'rule.accountTypes', reason: `${badType} is not a partner account type of the ${policy.name} policy (${partnerTypes.join(', ') || 'none'})` };
  const badModule = rule.modules.find((module) => !policy.modules.has(module));
  if (badModule !== undefined) {
    const known = [...policy.modules.keys()];
    return { ok: false, field: 'rule.modules', reason: `unknown module ${badModule} (the ${policy.name} policy has ${known.length > 0 ? known.join(', ') : 'no modules'})` };
  }
  const types = rule.accountTypes.length > 0 ? rule.accountTypes : partnerTypes;
  const roleNames = new Set([...policy.roles.values()].filter((role) => types.includes(role.accountType)).map((role) => role.name));
  const badRole = rule.roles.find((role) => !roleNames.has(role));
  if (badRole !== undefined) return { ok: false, field: 'rule.roles', reason: `${badRole} is not a role of ${types.join(', ')} accounts` };
  const badCustom = rule.customRoles.find((role) => !customRoleNames.has(role));
  if (badCustom !== undefined) return { ok: false, field: 'rule.customRoles', reason: `no custom role is named ${badCustom}` };
  const switches = partnerGroupSwitches(policy);
  for (const [key, value] of Object.entries(rule.settings)) {
    if (!switches.includes(key)) return { ok: false, field: `rule.settings.${key}`, reason: `${key} is not an account switch of the ${policy.name} policy (${switches.join(', ') || 'none'})` };
    if (typeof value !== 'boolean') return { ok: false, field: `rule.settings.${key}`, reason: `settings.${key} must be true or false` };
  }
  return {
    ok: true,
    rule: { accountTypes: unique(rule.accountTypes), modules: unique(rule.modules), roles: unique(rule.roles), customRoles: unique(rule.customRoles), settings: { ...rule.settings } },
  };
}

/** Whether a user belongs to the group: an account-level match and a user-level match. */
export function matchesPartnerGroup(policy: CompiledPolicy, rule: PartnerGroupRule, member: PartnerGroupMemberFacts): boolean {
  const { type, settings } = member.account;
  if (type === 'PLATFORM') return false;
  if (rule.accountTypes.length > 0 && !rule.accountTypes.includes(type)) return false;
  if (rule.modules.length > 0) {
    const on = settings.modules ?? policy.defaultModules;
    if (!rule.modules.some((module) => on.includes(module))) return false;
  }
  const switches = Object.entries(rule.settings);
  // An unset switch is off, as the decision reads it.
  if (switches.length > 0 && !switches.some(([key, wanted]) => (settings[key] === true) === wanted)) return false;
  if (rule.roles.length > 0 && !rule.roles.some((role) => member.roles.includes(role))) return false;
  if (rule.customRoles.length > 0 && !rule.customRoles.some((role) => member.customRoles.includes(role))) return false;
  return true;
}
