import { ParseError } from "../errors.js";
import { excerpt } from "../header/lexer.js";
import { AbsoluteUri } from "./absolute-uri.js";
import { badChar } from "./bad-char.js";
import { parseSipUri } from "./parse-sip-uri.js";
import { parseTelUri } from "./parse-tel-uri.js";
import { C_ALPHA, C_OPAQUE, C_SCHEME, URI_CHAR } from "./uri-chars.js";
import type { Uri } from "./uri.js";

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
export function parseUri(text: string, what = "URI"): Uri {
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof ParseError) throw new ParseError(`${what}: ${e.message}`, { offset: e.offset, status: e.status }, { cause: e });
    throw e;
  }
}

function parse(s: string): Uri {
  const end = s.length;
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  let i = 0;
  while (i < end && (URI_CHAR[s.charCodeAt(i)]! & C_SCHEME) !== 0) i++;
  if (i === end || s.charCodeAt(i) !== 0x3a /* : */ || i === 0 || (URI_CHAR[s.charCodeAt(0)]! & C_ALPHA) === 0) {
    if (end === 0) throw new ParseError("empty URI", { offset: 0 });
    if (i < end && s.charCodeAt(i) !== 0x3a && (URI_CHAR[s.charCodeAt(i)]! & C_OPAQUE) === 0) throw badChar(s, i, "a URI");
    throw new ParseError(`missing or invalid scheme in "${excerpt(s, 0, 40)}"`, { offset: 0 });
  }
  // Case-insensitive match of the three schemes parsed here, without allocating (RFC 3261 §19.1.4
  // and RFC 3986 §3.1: schemes are case-insensitive). Lower case means the text can be kept as is.
  const c0 = s.charCodeAt(0);
  const c1 = s.charCodeAt(1);
  const c2 = s.charCodeAt(2);
  if (i === 3 || i === 4) {
    const lower = c0 >= 0x61 && c1 >= 0x61 && c2 >= 0x61 && (i === 3 || s.charCodeAt(3) >= 0x61);
    if ((c0 | 0x20) === 0x73 && (c1 | 0x20) === 0x69 && (c2 | 0x20) === 0x70) {
      if (i === 3) return parseSipUri(s, 4, "sip", lower);
      if ((s.charCodeAt(3) | 0x20) === 0x73) return parseSipUri(s, 5, "sips", lower);
    } else if (i === 3 && (c0 | 0x20) === 0x74 && (c1 | 0x20) === 0x65 && (c2 | 0x20) === 0x6c) {
      return parseTelUri(s, 4, lower);
    }
  }
  // absoluteURI = scheme ":" ( hier-part / opaque-part ): kept as text, with only the chars checked.
  if (i + 1 === end) throw new ParseError(`nothing after the scheme "${s.slice(0, i)}:"`, { offset: end });
  for (let k = i + 1; k < end; k++) {
    if ((URI_CHAR[s.charCodeAt(k)]! & C_OPAQUE) === 0) throw badChar(s, k, "a URI");
  }
  return new AbsoluteUri(s);
}
