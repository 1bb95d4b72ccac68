import { badInput } from '../errors';
import { codePoint } from './visible';

/**
 * Controls (C0, DEL, C1) and the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069):
 * they can break a line in an export, or show a name reversed or hide part of it in an administration screen.
 */
const FORBIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

export interface DisplayNameRule {
  /** How the message names it: `an account name`. */
  what: string;
  field: string;
  max: number;
}

/**
 * A name (or a short text such as a reason) a person typed, as it is stored: trimmed, 1 to `max` characters, in
 * any script, with no control or bidirectional override. Anything else is BAD_USER_INPUT.
 */
export function displayName(raw: string, rule: DisplayNameRule): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > rule.max) throw badInput(`${rule.what} has 1 to ${rule.max} characters`, { field: rule.field });
  const forbidden = FORBIDDEN.exec(name);
  if (forbidden) {
    throw badInput(`${rule.what} cannot contain control characters or bidirectional overrides (it contains ${codePoint(forbidden[0])})`, { field: rule.field, codePoint: codePoint(forbidden[0]) });
  }
  return name;
}
