import { writeFileSync } from 'fs';
import { join } from 'path';
import { loadPolicy, packageRoot, PRESETS } from '../src/config';
import { renderPolicyTables } from '../src/policy';

/** The Markdown tables of a preset, as `schema/policies/<name>.md` holds them. */
export function presetTables(preset: string): string {
  return renderPolicyTables(loadPolicy(preset), `schema/policies/${preset}.yaml`);
}

/** Writes schema/policies/<name>.md for every preset. */
function main(): void {
  for (const preset of PRESETS) {
    const file = join(packageRoot(), 'schema', 'policies', `${preset}.md`);
    writeFileSync(file, presetTables(preset));
    console.log(`wrote ${file}`);
  }
}

if (require.main === module) main();
