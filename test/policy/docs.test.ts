import { readFileSync } from 'fs';
import { join } from 'path';
import { operationSummary, operationTable, OPERATIONS_DOC, OPERATIONS_END, OPERATIONS_START, presetTables, readmeWithOperationTable } from '../../scripts/policy-docs';
import { loadPolicy, packageRoot, PRESETS } from '../../src/config';

describe('generated policy tables', () => {
  it.each(PRESETS.map((preset) => ({ preset })))('schema/policies/$preset.md is up to date (npm run policy:docs)', ({ preset }) => {
    const committed = readFileSync(join(packageRoot(), 'schema', 'policies', `${preset}.md`), 'utf8');
    expect(committed).toBe(presetTables(preset));
  });

  it('marks descendants, scopes, modules and settings in the cells', () => {
    const unifyr = presetTables('unifyr');
    expect(unifyr).toMatch(/\| rights:assign \|[^\n]*✓ \*if adminsMayAssignRoles\*/);
    expect(unifyr).toMatch(/\| leads:read \|[^\n]*✓ \[distributed, per leadsVisibilityByRole\] \*\(leads\)\*/);
    const dstny = presetTables('dstny');
    expect(dstny).toMatch(/\| customers:read \| ✓↓ \|/);
    expect(dstny).toContain('| INVOICE | nobody by contact role |');
  });

  it('lists every role of every preset', () => {
    for (const preset of PRESETS) {
      const tables = presetTables(preset);
      for (const role of loadPolicy(preset).roles.values()) expect(tables).toContain(`| ${role.name} | ${role.title} |`);
    }
  });

  it("README.md's operation summary and docs/how-it-decides.md's operation table are up to date (npm run policy:docs)", () => {
    const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
    expect(readme).toContain(OPERATIONS_START);
    expect(readme).toBe(readmeWithOperationTable(readme));
    const doc = readFileSync(join(packageRoot(), OPERATIONS_DOC), 'utf8');
    expect(doc).toContain(OPERATIONS_START);
    expect(doc).toBe(readmeWithOperationTable(doc, operationTable()));
  });

  it("the README's summary names every query and mutation once, beside its declared rule", () => {
    const summary = operationSummary();
    const table = operationTable().split('\n').slice(2);
    const listed = summary
      .split('\n')
      .slice(2)
      .flatMap((row) => [...row.split(' | ').slice(1).join(' ').matchAll(/`(\w+)`/g)])
      .map((m) => m[1]);
    expect([...listed].sort()).toEqual(table.map((row) => /`(\w+)[(`]/.exec(row)![1]).sort());
    expect(summary).toMatch(/^\| `audit\.read` on `accountId` \| `effectivePermissions`, `whoCan`, `auditEvents`, `auditIntegrity` \|/m);
  });

  it('lists every query and mutation with its declared rule', () => {
    const table = operationTable();
    expect(table).toContain('| `effectivePermissions(accountId, userId)` | `audit.read` on `accountId` |');
    expect(table).toContain('| mutation `grantImpersonation(input)` | `impersonation.grant` on `input.customerAccountId` |');
    expect(table).toContain('| mutation `setRoles(roles, userId)` | signed in |');
    const rows = table.split('\n').slice(2);
    const sdl = readFileSync(join(packageRoot(), 'schema', 'access-control.graphql'), 'utf8');
    const roots = ['Query', 'Mutation'].map((name) => new RegExp(`^type ${name} \\{\\n([\\s\\S]*?)^\\}`, 'm').exec(sdl)![1]);
    const declared = roots.flatMap((body) => [...body.matchAll(/^  ([a-zA-Z]\w*)[(:]/gm)].map((m) => m[1]));
    expect(rows.map((row) => /`(\w+)[(`]/.exec(row)![1])).toEqual(declared);
    expect(declared.length).toBeGreaterThan(40);
  });

  it('names the section it writes, and refuses a README without one', () => {
    expect(() => readmeWithOperationTable('# no table here')).toThrow(OPERATIONS_START);
    expect(readmeWithOperationTable(`a\n${OPERATIONS_START}\nold\n${OPERATIONS_END}\nb`, '| t |')).toBe(`a\n${OPERATIONS_START}\n| t |\n${OPERATIONS_END}\nb`);
  });
});
