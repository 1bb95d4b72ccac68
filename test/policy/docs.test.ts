import { readFileSync } from 'fs';
import { join } from 'path';
import { presetTables } from '../../scripts/policy-docs';
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
});
