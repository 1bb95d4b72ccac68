import { createHash } from 'crypto';
import { readFileSync } from 'fs';

/**
 * Unicode's confusables mapping (UTS #39, confusables.txt), as the `unhomoglyph` package ships it: each code point
 * that can be mistaken for another, with its prototype (`а` Cyrillic → `a`, `1` → `l`, `m` → `rn`).
 */
const PROTOTYPES = new Map<string, string>(Object.entries(JSON.parse(readFileSync(require.resolve('unhomoglyph/data.json'), 'utf8')) as Record<string, string>));

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
// A dot above a letter that already has its dot (i̇, as a lower-cased İ gives) draws the same letter: UTS #39 §5.4.
const DOT_ABOVE_ON_DOTTED = /(\p{Soft_Dotted}\p{Mn}*?)\u0307/gu;

/**
 * The UTS #39 skeleton of a text: two texts whose skeletons are equal can be taken for one another on screen.
 * NFD, default-ignorable code points removed, each code point replaced by its prototype, NFD again.
 */
export function skeleton(text: string): string {
  const decomposed = text.normalize('NFD').replace(IGNORABLE, '');
  let mapped = '';
  for (const char of decomposed) mapped += PROTOTYPES.get(char) ?? char;
  return mapped.normalize('NFD').replace(DOT_ABOVE_ON_DOTTED, '$1');
}

/** What the database keeps and indexes of a skeleton: its SHA-256, in hex (a skeleton can be far longer than its text). */
export const skeletonDigest = (text: string): string => createHash('sha256').update(skeleton(text)).digest('hex');
