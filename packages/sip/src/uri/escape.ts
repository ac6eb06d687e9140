import { ParseError } from "../errors.js";
import { C_HEADER, C_PARAM, C_PASSWORD, C_RESERVED, C_USER, URI_CHAR, hexValue } from "./uri-chars.js";

/*
 * Percent-escaping of URI components: RFC 3261 §19.1.2 and §25.1 (escaped = "%" HEXDIG HEXDIG),
 * RFC 3966 §3 (pct-encoded, same form).
 *
 * Leniency decision — a "%" that does not start a valid escape inside a SIP/SIPS/tel URI is a
 * ParseError, in every component (user, password, parameters, headers). Reasons:
 *  - In the SIP-URI grammar "%" appears only as part of `escaped`; no component allows a bare "%".
 *  - RFC 4475 §3.1.1.3 (esc01) says the application "must not try to interpret % as an escape
 *    character in those places where % HEX HEX ("escaped" in the grammar) is not a valid part of
 *    the construction. In [RFC3261], "escaped" only occurs in the expansions of SIP-URI, SIPS-URI,
 *    and Reason-Phrase." So inside a SIP URI, "%" IS always an escape and must be well formed.
 *  - RFC 4475 §3.1.1.5 (esc02), the message that must be accepted, has its stray "%" only where
 *    "%" is an ordinary char: the method and Via branch (token) and the display name
 *    (quoted-string, "%Z%45"). None of its URIs holds a bad escape, so accepting esc02 needs no
 *    leniency here — its URIs parse strictly.
 *  - RFC 4475 §3.1.2.11 (escruri) has *valid* escapes in the Request-URI's headers
 *    (`?Route=%3Csip:example.com%3E`); that message is rejected (or the headers ignored) by
 *    request validation because a Request-URI may not carry headers (RFC 3261 §19.1.1 Table 1),
 *    not by the URI parser, which parses it fine.
 * Unescaping is never recursive (RFC 4475 §3.1.1.3: "value%2541" unescapes to "value%41").
 *
 * Unescaped values are byte strings (one char per byte, like all wire text in this library):
 * `%C3%B1` unescapes to "\xC3\xB1", not "ñ". The escape functions take the same form back; a string
 * holding a char above U+00FF is taken as Unicode and escaped as its UTF-8 bytes.
 */

const HEX_UPPER = "0123456789ABCDEF";

/** The byte encoded by the escape at s[i] (which is "%"), or a ParseError if it is malformed. */
function escapedByte(s: string, i: number, end: number): number {
  const hi = i + 2 < end ? hexValue(s.charCodeAt(i + 1)) : -1;
  const lo = hi >= 0 ? hexValue(s.charCodeAt(i + 2)) : -1;
  if (lo < 0) {
    const shown = s.slice(i, Math.min(end, i + 3));
    throw new ParseError(`malformed escape "${printable(shown)}" (expected "%" HEX HEX)`, { offset: i });
  }
  return (hi << 4) | lo;
}

function printable(s: string): string {
  let out = "";
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    out += c >= 0x20 && c < 0x7f ? s[k] : `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/**
 * Percent-decodes s[start, end). Throws ParseError on a "%" not followed by two hex digits (see
 * the leniency decision above). Returns the input itself when there is nothing to decode.
 */
export function unescapeUriPart(s: string, start = 0, end: number = s.length): string {
  let pct = s.indexOf("%", start);
  if (pct < 0 || pct >= end) return start === 0 && end === s.length ? s : s.slice(start, end);
  let out = "";
  let from = start;
  while (pct >= 0 && pct < end) {
    const b = escapedByte(s, pct, end);
    out += s.slice(from, pct) + String.fromCharCode(b);
    from = pct + 3;
    pct = s.indexOf("%", from);
  }
  return out + s.slice(from, end);
}

/**
 * The canonical wire form of a component s[start, end) whose raw chars are in `allowed`:
 * an escape of a char that may appear unescaped in the component and is not `reserved` is
 * decoded; every other escape is kept, with upper-case hex. With `lower`, ASCII letters are
 * lower-cased (parameter names).
 *
 * This is the form SipUri keeps for serialization and comparison. RFC 3261 §19.1.4:
 * "Characters other than those in the "reserved" set (see RFC 2396) are equivalent to their
 * "%" HEX HEX encoding" — so `%61lice` ≡ `alice`, but `a%3Bb` ≢ `a;b` (";" is reserved). Two
 * canonical forms are equal exactly when the components are equivalent.
 */
export function canonicalEscapes(s: string, start: number, end: number, allowed: number, lower: boolean): string {
  let out = "";
  let from = start;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const b = escapedByte(s, i, end);
      out += s.slice(from, i);
      if (b < 0x80 && (URI_CHAR[b]! & allowed) !== 0 && (URI_CHAR[b]! & C_RESERVED) === 0) {
        out += String.fromCharCode(lower && b >= 0x41 && b <= 0x5a ? b | 0x20 : b);
      } else {
        out += "%" + HEX_UPPER[b >> 4]! + HEX_UPPER[b & 15]!;
      }
      i += 2;
      from = i + 1;
    } else if (lower && c >= 0x41 && c <= 0x5a) {
      out += s.slice(from, i) + String.fromCharCode(c | 0x20);
      from = i + 1;
    }
  }
  return out + s.slice(from, end);
}

/** Escapes every char of `s` that may not appear raw in a component whose chars are `allowed`. */
function escapeChars(s: string, allowed: number): string {
  const n = s.length;
  let i = 0;
  while (i < n && (URI_CHAR[s.charCodeAt(i)]! & allowed) !== 0) i++;
  if (i === n) return s;
  for (let k = i; k < n; k++) {
    if (s.charCodeAt(k) > 0xff) {
      s = Buffer.from(s, "utf8").toString("latin1");
      break;
    }
  }
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += (URI_CHAR[c]! & allowed) !== 0 ? s[i] : "%" + HEX_UPPER[c >> 4]! + HEX_UPPER[c & 15]!;
  }
  return out;
}

/** Escapes a SIP URI user part (RFC 3261 §25.1: unreserved / user-unreserved stay raw). */
export function escapeUriUser(user: string): string {
  return escapeChars(user, C_USER);
}

/** Escapes a SIP URI password (RFC 3261 §25.1: unreserved / "&" / "=" / "+" / "$" / "," stay raw). */
export function escapeUriPassword(password: string): string {
  return escapeChars(password, C_PASSWORD);
}

/** Escapes a URI parameter name or value (RFC 3261 §25.1 paramchar; RFC 3966 paramchar is the same set). */
export function escapeUriParam(value: string): string {
  return escapeChars(value, C_PARAM);
}

/** Escapes a URI header name or value (RFC 3261 §25.1: hnv-unreserved / unreserved stay raw). */
export function escapeUriHeader(value: string): string {
  return escapeChars(value, C_HEADER);
}
