import { scanPort, scannedPortValue } from "../header/host.js";
import { ParseError } from "../errors.js";
import { excerpt } from "../header/lexer.js";
import { badChar } from "./bad-char.js";
import { canonicalEscapes, unescapeUriPart } from "./escape.js";
import { CHECKED_SIP_PARAMS, SipUri, checkSipParam, plainSipUri } from "./sip-uri.js";
import { C_HEADER, C_PASSWORD, C_USER, URI_CHAR, charTable } from "./uri-chars.js";
import { parseIPv6, scanHost, scannedHostType, type HostType } from "./uri-host.js";
import { NO_PARAMS, NO_WIRE, scanPlainParams, scanUriParams } from "./uri-params.js";

const NO_HEADERS: ReadonlyArray<[string, string]> = Object.freeze([]);
const NO_HEADER_WIRE: readonly string[] = Object.freeze([]);

/**
 * Parses the rest of a SIP or SIPS URI in s[textStart, end), s[start] being the first char after
 * "sip:"/"sips:".
 * RFC 3261 §25.1:
 *   SIP-URI  = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
 *   userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
 * `verbatim` says the scheme was written in lower case; when nothing else needs normalizing the
 * input itself becomes the URI's toString(), so forwarding an untouched Request-URI costs nothing.
 *
 * Most URIs take the shortcut parsePlainSipUri; whatever it does not accept, errors included,
 * goes to parseAnySipUri, which handles the whole grammar and says exactly what is wrong.
 */
export function parseSipUri(s: string, textStart: number, start: number, end: number, scheme: "sip" | "sips", verbatim: boolean): SipUri {
  return parsePlainSipUri(s, textStart, start, end, scheme, verbatim) ?? parseAnySipUri(s, textStart, start, end, scheme, verbatim);
}

/**
 * The common shape `[user "@"] host [":" port] *( ";" param )` — nothing escaped, no password,
 * no IPv6 reference, no headers, parameters plain (see scanPlainParams) — read in one pass over
 * the chars, building only the strings a caller reads first (user, host). Returns undefined for
 * anything else, valid or not, so it only has to be right about what it accepts: for those URIs
 * it must build what parseAnySipUri would, which the comments below argue.
 */
function parsePlainSipUri(s: string, textStart: number, start: number, end: number, scheme: "sip" | "sips", verbatim: boolean): SipUri | undefined {
  // The first run of host chars is the host — unless "@" or another user char (e.g. the "+" of
  // "+12125551212@") ends it: then it is the start of the user part (host chars are user chars
  // too), and the host is the run after the user part's "@". parseAnySipUri takes everything
  // before the first "@" as the userinfo, and "@" may appear nowhere after it; so when this takes
  // a run as the host and an "@" follows, the port or parameters below stop at it and the URI
  // goes to parseAnySipUri.
  // (A loop, run at most twice, rather than two calls of scanHost: V8 then inlines it once, which
  // leaves room to inline the rest; with two calls parsing was 20% slower.)
  let user: string | undefined;
  let hostStart = start;
  let i: number;
  while ((i = scanHost(s, hostStart, end)) < end && !isHostTerminator(s.charCodeAt(i))) {
    if (user !== undefined) return undefined; // after the "@": a char no host may hold
    i = scanPlainUser(s, i, end);
    if (i <= start) return undefined; // no "@" (or a char that needs parseAnySipUri), or an empty user part
    user = s.slice(start, i);
    hostStart = i + 1;
  }
  const hostType = scannedHostType();
  if (hostType === undefined) return undefined; // no host, an invalid one, or an IPv6 reference
  const host = s.slice(hostStart, i);

  let port: number | undefined;
  if (i < end && s.charCodeAt(i) === 0x3a /* : */) {
    const ps = i + 1;
    i = scanPort(s, ps, end);
    if (i < 0) return undefined;
    if (i - ps > 1 && s.charCodeAt(ps) === 0x30) verbatim = false; // "05060" serializes as "5060"
    port = scannedPortValue();
  }

  // Plain parameters are checked now and built when first read (SipUri.params).
  let paramStart = -1;
  if (i < end && s.charCodeAt(i) === 0x3b /* ; */) {
    paramStart = i;
    i = scanPlainParams(s, i, end, checkSipParam, CHECKED_SIP_PARAMS);
  }
  if (i !== end) return undefined; // headers, or a char that is not allowed here
  return plainSipUri(scheme, user, host, port, hostType, s, verbatim ? textStart : -1, paramStart, end);
}

/** User-part chars, a table of this module for scanPlainUser. */
const USER_CHAR = charTable(C_USER);

/**
 * From s[i], inside a user part: the index of the "@" that ends it, or -1 if something else comes
 * first — ":" (a password), "%" (an escape), a char no user part may hold, or the end.
 */
function scanPlainUser(s: string, i: number, end: number): number {
  while (i < end && USER_CHAR[s.charCodeAt(i)] === 1) i++;
  return i < end && s.charCodeAt(i) === 0x40 /* @ */ ? i : -1;
}

/** The whole grammar (see parseSipUri), throwing ParseError on the first thing wrong. */
function parseAnySipUri(s: string, textStart: number, start: number, end: number, scheme: "sip" | "sips", verbatim: boolean): SipUri {
  let i = start;

  // userinfo. "@" may appear nowhere else in the URI (host, password, parameters and headers
  // cannot hold it unescaped), so the first "@" ends it. The user part may hold ";", "?", "/"
  // and "=" (user-unreserved), e.g. RFC 4475 §3.1.1.9 `sip:user;par=u%40example.net@example.com`.
  let user: string | undefined;
  let userWire: string | undefined;
  let password: string | undefined;
  let passwordWire: string | undefined;
  const at = indexIn(s, 0x40 /* @ */, start, end);
  if (at >= 0) {
    let escaped = false;
    let k = start;
    for (; k < at; k++) {
      const c = s.charCodeAt(k);
      if (c === 0x3a /* : */) break;
      if ((URI_CHAR[c]! & C_USER) === 0) {
        if (c === 0x25 /* % */) escaped = true;
        else throw badChar(s, k, "the user part");
      }
    }
    // RFC 3261 §19.1.1: "If the @ sign is present in a SIP or SIPS URI, the user field MUST NOT be empty."
    if (k === start) throw new ParseError("empty user part", { offset: start });
    if (escaped) {
      userWire = canonicalEscapes(s, start, k, C_USER, false);
      user = unescapeUriPart(userWire);
      verbatim = false;
    } else {
      user = userWire = s.slice(start, k);
    }
    if (k < at) {
      const ps = k + 1;
      escaped = false;
      for (k = ps; k < at; k++) {
        const c = s.charCodeAt(k);
        if ((URI_CHAR[c]! & C_PASSWORD) === 0) {
          if (c === 0x25) escaped = true;
          else throw badChar(s, k, "the password");
        }
      }
      if (escaped) {
        passwordWire = canonicalEscapes(s, ps, at, C_PASSWORD, false);
        password = unescapeUriPart(passwordWire);
        verbatim = false;
      } else {
        password = passwordWire = s.slice(ps, at);
      }
    }
    i = at + 1;
  }

  // host = hostname / IPv4address / IPv6reference
  const hostStart = i;
  let hostType: HostType | undefined;
  if (i < end && s.charCodeAt(i) === 0x5b /* [ */) {
    const close = indexIn(s, 0x5d /* ] */, i, end);
    if (close < 0) throw new ParseError(`unterminated IPv6 reference "${excerpt(s, i)}"`, { offset: i });
    if (!parseIPv6(s, i + 1, close)) throw new ParseError(`invalid IPv6 reference "${excerpt(s, i, close + 1 - i)}"`, { offset: i });
    i = close + 1;
    hostType = "ipv6";
  } else {
    i = scanHost(s, i, end);
    if (i === hostStart) {
      if (i < end && !isHostTerminator(s.charCodeAt(i))) throw badChar(s, i, "the host");
      throw new ParseError("missing host", { offset: i });
    }
    hostType = scannedHostType();
    if (hostType === undefined) throw new ParseError(`invalid host "${s.slice(hostStart, i)}"`, { offset: hostStart });
  }
  const host = s.slice(hostStart, i);

  // port = 1*DIGIT
  let port: number | undefined;
  if (i < end && s.charCodeAt(i) === 0x3a /* : */) {
    const ps = i + 1;
    i = scanPort(s, ps, end);
    if (i < 0) {
      let e = ps;
      while (e < end && !isHostTerminator(s.charCodeAt(e))) e++;
      throw new ParseError(`invalid port "${excerpt(s, ps, e - ps)}"`, { offset: ps });
    }
    if (i - ps > 1 && s.charCodeAt(ps) === 0x30) verbatim = false; // "05060" serializes as "5060"
    port = scannedPortValue();
  }

  if (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 0x3b && c !== 0x3f) throw badChar(s, i, port === undefined ? `the host "${host}"` : "the port");
  }

  // uri-parameters = *( ";" uri-parameter )
  let params = NO_PARAMS;
  let paramWire = NO_WIRE;
  if (i < end && s.charCodeAt(i) === 0x3b /* ; */) {
    const scan = scanUriParams(s, i, end, false, checkSipParam);
    params = scan.params;
    paramWire = scan.wire;
    if (!scan.verbatim) verbatim = false;
    i = scan.end;
  }

  // headers = "?" header *( "&" header ); header = hname "=" hvalue
  let headers = NO_HEADERS;
  let headerWire = NO_HEADER_WIRE;
  if (i < end && s.charCodeAt(i) === 0x3f /* ? */) {
    const list: [string, string][] = [];
    const wire: string[] = [];
    do {
      const ns = ++i;
      let escaped = false;
      while (i < end) {
        const c = s.charCodeAt(i);
        if (c === 0x3d /* = */ || c === 0x26 /* & */) break;
        if ((URI_CHAR[c]! & C_HEADER) === 0) {
          if (c === 0x25) escaped = true;
          else throw badChar(s, i, "a header name");
        }
        i++;
      }
      if (i === ns) throw new ParseError("empty header name", { offset: ns });
      const nameWire = escaped ? canonicalEscapes(s, ns, i, C_HEADER, false) : s.slice(ns, i);
      const name = escaped ? unescapeUriPart(nameWire) : nameWire;
      if (i >= end || s.charCodeAt(i) !== 0x3d) throw new ParseError(`header "${name}" has no "="`, { offset: i });
      const vs = ++i;
      if (escaped) verbatim = false;
      escaped = false;
      while (i < end) {
        const c = s.charCodeAt(i);
        if (c === 0x26) break;
        if ((URI_CHAR[c]! & C_HEADER) === 0) {
          if (c === 0x25) escaped = true;
          else throw badChar(s, i, `header "${name}"`);
        }
        i++;
      }
      const valueWire = escaped ? canonicalEscapes(s, vs, i, C_HEADER, false) : s.slice(vs, i);
      if (escaped) verbatim = false;
      list.push([name, escaped ? unescapeUriPart(valueWire) : valueWire]);
      wire.push(nameWire, valueWire);
    } while (i < end && s.charCodeAt(i) === 0x26);
    headers = list;
    headerWire = wire;
  }

  // Anything left is a char that can neither continue the parameters nor start headers.
  if (i < end) throw badChar(s, i, headers.length > 0 ? "the headers" : "the parameters");

  const extras = { userWire, passwordWire, headers, headerWire };
  const text = verbatim ? s : ""; // kept only to be toString()
  return new SipUri(null, scheme, user, password, host, port, hostType, extras, params, paramWire, text, verbatim ? textStart : -1, -1, end);
}

/** Index of the first char `c` in s[i, end), or -1: unlike indexOf, it does not search on past `end` through the rest of the message. */
function indexIn(s: string, c: number, i: number, end: number): number {
  for (; i < end; i++) if (s.charCodeAt(i) === c) return i;
  return -1;
}

/** ":" (port), ";" (parameters), "?" (headers) or nothing may follow a host. */
function isHostTerminator(c: number): boolean {
  return c === 0x3a || c === 0x3b || c === 0x3f;
}
