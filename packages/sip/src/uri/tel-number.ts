import { ParseError } from "../errors.js";
import { C_DIGIT, C_TEL_GLOBAL, C_TEL_LOCAL, URI_CHAR } from "./uri-chars.js";

/*
 * RFC 3966 §3:
 *   global-number-digits = "+" *phonedigit DIGIT *phonedigit
 *   local-number-digits  = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex
 *   phonedigit           = DIGIT / [ visual-separator ]
 *   phonedigit-hex       = HEXDIG / "*" / "#" / [ visual-separator ]
 *   visual-separator     = "-" / "." / "(" / ")"
 */

/** Index just past the telephone number starting at s[i]; throws ParseError if there is no valid one. */
export function scanTelNumber(s: string, i: number, end: number): number {
  const start = i;
  const global = i < end && s.charCodeAt(i) === 0x2b; /* + */
  const chars = global ? C_TEL_GLOBAL : C_TEL_LOCAL;
  if (global) i++;
  let digits = 0;
  for (; i < end; i++) {
    const f = URI_CHAR[s.charCodeAt(i)]!;
    if ((f & chars) === 0) break;
    // Visual separators alone do not make a number; a local number's "digits" include hex, "*" and "#".
    if (global ? (f & C_DIGIT) !== 0 : !isVisualSeparator(s.charCodeAt(i))) digits++;
  }
  if (digits === 0) {
    throw new ParseError(i === start ? "missing telephone number" : `invalid telephone number "${s.slice(start, i)}"`, { offset: start });
  }
  return i;
}

function isVisualSeparator(c: number): boolean {
  return c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29;
}

/** True if all of `s` is global-number-digits (`+` first) or local-number-digits. */
export function isTelNumber(s: string): boolean {
  try {
    return scanTelNumber(s, 0, s.length) === s.length;
  } catch {
    return false;
  }
}

/** The number without visual separators, hex digits lower-cased: the form RFC 3966 §4 compares. */
export function telDigits(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isVisualSeparator(c)) continue;
    out += String.fromCharCode(c >= 0x41 && c <= 0x46 ? c | 0x20 : c);
  }
  return out;
}
