import { loadPolicy, PRESETS } from '../../src/config';
import { roleKey, type AccountType } from '../../src/policy';
import { DEMO_DATA, DEMO_PLATFORM_USERS, type DemoAccount } from '../../src/storage/demo-data';

/** Every (account type, role) the preset's demo data assigns, and every user's contact roles. */
function seeded(preset: string): { roles: Set<string>; contactRoles: Set<string>; emails: string[] } {
  const roles = new Set<string>();
  const contactRoles = new Set<string>();
  const emails: string[] = [];
  const visit = (type: AccountType, users: DemoAccount['users'], children: DemoAccount[] = []) => {
    for (const user of users) {
      emails.push(user.email);
      user.roles.forEach((role) => roles.add(roleKey(type, role)));
      user.contactRoles?.forEach((role) => contactRoles.add(role));
    }
    for (const child of children) visit(child.type, child.users, child.children);
  };
  visit('PLATFORM', DEMO_PLATFORM_USERS[preset] ?? []);
  for (const tenant of DEMO_DATA[preset]) visit(tenant.type, tenant.users, tenant.children);
  return { roles, contactRoles, emails };
}

describe.each(PRESETS.map((preset) => ({ preset })))('the $preset demo data', ({ preset }) => {
  const policy = loadPolicy(preset);
  const demo = seeded(preset);

  it('assigns only roles the policy defines for the account type', () => {
    expect([...demo.roles].filter((key) => !policy.roles.has(key))).toEqual([]);
  });

  it('has a user in every role but the operator (the bootstrap user holds that one)', () => {
    const missing = [...policy.roles.keys()].filter((key) => key !== roleKey('PLATFORM', policy.operatorRole.name) && !demo.roles.has(key));
    expect(missing).toEqual([]);
  });

  it('uses only the policy\'s contact roles, each at least once, and unique emails', () => {
    expect([...demo.contactRoles].sort()).toEqual([...policy.contactRoles].sort());
    expect(new Set(demo.emails).size).toBe(demo.emails.length);
  });
});
