/*
 * Character classes of the URI grammars (RFC 3261 §25.1, RFC 3966 §3), as bit flags in one
 * lookup table indexed by char code. URI text is latin1 wire text, so every char is < 256; a
 * char above that reads `undefined` from the table, which `&` turns into 0 (not allowed).
 */

/** user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
export const C_USER = 1 << 0;
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const C_PASSWORD = 1 << 1;
/** paramchar = param-unreserved / unreserved / escaped; param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$" (same set in RFC 3966) */
export const C_PARAM = 1 << 2;
/** hname / hvalue chars: hnv-unreserved / unreserved / escaped; hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$" */
export const C_HEADER = 1 << 3;
/** reserved = ";" / "/" / "?" / ":" / "@" / "&" / "=" / "+" / "$" / "," */
export const C_RESERVED = 1 << 4;
/** unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")" */
export const C_UNRESERVED = 1 << 5;
export const C_HEX = 1 << 6;
/** RFC 3966: pname = 1*( alphanum / "-" ) */
export const C_TEL_PNAME = 1 << 7;
/** Host name chars: alphanum / "-" / "." plus "_", which the grammar lacks but deployments use. */
export const C_HOST = 1 << 8;
/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
export const C_SCHEME = 1 << 9;
export const C_DIGIT = 1 << 10;
/** RFC 3966: phonedigit-hex = HEXDIG / "*" / "#" / visual-separator; visual-separator = "-" / "." / "(" / ")" */
export const C_TEL_LOCAL = 1 << 11;
/** RFC 3966: phonedigit = DIGIT / visual-separator */
export const C_TEL_GLOBAL = 1 << 12;
/** Chars taken as-is inside an absoluteURI of an unknown scheme: printable ASCII except `<`, `>` and `"`. */
export const C_OPAQUE = 1 << 13;
export const C_ALPHA = 1 << 14;

export const URI_CHAR: Uint16Array = (() => {
  const t = new Uint16Array(256);
  const add = (chars: string, bit: number): void => {
    for (let k = 0; k < chars.length; k++) {
      const c = chars.charCodeAt(k);
      t[c] = (t[c] ?? 0) | bit;
    }
  };
  const range = (from: number, to: number): string => {
    let out = "";
    for (let c = from; c <= to; c++) out += String.fromCharCode(c);
    return out;
  };
  const digit = range(0x30, 0x39);
  const alpha = range(0x41, 0x5a) + range(0x61, 0x7a);
  const alphanum = alpha + digit;
  const unreserved = alphanum + "-_.!~*'()";
  add(alpha, C_ALPHA);
  add(digit, C_DIGIT);
  add(digit + "ABCDEFabcdef", C_HEX);
  add(unreserved, C_UNRESERVED);
  add(";/?:@&=+$,", C_RESERVED);
  add(unreserved + "&=+$,;?/", C_USER);
  add(unreserved + "&=+$,", C_PASSWORD);
  add(unreserved + "[]/:&+$", C_PARAM);
  add(unreserved + "[]/?:+$", C_HEADER);
  add(alphanum + "-", C_TEL_PNAME);
  add(alphanum + "-._", C_HOST);
  add(alphanum + "+-.", C_SCHEME);
  add(digit + "ABCDEFabcdef*#-.()", C_TEL_LOCAL);
  add(digit + "-.()", C_TEL_GLOBAL);
  add(range(0x21, 0x7e).replace(/[<>"]/g, ""), C_OPAQUE);
  return t;
})();

/**
 * 1 for the chars in any of the classes `bits`, else 0: a scanner's own copy of a class, as a
 * table of its module (faster to reach in a loop than an imported one).
 */
export function charTable(bits: number): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) if ((URI_CHAR[c]! & bits) !== 0) t[c] = 1;
  return t;
}

/** Value of a hex digit char, or -1. */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x57;
  return -1;
}

/** ASCII-only case-insensitive equality (URI components are ASCII or escaped). */
export function equalsIgnoreCase(a: string, b: string): boolean {
  if (a === b) return true;
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const lx = x | 0x20;
    if (lx !== (y | 0x20) || lx < 0x61 || lx > 0x7a) return false;
  }
  return true;
}

/** Lower-cases ASCII letters only (String#toLowerCase would also fold latin1 bytes ≥ 0xC0). */
export function asciiLower(s: string): string {
  let i = 0;
  while (i < s.length && !isUpper(s.charCodeAt(i))) i++;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += isUpper(c) ? String.fromCharCode(c | 0x20) : s[i];
  }
  return out;
}

function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

/** True if `s` is 1 to `max` chars, all of them in `chars` (a bit of URI_CHAR), and at least one a DIGIT. */
export function isCharRun(s: string, chars: number, max: number = s.length): boolean {
  if (s.length === 0 || s.length > max) return false;
  let digit = false;
  for (let i = 0; i < s.length; i++) {
    const f = URI_CHAR[s.charCodeAt(i)]!;
    if ((f & chars) === 0) return false;
    if ((f & C_DIGIT) !== 0) digit = true;
  }
  return digit;
}

/** How a char is named in an error message: printable ASCII quoted, anything else by its code. */
export function describeChar(c: number): string {
  if (c === 0x20 || c === 0x09) return "white space";
  const hex = `\\x${c.toString(16).padStart(2, "0")}`;
  if (c < 0x20 || c === 0x7f) return `control character ${hex}`;
  if (c > 0x7e) return `non-ASCII byte ${hex}`;
  return `character "${String.fromCharCode(c)}"`;
}
