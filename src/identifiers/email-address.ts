import { parseOneAddress, type ParsedMailbox } from 'email-addresses';
import { toASCII, toUnicode } from 'tr46';
import { skeletonDigest } from './confusables';
import { codePoint, INVISIBLE } from './visible';

/** RFC 5321: at most 64 octets before the @, and 254 characters in all (what the users.email column holds). */
const MAX_LOCAL_OCTETS = 64;
const MAX_LENGTH = 254;

/** UTS #46 processing as registrars apply it: STD3 letters, digits and hyphens, valid punycode, bidi and joiner rules. */
const IDNA = { useSTD3ASCIIRules: true, checkHyphens: true, checkBidi: true, checkJoiners: true } as const;

export type CanonicalEmail = { ok: true; email: string; skeleton: string } | { ok: false; reason: string };

const refused = (reason: string): CanonicalEmail => ({ ok: false, reason });

/**
 * Unicode full case folding of a local part that is already NFKC: lower case, and where folding goes further than
 * lower case, the folding (ß → ss, final ς → σ, the iota subscript → ι, Cherokee small letters → capitals).
 */
function foldCase(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/\u0345/g, '\u03B9')
    .replace(/ß/g, 'ss')
    .replace(/ς/g, 'σ')
    .replace(/[\u{AB70}-\u{ABBF}]/gu, (c) => String.fromCodePoint(c.codePointAt(0)! - 0xab70 + 0x13a0))
    .replace(/[\u{13F8}-\u{13FD}]/gu, (c) => String.fromCodePoint(c.codePointAt(0)! - 8))
    .normalize('NFKC');
}

/** An addr-spec alone, as written: no display name, no comment, no quoted local part, no [domain literal]. */
function plainAddress(text: string): ParsedMailbox | string {
  const parsed = parseOneAddress({ input: text, rfc6532: true, rejectTLD: true, startAt: 'mailbox' });
  if (!parsed || parsed.type !== 'mailbox') return 'it is not an address of the form name@domain.tld';
  if (parsed.name !== null || parsed.parts.comments.length > 0 || parsed.parts.address.tokens !== text) return 'write the address alone, without a display name or comment';
  if (parsed.parts.local.children[0]?.name !== 'dot-atom') return 'a quoted local part is not accepted';
  if (parsed.parts.domain.children[0]?.name !== 'dot-atom') return 'a domain literal is not accepted';
  return parsed;
}

/**
 * The one form of an email address that Portico stores and compares, and its confusable skeleton's digest.
 * Spaces around it are dropped; a control, format, zero-width or unassigned code point anywhere refuses it. Then
 * NFKC, an RFC 5322 (with RFC 6532 UTF-8) parse of a plain addr-spec, the local part case-folded, the domain
 * through UTS #46 (lower case, mapped, its Unicode form: `xn--mller-kva.example` is kept as `müller.example`).
 * Two addresses are the same user exactly when their canonical forms are equal.
 */
export function canonicalEmail(raw: string): CanonicalEmail {
  const trimmed = raw.replace(/^\p{Zs}+|\p{Zs}+$/gu, '');
  // No parse of a megabyte: NFKC expands a character to at most a few.
  if (trimmed.length > 4 * MAX_LENGTH) return refused(`it is longer than ${MAX_LENGTH} characters`);
  const hidden = INVISIBLE.exec(trimmed);
  if (hidden) return refused(`it contains ${codePoint(hidden[0])}, an invisible or control character`);
  const text = trimmed.normalize('NFKC');
  const parsed = plainAddress(text);
  if (typeof parsed === 'string') return refused(parsed);
  const local = foldCase(parsed.local);
  if (Buffer.byteLength(local, 'utf8') > MAX_LOCAL_OCTETS) return refused(`the part before @ is longer than ${MAX_LOCAL_OCTETS} bytes`);
  const domain = toUnicode(parsed.domain, IDNA);
  if (domain.error || toASCII(parsed.domain, { ...IDNA, verifyDNSLength: true }) === null) return refused(`${parsed.domain} is not a valid domain name`);
  const email = `${local}@${domain.domain}`;
  if (email.length > MAX_LENGTH) return refused(`it is longer than ${MAX_LENGTH} characters`);
  return { ok: true, email, skeleton: skeletonDigest(email) };
}
