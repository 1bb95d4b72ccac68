import type { CompiledPolicy, CompiledRole } from './compile';
import type { AccountType, PermissionGrant } from './types';

/**
 * Renders a policy's role × permission tables as Markdown, one table per account type.
 * `schema/policies/<name>.md` is this function's output: a test fails when the committed file differs.
 */
export function renderPolicyTables(policy: CompiledPolicy, sourceFile: string): string {
  const lines: string[] = [
    `# ${policy.title} (\`${policy.name}\`)`,
    '',
    `<!-- Generated from ${sourceFile} by \`npm run policy:docs\`. Do not edit: change the policy file instead. -->`,
    '',
  ];
  if (policy.description) lines.push(policy.description.trim(), '');
  lines.push(
    'Legend: ✓ on the role\'s own account; ✓↓ also on every account below it; ↓ only on the accounts below it; a scope in brackets;',
    '*(module)* only while the module is on for the account; *if setting* only while that account setting is on;',
    '*at invitation* only when giving roles to a new user.',
    '',
  );

  for (const [accountType, definition] of policy.accountTypes) {
    const roles = [...policy.roles.values()].filter((role) => role.accountType === accountType);
    if (roles.length === 0) continue;
    lines.push(`## ${definition.title} (${accountType})`, '');
    lines.push(...roleSummary(roles), '');
    lines.push(...permissionTable(policy, accountType, roles), '');
  }

  if (policy.modules.size > 0) {
    lines.push('## Modules', '', `On by default: ${policy.defaultModules.length > 0 ? policy.defaultModules.join(', ') : 'none'}.`, '');
    lines.push('| module | permissions |', '|---|---|');
    for (const [module, permissions] of policy.modules) lines.push(`| ${module} | ${permissions.join(', ')} |`);
    lines.push('');
  }
  if (policy.scopes.size > 0) {
    lines.push('## Scopes', '', '| permission | narrowest → widest |', '|---|---|');
    for (const [permission, order] of policy.scopes) lines.push(`| ${permission} | ${order.join(' < ')} |`);
    lines.push('');
  }

  if (policy.settings.size > 0) {
    lines.push(
      '## Account settings',
      '',
      'Any other key is refused. A secret is write-only (readers see that it is set, when and by whom) and stored encrypted; ' +
        'a setting the policy reads to decide is changed only from above the account.',
      '',
      '| setting | type | default | changed by | kind | meaning |',
      '|---|---|---|---|---|---|',
    );
    for (const setting of policy.settings.values()) {
      const kind = setting.secret ? 'secret' : setting.governed ? 'read by the policy: set from above' : '—';
      const fallback = setting.default === undefined ? '—' : `\`${JSON.stringify(setting.default)}\``;
      lines.push(`| ${setting.key} | ${setting.type} | ${fallback} | ${setting.changedBy.join(', ')} | ${kind} | ${setting.description ?? '—'} |`);
    }
    lines.push('');
  }

  lines.push('## Administrative operations', '', 'Each of Portico\'s own operations requires any one of these permissions on the target account.', '');
  lines.push('| operation | permissions |', '|---|---|');
  for (const [action, permissions] of policy.actions) lines.push(`| ${action} | ${permissions.join(', ')} |`);
  lines.push('');

  if (policy.customRoles) {
    const base = policy.customRoles.baseGrants.map(describeGrantShort).join(', ') || 'none';
    lines.push(
      '## Custom roles',
      '',
      `Tenants define them on ${policy.customRoles.accountTypes.join(', ')} accounts, with permissions the creator holds. ` +
        `Every custom role has: ${base}. Assignable by: ${assigners(policy.customRoles.assignableBy)}.`,
      '',
      'A custom role may carry only these permissions; any other is refused (`BAD_USER_INPUT`), whoever creates it:',
      '',
      '| account type | may carry |',
      '|---|---|',
      ...[...policy.customRoles.mayCarry].map(([accountType, allowed]) => `| ${accountType} | ${[...allowed].join(', ') || 'nothing beyond the base permissions'} |`),
      '',
    );
  }

  if (policy.contactRoles.length > 0) {
    lines.push('## Communication topics', '', `Contact roles: ${policy.contactRoles.join(', ')}.`, '', '| topic | goes to |', '|---|---|');
    for (const [topic, { contactRoles, roles }] of policy.topicRecipients) {
      const to = [...contactRoles, ...roles.map((role) => `holders of ${role}`)];
      lines.push(`| ${topic} | ${to.length > 0 ? to.join(', ') : 'nobody by contact role'} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function roleSummary(roles: readonly CompiledRole[]): string[] {
  const rows = ['| role | title | includes | assignable by | notes |', '|---|---|---|---|---|'];
  for (const role of roles) {
    const notes = [
      role.operator && 'platform operator',
      role.administrator && 'administrator (the last one stays)',
      role.requires && `only once a ${role.requires} exists`,
      role.assignableWith && `also given by holders of ${role.assignableWith}`,
      role.autoAssignToFirstUser && 'given to the first user',
      !role.canLogin && 'cannot log in',
    ].filter(Boolean);
    rows.push(`| ${role.name} | ${role.title} | ${role.includes.join(', ') || '—'} | ${role.operator ? '—' : assigners(role.assignableBy)} | ${notes.join('; ') || '—'} |`);
  }
  return rows;
}

function permissionTable(policy: CompiledPolicy, accountType: AccountType, roles: readonly CompiledRole[]): string[] {
  const own = policy.accountTypes.get(accountType)?.permissions ?? [];
  // The operator's `**` reaches other types' permissions; list those after the type's own.
  const extra = [...new Set(roles.flatMap((role) => [...role.grants.keys()]))].filter((p) => !own.includes(p)).sort();
  const header = `| permission | ${roles.map((role) => role.name).join(' | ')} |`;
  const rows = [header, `|---|${roles.map(() => ':---:').join('|')}|`];
  for (const permission of [...own, ...extra]) {
    rows.push(`| ${permission} | ${roles.map((role) => cell(role.grants.get(permission))).join(' | ')} |`);
  }
  return rows;
}

function cell(grant: PermissionGrant | undefined): string {
  if (!grant) return '';
  const parts = [grant.ownAccount === false ? '↓' : grant.descendants ? '✓↓' : '✓'];
  if (grant.scope) parts.push(`[${grant.scope}${grant.scopeSetting ? `, per ${grant.scopeSetting}` : ''}]`);
  if (grant.module) parts.push(`*(${grant.module})*`);
  if (grant.whenSetting) parts.push(`*if ${grant.whenSetting}*`);
  if (grant.atInvitation) parts.push('*at invitation*');
  return parts.join(' ');
}

function describeGrantShort(grant: PermissionGrant): string {
  return grant.scope ? `${grant.permission} [${grant.scope}]` : grant.permission;
}

function assigners(names: readonly string[]): string {
  return names.length > 0 ? `${names.join(', ')}, the platform operator` : 'the platform operator';
}
