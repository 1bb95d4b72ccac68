import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ConfigError, loadConfig, loadPolicy, packageRoot, PRESETS } from '../../src/config';
import { parsePolicy, PolicyEngine, PolicyFileError, PORTICO_ACTIONS, type AccountFacts, type CompiledPolicy, type PrincipalFacts } from '../../src/policy';

// A minimal valid policy; each bad file below is this one with one mistake.
const ACTIONS = PORTICO_ACTIONS.map((action) => `  ${action}: [invoices:manage]\n`).join('');
const MINIMAL = `name: mini
title: Mini
accountTypes:
  PLATFORM:
    title: Platform
    permissions: [accounts:create]
  CUSTOMER:
    title: Customer
    permissions: [invoices:read, invoices:manage, tickets:read, leads:read]
scopes:
  leads:read: [assigned, distributed, all]
actions:
${ACTIONS}roles:
  - name: OPERATOR
    title: Operator
    accountTypes: [PLATFORM]
    permissions: ["**"]
    descendants: true
    operator: true
  - name: ADMIN
    title: Admin
    accountTypes: [CUSTOMER]
    permissions: ["*"]
    administrator: true
  - name: READER
    title: Reader
    accountTypes: [CUSTOMER]
    permissions: [invoices:read]
    assignableBy: [ADMIN]
`;

/** Replaces `from` (which must occur) with `to`, so a case never silently tests the valid file. */
function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the test's base policy has no ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** Appends roles at the end of the role list. */
const withRoles = (extra: string, text: string = MINIMAL): string => text + extra;

/** The 1-based lines of the n-th definition of role `name`: from its `- name:` line to the line before the next role. */
function roleBlock(text: string, name: string, occurrence = 1): { first: number; last: number } {
  const lines = text.split('\n');
  const starts = lines.flatMap((line, i) => (/^  - name: /.test(line) ? [i + 1] : []));
  const own = starts.filter((n) => lines[n - 1] === `  - name: ${name}`);
  const first = own[occurrence - 1];
  if (first === undefined) throw new Error(`the test's policy has no role ${name} #${occurrence}`);
  const next = starts.find((n) => n > first);
  return { first, last: next === undefined ? lines.length : next - 1 };
}

function failure(text: string, source = 'mini.yaml'): PolicyFileError {
  let thrown: unknown;
  try {
    parsePolicy(text, source);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(PolicyFileError);
  return thrown as PolicyFileError;
}

const lineIn = (message: string): number => Number(/\bline (\d+)\b/.exec(message)?.[1] ?? NaN);

function account(id: string, parent?: AccountFacts): AccountFacts {
  return { id, type: parent ? 'CUSTOMER' : 'PLATFORM', status: 'ACTIVE', settings: {}, ancestorIds: parent ? [...parent.ancestorIds, parent.id] : [] };
}
const root = account('root');
const customer = account('c', root);
const holder = (roles: readonly string[]): PrincipalFacts => ({
  userId: 'u',
  homeAccountId: customer.id,
  active: true,
  assignments: roles.map((role) => ({ role, accountId: customer.id, accountType: 'CUSTOMER' as const, source: { kind: 'role' as const } })),
});
const grantsOf = (policy: CompiledPolicy, role: string): string[] => [...(policy.roles.get(`CUSTOMER/${role}`)?.grants.keys() ?? ['(no such role)'])].sort();

describe('the policy file format', () => {
  it('the minimal policy the cases start from is valid', () => {
    const policy = parsePolicy(MINIMAL, 'mini.yaml');
    expect([...policy.roles.keys()]).toEqual(['PLATFORM/OPERATOR', 'CUSTOMER/ADMIN', 'CUSTOMER/READER']);
    expect(grantsOf(policy, 'READER')).toEqual(['invoices:read']);
  });

  describe('a bad role names the file, the line, the role and the problem', () => {
    const READER_PERMISSIONS = 'permissions: [invoices:read]\n    assignableBy';
    const cases: ReadonlyArray<{ title: string; text: string; role: string; occurrence?: number; problem: RegExp }> = [
      {
        title: 'an unknown permission in a role',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: [invoices:read, invoices:delete]\n    assignableBy'),
        role: 'READER',
        problem: /unknown permission invoices:delete/,
      },
      {
        title: 'a permission of no account type, as an object entry',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: [{ permission: fleet:read, descendants: true }]\n    assignableBy'),
        role: 'READER',
        problem: /unknown permission fleet:read/,
      },
      {
        title: 'a resource:* that matches nothing',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: ["fleet:*"]\n    assignableBy'),
        role: 'READER',
        problem: /fleet:\* matches no permission of account type CUSTOMER/,
      },
      {
        title: 'a malformed permission name',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: [InvoicesRead]\n    assignableBy'),
        role: 'READER',
        problem: /permissions\.0.*expected \*, \*\*, resource:\* or resource:action/,
      },
      {
        title: 'an unknown included role',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: [invoices:read]\n    includes: [VIEWER]\n    assignableBy'),
        role: 'READER',
        problem: /includes VIEWER, which is not a role of account type CUSTOMER/,
      },
      {
        title: 'an included role of another account type',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: [invoices:read]\n    includes: [OPERATOR]\n    assignableBy'),
        role: 'READER',
        problem: /includes OPERATOR, which is not a role of account type CUSTOMER/,
      },
      {
        title: 'a role including itself',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: [invoices:read]\n    includes: [READER]\n    assignableBy'),
        role: 'READER',
        problem: /includes itself/,
      },
      {
        title: 'an inclusion cycle of two roles',
        text: withRoles(
          '  - name: AUDITOR\n    title: Auditor\n    accountTypes: [CUSTOMER]\n    includes: [REVIEWER]\n' +
            '  - name: REVIEWER\n    title: Reviewer\n    accountTypes: [CUSTOMER]\n    includes: [AUDITOR]\n',
        ),
        role: 'AUDITOR',
        problem: /includes itself through .*AUDITOR.*REVIEWER/,
      },
      {
        title: 'assignableBy naming an unknown role',
        text: edit(MINIMAL, 'assignableBy: [ADMIN]', 'assignableBy: [ADMIN, OWNER]'),
        role: 'READER',
        problem: /assignableBy names unknown role OWNER/,
      },
      {
        title: 'requires naming an unknown role',
        text: edit(MINIMAL, 'assignableBy: [ADMIN]', 'assignableBy: [ADMIN]\n    requires: OWNER'),
        role: 'READER',
        problem: /requires OWNER, which is not a role of account type CUSTOMER/,
      },
      {
        title: 'a role on an account type not declared under accountTypes',
        text: edit(MINIMAL, 'accountTypes: [CUSTOMER]\n    permissions: [invoices:read]', 'accountTypes: [PARTNER]\n    permissions: [invoices:read]'),
        role: 'READER',
        problem: /account type PARTNER is not declared under accountTypes/,
      },
      {
        title: 'a role on an account type that does not exist',
        text: edit(MINIMAL, 'accountTypes: [CUSTOMER]\n    permissions: [invoices:read]', 'accountTypes: [RESELLER]\n    permissions: [invoices:read]'),
        role: 'READER',
        problem: /accountTypes\.0.*PLATFORM.*CUSTOMER/,
      },
      {
        title: 'a duplicate role (the second definition is named)',
        text: withRoles('  - name: READER\n    title: Reader again\n    accountTypes: [CUSTOMER]\n    permissions: [tickets:read]\n'),
        role: 'READER',
        occurrence: 2,
        problem: /is defined twice for account type CUSTOMER/,
      },
      {
        title: 'a scope that is not one of the permission\'s scopes',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: [{ permission: leads:read, scope: everything }]\n    assignableBy'),
        role: 'READER',
        problem: /scope everything of leads:read is not one of assigned, distributed, all/,
      },
      {
        title: 'a scope on a permission that has none',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: [{ permission: invoices:read, scope: all }]\n    assignableBy'),
        role: 'READER',
        problem: /invoices:read has no scopes, but scope all is given/,
      },
      {
        title: 'an unknown module on a permission',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: [{ permission: invoices:read, module: billing }]\n    assignableBy'),
        role: 'READER',
        problem: /unknown module billing/,
      },
      {
        title: 'a wrong type (permissions: 5)',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permissions: 5\n    assignableBy'),
        role: 'READER',
        problem: /\(permissions\).*expected array, received number/,
      },
      {
        title: 'a misspelt key (permisions)',
        text: edit(MINIMAL, READER_PERMISSIONS, 'permisions: [invoices:read]\n    assignableBy'),
        role: 'READER',
        problem: /permisions/,
      },
      {
        title: 'a role name that is not UPPER_SNAKE_CASE',
        text: withRoles('  - name: Viewer\n    title: Viewer\n    accountTypes: [CUSTOMER]\n'),
        role: 'Viewer',
        problem: /UPPER_SNAKE_CASE/,
      },
      {
        title: 'a role without a title',
        text: edit(MINIMAL, '    title: Reader\n', ''),
        role: 'READER',
        problem: /\(title\)/,
      },
      {
        title: 'a second operator role',
        text: withRoles('  - name: SUPERVISOR\n    title: Supervisor\n    accountTypes: [PLATFORM]\n    permissions: ["**"]\n    operator: true\n'),
        role: 'SUPERVISOR',
        problem: /operator/,
      },
      {
        title: 'an operator role on another account type than PLATFORM',
        text: edit(edit(MINIMAL, '    descendants: true\n    operator: true\n', '    descendants: true\n'), '    administrator: true\n', '    operator: true\n'),
        role: 'ADMIN',
        problem: /operator.*PLATFORM/,
      },
    ];

    it.each(cases)('$title', ({ text, role, occurrence, problem }) => {
      const { message } = failure(text);
      expect(message).toMatch(new RegExp(`^mini\\.yaml: line \\d+: role ${role}[ :]`));
      const block = roleBlock(text, role, occurrence);
      const line = lineIn(message);
      expect(line).toBeGreaterThanOrEqual(block.first);
      expect(line).toBeLessThanOrEqual(block.last);
      expect(message).toMatch(problem);
    });
  });

  describe('a bad file outside the roles names the file, the line and the problem', () => {
    it.each([
      {
        title: 'YAML syntax error (an unclosed flow sequence)',
        text: edit(MINIMAL, 'permissions: [invoices:read]\n    assignableBy', 'permissions: [invoices:read\n    assignableBy'),
        near: (text: string) => roleBlock(text, 'READER'),
        problem: /end with a \]/,
      },
      {
        title: 'YAML syntax error (bad indentation)',
        text: edit(MINIMAL, '    title: Reader\n', '    title: Reader\n   bad: [x]\n'),
        near: (text: string) => roleBlock(text, 'READER'),
        problem: /indicator|indent/i,
      },
      {
        title: 'the required `actions` key missing',
        text: edit(MINIMAL, `actions:\n${ACTIONS}`, ''),
        near: () => ({ first: 1, last: 1 }),
        problem: /actions: .*(required|expected (record|object))/,
      },
      {
        title: 'an action missing from `actions`',
        text: edit(MINIMAL, '  audit.read: [invoices:manage]\n', ''),
        // The actions block: from `actions:` to the line before `roles:`.
        near: (text: string) => ({ first: text.split('\n').indexOf('actions:') + 1, last: text.split('\n').indexOf('roles:') }),
        problem: /actions\.audit\.read/,
      },
      {
        title: 'no operator role at all',
        text: edit(MINIMAL, '    descendants: true\n    operator: true\n', '    descendants: true\n'),
        near: (text: string) => ({ first: text.split('\n').indexOf('roles:') + 1, last: text.split('\n').length }),
        problem: /operator/,
      },
    ])('$title', ({ text, near, problem }) => {
      const { message } = failure(text);
      expect(message).toMatch(/^mini\.yaml: /);
      const { first, last } = near(text);
      const line = lineIn(message);
      expect(line).toBeGreaterThanOrEqual(first);
      expect(line).toBeLessThanOrEqual(last);
      expect(message).toMatch(problem);
    });

    it.each([
      { title: 'a topic routed to an undeclared contact role', text: MINIMAL + 'contactRoles: [TECHNICAL_CONTACT]\ntopics:\n  INVOICE: [BILLING_CONTACT]\n', problem: /topics\.INVOICE: BILLING_CONTACT is not a contact role/ },
      { title: 'a scoped permission of no account type', text: edit(MINIMAL, 'leads:read: [assigned', 'fleet:read: [assigned'), problem: /scopes: fleet:read is not a permission/ },
      { title: 'an action mapped to an unknown permission', text: edit(MINIMAL, '  audit.read: [invoices:manage]', '  audit.read: [audit:read]'), problem: /actions\.audit\.read: audit:read is not a permission/ },
      { title: 'two administrator roles of one account type', text: edit(MINIMAL, '    assignableBy: [ADMIN]\n', '    assignableBy: [ADMIN]\n    administrator: true\n'), problem: /CUSTOMER has two administrator roles: ADMIN and READER/ },
      { title: 'custom roles without a cap (mayCarry)', text: MINIMAL + 'customRoles:\n  accountTypes: [CUSTOMER]\n', problem: /customRoles\.mayCarry: name the permissions a custom role of CUSTOMER accounts may carry/ },
      { title: 'a cap naming a permission of no such type', text: MINIMAL + 'customRoles:\n  accountTypes: [CUSTOMER]\n  mayCarry:\n    CUSTOMER: [accounts:create]\n', problem: /customRoles\.mayCarry\.CUSTOMER: accounts:create is not a permission of account type CUSTOMER/ },
      { title: 'a cap for an account type without custom roles', text: MINIMAL + 'customRoles:\n  accountTypes: [CUSTOMER]\n  mayCarry:\n    CUSTOMER: [invoices:read]\n    PLATFORM: []\n', problem: /customRoles\.mayCarry: PLATFORM is not one of customRoles\.accountTypes/ },
      { title: 'a grant on neither its own account nor below it', text: edit(MINIMAL, '    permissions: [invoices:read]\n', '    permissions: [{ permission: invoices:read, ownAccount: false }]\n'), problem: /invoices:read has ownAccount: false without descendants: true/ },
    ])('$title is refused with the problem named', ({ text, problem }) => {
      expect(failure(text).message).toMatch(problem);
    });
  });

  describe('custom roles capped by the policy', () => {
    it('mayCarry expands `*` and `resource:*` to the permissions of the account type', () => {
      const policy = parsePolicy(MINIMAL + 'customRoles:\n  accountTypes: [CUSTOMER]\n  mayCarry:\n    CUSTOMER: ["invoices:*", tickets:read]\n', 'mini.yaml');
      expect([...policy.customRoles!.mayCarry.get('CUSTOMER')!].sort()).toEqual(['invoices:manage', 'invoices:read', 'tickets:read']);
      const engine = new PolicyEngine(policy);
      const customer: AccountFacts = { id: 'c', type: 'CUSTOMER', status: 'ACTIVE', settings: {}, ancestorIds: [] };
      const stored = { id: 'r', grants: [{ permission: 'leads:read', descendants: false, scope: 'all' }, { permission: 'tickets:read', descendants: false }] };
      const principal: PrincipalFacts = { userId: 'u', homeAccountId: 'c', active: true, assignments: [{ role: 'R', accountId: 'c', accountType: 'CUSTOMER', custom: stored, source: { kind: 'role' } }] };
      expect(engine.authorize(principal, 'tickets:read', customer).allowed).toBe(true);
      expect(engine.authorize(principal, 'leads:read', customer).allowed).toBe(false);
    });
  });

  describe('the shipped presets', () => {
    it.each(PRESETS.map((preset) => ({ preset })))('schema/policies/$preset.yaml parses, with PLATFORM_OPERATOR as its operator', ({ preset }) => {
      const path = join(packageRoot(), 'schema', 'policies', `${preset}.yaml`);
      const policy = parsePolicy(readFileSync(path, 'utf8'), path);
      expect(policy.name).toBe(preset);
      expect(policy.operatorRole).toMatchObject({ name: 'PLATFORM_OPERATOR', accountType: 'PLATFORM' });
      expect(policy.roles.size).toBeGreaterThan(1);
      expect(loadPolicy(preset).name).toBe(preset);
    });

    it('the three presets are dstny, appdirect and unifyr', () => {
      expect([...PRESETS].sort()).toEqual(['appdirect', 'dstny', 'unifyr']);
    });
  });

  describe('inclusion, scopes and except', () => {
    const policyWith = (roles: string): CompiledPolicy => parsePolicy(withRoles(roles), 'mini.yaml');

    it('`includes` merges the included grants with the role\'s own', () => {
      const policy = policyWith(
        '  - name: TICKETS\n    title: Tickets\n    accountTypes: [CUSTOMER]\n    includes: [READER]\n    permissions: [tickets:read]\n' +
          '  - name: BILLING\n    title: Billing\n    accountTypes: [CUSTOMER]\n    includes: [TICKETS]\n    permissions: [invoices:manage]\n',
      );
      expect(grantsOf(policy, 'TICKETS')).toEqual(['invoices:read', 'tickets:read']);
      expect(grantsOf(policy, 'BILLING')).toEqual(['invoices:manage', 'invoices:read', 'tickets:read']);
      const engine = new PolicyEngine(policy);
      const decision = engine.authorize(holder(['BILLING']), 'invoices:read', customer);
      expect(decision).toMatchObject({ allowed: true, grant: { role: 'BILLING', accountId: 'c', via: 'own' } });
      expect(engine.authorize(holder(['READER']), 'tickets:read', customer).allowed).toBe(false);
    });

    it('an included grant marked descendants keeps its reach', () => {
      const policy = policyWith(
        '  - name: BELOW\n    title: Below\n    accountTypes: [CUSTOMER]\n    permissions: [{ permission: tickets:read, descendants: true }]\n' +
          '  - name: ABOVE\n    title: Above\n    accountTypes: [CUSTOMER]\n    includes: [BELOW]\n    permissions: [tickets:read]\n',
      );
      expect(policy.roles.get('CUSTOMER/ABOVE')?.grants.get('tickets:read')?.descendants).toBe(true);
      expect(policy.roles.get('CUSTOMER/READER')?.grants.get('invoices:read')?.descendants).toBe(false);
    });

    it.each([
      { title: 'narrow then wide, in one role', entries: ['assigned', 'all', 'distributed'], widest: 'all' },
      { title: 'wide then narrow, in one role', entries: ['distributed', 'assigned'], widest: 'distributed' },
    ])('widest wins when entries of a scoped permission merge: $title', ({ entries, widest }) => {
      const list = entries.map((scope) => `{ permission: leads:read, scope: ${scope} }`).join(', ');
      const policy = policyWith(`  - name: LEADS\n    title: Leads\n    accountTypes: [CUSTOMER]\n    permissions: [${list}]\n`);
      expect(policy.roles.get('CUSTOMER/LEADS')?.grants.get('leads:read')?.scope).toBe(widest);
    });

    it.each([
      { title: 'the included role narrower', included: 'assigned', own: 'distributed', widest: 'distributed' },
      { title: 'the included role wider', included: 'all', own: 'assigned', widest: 'all' },
    ])('widest wins through includes: $title', ({ included, own, widest }) => {
      const policy = policyWith(
        `  - name: BASE\n    title: Base\n    accountTypes: [CUSTOMER]\n    permissions: [{ permission: leads:read, scope: ${included} }]\n` +
          `  - name: TOP\n    title: Top\n    accountTypes: [CUSTOMER]\n    includes: [BASE]\n    permissions: [{ permission: leads:read, scope: ${own} }]\n`,
      );
      expect(policy.roles.get('CUSTOMER/TOP')?.grants.get('leads:read')?.scope).toBe(widest);
    });

    it('a user holding two roles gets the widest scope of the two, whichever order they are held in', () => {
      const engine = new PolicyEngine(
        policyWith(
          '  - name: NARROW\n    title: Narrow\n    accountTypes: [CUSTOMER]\n    permissions: [{ permission: leads:read, scope: assigned }]\n' +
            '  - name: MIDDLE\n    title: Middle\n    accountTypes: [CUSTOMER]\n    permissions: [{ permission: leads:read, scope: distributed }]\n',
        ),
      );
      expect(engine.authorize(holder(['NARROW']), 'leads:read', customer).scope).toBe('assigned');
      expect(engine.authorize(holder(['NARROW', 'MIDDLE']), 'leads:read', customer)).toMatchObject({ allowed: true, scope: 'distributed', grant: { role: 'MIDDLE' } });
      expect(engine.authorize(holder(['MIDDLE', 'NARROW']), 'leads:read', customer)).toMatchObject({ allowed: true, scope: 'distributed', grant: { role: 'MIDDLE' } });
    });

    it('a scoped permission granted without a scope carries the widest one', () => {
      expect(parsePolicy(MINIMAL, 'mini.yaml').roles.get('CUSTOMER/ADMIN')?.grants.get('leads:read')?.scope).toBe('all');
    });

    it.each([
      { title: 'one permission', except: '[invoices:manage]', grants: ['invoices:read', 'leads:read', 'tickets:read'] },
      { title: 'a whole resource (invoices:*)', except: '["invoices:*"]', grants: ['leads:read', 'tickets:read'] },
      { title: 'two permissions', except: '[tickets:read, leads:read]', grants: ['invoices:manage', 'invoices:read'] },
    ])('`except` removes $title from `*`', ({ except, grants }) => {
      const policy = policyWith(`  - name: MOST\n    title: Most\n    accountTypes: [CUSTOMER]\n    permissions: ["*"]\n    except: ${except}\n`);
      expect(grantsOf(policy, 'MOST')).toEqual(grants);
      expect(grantsOf(policy, 'ADMIN')).toEqual(['invoices:manage', 'invoices:read', 'leads:read', 'tickets:read']);
    });
  });

  describe('loadPolicy at start-up', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'portico-policy-file-'));
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('a path that does not exist is a ConfigError naming PORTICO_POLICY and the path', () => {
      const missing = join(dir, 'nowhere.yaml');
      let thrown: unknown;
      try {
        loadPolicy(missing);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message).toContain('PORTICO_POLICY');
      expect((thrown as Error).message).toContain(`${missing} not found`);
    });

    it('an unknown preset name is a ConfigError at configuration time', () => {
      expect(() => loadConfig({ PORTICO_POLICY: 'acme' })).toThrow(ConfigError);
      expect(() => loadConfig({ PORTICO_POLICY: 'acme' })).toThrow(/PORTICO_POLICY="acme" is not valid: expected one of dstny, appdirect, unifyr/);
      expect(loadConfig({}).policy).toBe('dstny');
    });

    it('a bad policy file stops start-up with its path, the line, the role and the problem', () => {
      const path = join(dir, 'bad.yaml');
      writeFileSync(path, edit(MINIMAL, 'assignableBy: [ADMIN]', 'assignableBy: [OWNER]'));
      const { first } = roleBlock(readFileSync(path, 'utf8'), 'READER');
      expect(() => loadPolicy(path)).toThrow(PolicyFileError);
      expect(() => loadPolicy(path)).toThrow(`${path}: line ${first}: role READER: assignableBy names unknown role OWNER`);
    });

    it('a good policy file at a path loads', () => {
      const path = join(dir, 'good.yaml');
      writeFileSync(path, MINIMAL);
      expect(loadPolicy(path).name).toBe('mini');
    });
  });
});

describe('account settings and topics in the policy file', () => {
  const withSettings = (settings: string) => `${MINIMAL}settings:\n${settings}`;

  it('compiles declared settings, and declares the settings the policy reads that the file left out', () => {
    const policy = parsePolicy(withSettings('  apiKey:\n    type: string\n    secret: true\n    changedBy: [invoices:manage]\n  theme:\n    type: string\n    default: light\n    changedBy: [invoices:manage]\n'), 'mini.yaml');
    expect(policy.settings.get('apiKey')).toMatchObject({ type: 'string', secret: true, changedBy: ['invoices:manage'], governed: false });
    expect(policy.settings.get('theme')).toMatchObject({ default: 'light', secret: false });
    const switched = parsePolicy(edit(MINIMAL, 'permissions: [invoices:read]\n    assignableBy', 'permissions: [{ permission: invoices:read, whenSetting: readersOn }]\n    assignableBy'), 'mini.yaml');
    expect(switched.settings.get('readersOn')).toEqual({ key: 'readersOn', type: 'boolean', changedBy: ['invoices:manage'], secret: false, governed: true });
  });

  it.each([
    { title: 'a secret that is not a string', settings: '  pin:\n    type: integer\n    secret: true\n    changedBy: [invoices:manage]\n', problem: /settings\.pin: a secret setting is a string/ },
    { title: 'a secret with a default', settings: '  key:\n    type: string\n    secret: true\n    default: abc\n    changedBy: [invoices:manage]\n', problem: /settings\.key: a secret setting has no default/ },
    { title: 'a default of the wrong type', settings: '  limit:\n    type: integer\n    default: many\n    changedBy: [invoices:manage]\n', problem: /settings\.limit: the default is not an integer/ },
    { title: 'an unknown permission to change it', settings: '  theme:\n    type: string\n    changedBy: [themes:manage]\n', problem: /settings\.theme: themes:manage is not a permission of any account type/ },
    { title: 'no permission to change it', settings: '  theme:\n    type: string\n    changedBy: []\n', problem: /changedBy/ },
    { title: 'an unknown type', settings: '  theme:\n    type: colour\n    changedBy: [invoices:manage]\n', problem: /type/ },
  ])('refuses $title, naming the line', ({ settings, problem }) => {
    const text = withSettings(settings);
    const { message } = failure(text);
    expect(message).toMatch(problem);
    expect(lineIn(message)).toBeGreaterThan(MINIMAL.split('\n').length - 1);
  });

  it('refuses a setting the policy reads declared as secret or with another type', () => {
    const switched = edit(MINIMAL, 'permissions: [invoices:read]\n    assignableBy', 'permissions: [{ permission: invoices:read, whenSetting: readersOn }]\n    assignableBy');
    expect(failure(`${switched}settings:\n  readersOn:\n    type: string\n    changedBy: [invoices:manage]\n`).message).toMatch(/settings\.readersOn: the policy reads it as a boolean, not a string/);
  });

  it('routes a topic to contact roles and to the holders of rights, and refuses a right that is no role', () => {
    const topics = `${MINIMAL}contactRoles: [BILLING_CONTACT]\ntopics:\n  BILLS: [BILLING_CONTACT]\n  CONTRACT: { roles: [ADMIN] }\n`;
    const policy = parsePolicy(topics, 'mini.yaml');
    expect(policy.topicRecipients.get('BILLS')).toEqual({ contactRoles: ['BILLING_CONTACT'], roles: [] });
    expect(policy.topicRecipients.get('CONTRACT')).toEqual({ contactRoles: [], roles: ['ADMIN'] });
    expect(policy.topics.get('CONTRACT')).toEqual([]);
    expect(failure(edit(topics, 'roles: [ADMIN]', 'roles: [OWNER]')).message).toMatch(/topics\.CONTRACT: OWNER is not a role/);
  });
});
