import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { packageRoot, renderConfigurationTable } from '../src/config';

export const TABLE_START = '<!-- configuration table: written by npm run config:docs from CONFIG_VARIABLES in src/config.ts -->';
export const TABLE_END = '<!-- end of configuration table -->';

/** docs/configuration.md with the table between its markers written from CONFIG_VARIABLES. */
export function withConfigurationTable(markdown: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`docs/configuration.md has no ${TABLE_START} … ${TABLE_END} markers`);
  return `${markdown.slice(0, start + TABLE_START.length)}\n${renderConfigurationTable()}\n${markdown.slice(end)}`;
}

/** Writes the configuration table of docs/configuration.md. */
function main(): void {
  const file = join(packageRoot(), 'docs', 'configuration.md');
  writeFileSync(file, withConfigurationTable(readFileSync(file, 'utf8')));
  console.log(`wrote the configuration table of ${file}`);
}

if (require.main === module) main();
