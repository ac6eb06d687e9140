import { ParseError, rethrowWithContext } from "../errors.js";
import { excerpt } from "../header/lexer.js";
import { AbsoluteUri } from "./absolute-uri.js";
import { badChar } from "./bad-char.js";
import { parseSipUri } from "./parse-sip-uri.js";
import { parseTelUri } from "./parse-tel-uri.js";
import { C_ALPHA, C_OPAQUE, C_SCHEME, URI_CHAR } from "./uri-chars.js";
import type { Uri } from "./uri.js";
import { rangeText } from "./range-text.js";

/**
 * Parses a URI from latin1-decoded wire text (one char per byte): a Request-URI, or the URI
 * inside a name-addr's `<...>`.
 *
 * `sip:`, `sips:` and `tel:` (any case) become SipUri / TelUri, checked against RFC 3261 §25.1 /
 * RFC 3966 §3. Any other scheme becomes an AbsoluteUri and is not an error — the 416 decision
 * belongs to validation (RFC 3261 §8.2.2.1, RFC 4475 §3.3.8). White space, control chars, bytes
 * above 0x7e and `<`, `>`, `"` are never part of a URI (RFC 3261 §19.1.2: "URIs MUST NOT contain
 * unescaped space and control characters"; RFC 4475 §3.1.2.7, §3.1.2.8).
 *
 * Throws ParseError (status 400) whose message starts with `what`, e.g.
 * `Request-URI: invalid port "70000"`, and whose offset is the index in `text`.
 */
export function parseUri(text: string, what = "URI", start = 0, end = text.length): Uri {
  try {
    return parse(text, start, end);
  } catch (e) {
    rethrowWithContext(what, e);
  }
}

function parse(s: string, start: number, end: number): Uri {
  // Nearly every URI starts with "sip:" in lower case: take it without the general scheme scan.
  if (
    start + 3 < end &&
    s.charCodeAt(start + 3) === 0x3a /* : */ &&
    s.charCodeAt(start) === 0x73 /* s */ &&
    s.charCodeAt(start + 1) === 0x69 /* i */ &&
    s.charCodeAt(start + 2) === 0x70 /* p */
  ) {
    return parseSipUri(s, start, start + 4, end, "sip", true);
  }
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  let i = start;
  while (i < end && (URI_CHAR[s.charCodeAt(i)]! & C_SCHEME) !== 0) i++;
  if (i === end || s.charCodeAt(i) !== 0x3a /* : */ || i === start || (URI_CHAR[s.charCodeAt(start)]! & C_ALPHA) === 0) {
    if (end === start) throw new ParseError("empty URI", { offset: start });
    if (i < end && s.charCodeAt(i) !== 0x3a && (URI_CHAR[s.charCodeAt(i)]! & C_OPAQUE) === 0) throw badChar(s, i, "a URI");
    throw new ParseError(`missing or invalid scheme in "${excerpt(s, start, Math.min(40, end - start))}"`, { offset: start });
  }
  // Case-insensitive match of the three schemes parsed here, without allocating (RFC 3261 §19.1.4
  // and RFC 3986 §3.1: schemes are case-insensitive). Lower case means the text can be kept as is.
  const c0 = s.charCodeAt(start);
  const c1 = s.charCodeAt(start + 1);
  const c2 = s.charCodeAt(start + 2);
  const schemeLength = i - start;
  if (schemeLength === 3 || schemeLength === 4) {
    const lower = c0 >= 0x61 && c1 >= 0x61 && c2 >= 0x61 && (schemeLength === 3 || s.charCodeAt(start + 3) >= 0x61);
    if ((c0 | 0x20) === 0x73 && (c1 | 0x20) === 0x69 && (c2 | 0x20) === 0x70) {
      if (schemeLength === 3) return parseSipUri(s, start, i + 1, end, "sip", lower);
      if ((s.charCodeAt(start + 3) | 0x20) === 0x73) return parseSipUri(s, start, i + 1, end, "sips", lower);
    } else if (schemeLength === 3 && (c0 | 0x20) === 0x74 && (c1 | 0x20) === 0x65 && (c2 | 0x20) === 0x6c) {
      return parseTelUri(s, start, i + 1, end, lower);
    }
  }
  // absoluteURI = scheme ":" ( hier-part / opaque-part ): kept as text, with only the chars checked.
  if (i + 1 === end) throw new ParseError(`nothing after the scheme "${s.slice(start, i)}:"`, { offset: end });
  for (let k = i + 1; k < end; k++) {
    if ((URI_CHAR[s.charCodeAt(k)]! & C_OPAQUE) === 0) throw badChar(s, k, "a URI");
  }
  return new AbsoluteUri(rangeText(s, start, end));
}
