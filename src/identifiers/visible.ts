/** Code points a reader cannot see or that change how the text around them is shown. */
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

/** `U+200B`: how a code point is named in a message. */
export const codePoint = (char: string): string => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * A text as it can safely be echoed in a message or a report: every invisible code point written as `<U+200B>`,
 * cut after `max` characters, so a message never hides, reverses or floods what it quotes.
 */
export function visibly(text: string, max = 64): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(INVISIBLE_ALL, (char) => `<${codePoint(char)}>`);
}
