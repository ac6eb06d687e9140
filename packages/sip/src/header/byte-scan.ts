import { charTable, C_HOST, C_PARAM, C_USER } from "../uri/uri-chars.js";
import type { HostType } from "../uri/uri-host.js";
import { METHODS, type CSeq } from "./cseq.js";
import { lastScanEnd, TOKEN_CHAR as IMPORTED_TOKEN_CHAR } from "./lexer.js";
import { NameAddr, parseNameAddr } from "./name-addr.js";
import { Via } from "./via.js";

/*
 * One pass over the received bytes for the shapes the routing headers nearly always have: no
 * white space inside a value, no escapes, no quoted-pairs, no IPv6, a lower-case `sip:` URI with
 * plain parameters. Each scanner either builds exactly what the general parser (parseVia,
 * parseNameAddr, parseSipUri, parseCSeq over the latin1 text) builds from the same value, or
 * returns undefined — for anything else, valid or not — and the caller runs the general parser,
 * which also says what is wrong. So they only have to be right about what they accept; the
 * comments argue it, and byte-scan.test.ts holds them to the general parser over the corpus and
 * random values.
 *
 * Why bytes: on Node 20 an indexed Uint8Array read costs about a third of a charCodeAt, and the
 * routing headers are read on every message. `b` is the message, `s` the same bytes decoded as
 * latin1 (the strings are sliced from it), and [start, end) the value as the header table has it
 * (trimmed); unfolded messages only, where offsets in `b` and `s` agree.
 */

const SP = 0x20;
const TAB = 0x09;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const SEMI = 0x3b;
const EQUAL = 0x3d;
const COLON = 0x3a;
const LT = 0x3c;
const GT = 0x3e;
const AT = 0x40;
const QUESTION = 0x3f;

/*
 * Every table is this module's own: an imported binding is read through its module cell, with a
 * check that it is initialized, on every access — in a loop over bytes that cost more than the
 * table read itself.
 */
const TOKEN_CHAR: Uint8Array = IMPORTED_TOKEN_CHAR.slice();

/** Chars of an unquoted generic-param value (lexer.ts PARAM_VALUE_CHAR): token chars, ":", "[", "]". */
const PARAM_VALUE: Uint8Array = (() => {
  const t = TOKEN_CHAR.slice();
  t[0x3a] = 1;
  t[0x5b] = 1;
  t[0x5d] = 1;
  return t;
})();

/** Via sent-by host chars (host.ts scanHost): alphanum, "-", ".", "_". */
const VIA_HOST: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  t[0x2d] = 1;
  t[0x2e] = 1;
  t[0x5f] = 1;
  return t;
})();

/** URI host-name chars as uri-host.ts scanHost sees them: 1 a label char, 2 ".", 0 anything else. */
const URI_HOST: Uint8Array = (() => {
  const t = charTable(C_HOST);
  t[0x2e] = 2;
  return t;
})();

/** SIP URI user-part chars (parse-sip-uri.ts scanPlainUser). */
const USER: Uint8Array = charTable(C_USER);

/** uri-params.ts PARAM_CHAR: 0 not a paramchar, 1 an upper-case letter, 3 any other paramchar. */
const URI_PARAM: Uint8Array = (() => {
  const t = charTable(C_PARAM);
  for (let c = 0; c < 256; c++) if (t[c] === 1 && !(c >= 0x41 && c <= 0x5a)) t[c] = 3;
  return t;
})();

// ---- generic parameters ------------------------------------------------------------------

/** Where the last scanGenericParams stopped, and the tag / branch value range it found (-1 when none). */
let paramsEnd = 0;
let tagSeen = false;
let tagStart = -1;
let tagEnd = -1;
let branchStart = -1;
let branchEnd = -1;

/**
 * `*( ";" token [ "=" ( token-ish / quoted-string ) ] )` from b[i] up to `end` or, in a list, the
 * ',' that ends the element — what lexer.ts scanParams accepts when no white space is around the
 * parts and no quoted value holds a quoted-pair. Records the first `tag` (name-addrs read it
 * first, Params.get gives the first) and the last `branch` (parseVia keeps the last) with an
 * unquoted value; for a Via, checks `ttl` and `rport` as parseVia does. Returns false when
 * unsure: the caller then runs the general parser.
 */
function scanGenericParams(b: Uint8Array, s: string, i: number, end: number, inList: boolean, via: boolean): boolean {
  tagStart = tagEnd = branchStart = branchEnd = -1;
  tagSeen = false;
  while (i < end) {
    const c = b[i] as number;
    if (c !== SEMI) {
      if (c === COMMA && inList) break;
      return false;
    }
    const ns = ++i;
    while (i < end && TOKEN_CHAR[b[i] as number] === 1) i++;
    const nameLength = i - ns;
    if (nameLength === 0) return false;
    let vs = -1;
    let ve = -1;
    if (i < end && b[i] === EQUAL) {
      vs = ++i;
      if (i < end && b[i] === DQUOTE) {
        // The closing quote found with indexOf (quoted values such as +sip.instance run long),
        // and no backslash before it: a quoted-pair is left to the general parser.
        const close = s.indexOf('"', i + 1);
        if (close < 0 || close >= end) return false; // unterminated: the general parser says so
        const backslash = s.indexOf("\\", i + 1);
        if (backslash >= 0 && backslash < close) return false;
        i = close + 1;
      } else {
        while (i < end && PARAM_VALUE[b[i] as number] === 1) i++;
        if (i === vs) return false;
      }
      ve = i;
    }
    if (nameLength === 3) {
      const n0 = (b[ns] as number) | 0x20;
      const n1 = (b[ns + 1] as number) | 0x20;
      const n2 = (b[ns + 2] as number) | 0x20;
      // Names are tokens: `| 0x20` folds their letters and maps no other token char onto one.
      if (n0 === 0x74 && n1 === 0x61 && n2 === 0x67 /* tag */) {
        if (!tagSeen && !via) {
          // Without a value the tag reads undefined (parseNameAddr's `?? undefined`), and stays so.
          if (vs >= 0 && b[vs] === DQUOTE) return false;
          tagSeen = true;
          tagStart = vs;
          tagEnd = ve;
        }
      } else if (via && n0 === 0x74 && n1 === 0x74 && n2 === 0x6c /* ttl */) {
        // ttl = 1*3DIGIT, 0-255 (RFC 3261 §25.1)
        if (vs < 0 || ve - vs > 3) return false;
        let v = 0;
        for (let k = vs; k < ve; k++) {
          const d = (b[k] as number) - 0x30;
          if (d < 0 || d > 9) return false;
          v = v * 10 + d;
        }
        if (v > 255) return false;
      }
    } else if (via && nameLength === 6 && isBranch(b, ns)) {
      if (vs < 0 || b[vs] === DQUOTE) return false;
      branchStart = vs;
      branchEnd = ve;
    } else if (via && nameLength === 5 && isRport(b, ns)) {
      // RFC 3581: rport without a value, or a port.
      if (vs >= 0 && !isPort(b, vs, ve)) return false;
    }
  }
  paramsEnd = i;
  return true;
}

/** Whether the token at b[at] spells "branch" in any case (compared with constants: a charCodeAt of a name string cost more). */
function isBranch(b: Uint8Array, at: number): boolean {
  return (
    ((b[at] as number) | 0x20) === 0x62 &&
    ((b[at + 1] as number) | 0x20) === 0x72 &&
    ((b[at + 2] as number) | 0x20) === 0x61 &&
    ((b[at + 3] as number) | 0x20) === 0x6e &&
    ((b[at + 4] as number) | 0x20) === 0x63 &&
    ((b[at + 5] as number) | 0x20) === 0x68
  );
}

/** Whether the token at b[at] spells "rport" in any case. */
function isRport(b: Uint8Array, at: number): boolean {
  return (
    ((b[at] as number) | 0x20) === 0x72 &&
    ((b[at + 1] as number) | 0x20) === 0x70 &&
    ((b[at + 2] as number) | 0x20) === 0x6f &&
    ((b[at + 3] as number) | 0x20) === 0x72 &&
    ((b[at + 4] as number) | 0x20) === 0x74
  );
}

/** 1–5 digits, at most 65535 (host.ts scanPort over the whole range). */
function isPort(b: Uint8Array, start: number, end: number): boolean {
  if (end === start || end - start > 5) return false;
  let v = 0;
  for (let k = start; k < end; k++) {
    const d = (b[k] as number) - 0x30;
    if (d < 0 || d > 9) return false;
    v = v * 10 + d;
  }
  return v <= 65535;
}

// ---- Via ---------------------------------------------------------------------------------

let viaEnd = 0;

/** Where the element the last successful scanVia read ends: `end`, or the ',' before the next one. */
export function lastViaEnd(): number {
  return viaEnd;
}

/**
 * `SIP/2.0/UDP host[:port]*(;param)` (or TCP, TLS) with one SP, as parseVia(s, start, end,
 * inList) reads it: the same Via (protocol constants, upper-case transport constant, host and port,
 * the last branch, the parameters left in `s` to build when read), or undefined.
 */
export function scanVia(b: Uint8Array, s: string, start: number, end: number, inList: boolean): Via | undefined {
  let i = start;
  // parseVia's isSip20At shortcut plus the "/" after it, then a three-letter transport it returns as a constant.
  if (
    end - i < 13 ||
    b[i] !== 0x53 ||
    b[i + 1] !== 0x49 ||
    b[i + 2] !== 0x50 ||
    b[i + 3] !== 0x2f ||
    b[i + 4] !== 0x32 ||
    b[i + 5] !== 0x2e ||
    b[i + 6] !== 0x30 ||
    b[i + 7] !== 0x2f ||
    b[i + 11] !== SP
  ) {
    return undefined;
  }
  const t0 = b[i + 8];
  const t1 = b[i + 9];
  const t2 = b[i + 10];
  let transport: string;
  if (t0 === 0x55 && t1 === 0x44 && t2 === 0x50) transport = "UDP";
  else if (t0 === 0x54 && t1 === 0x43 && t2 === 0x50) transport = "TCP";
  else if (t0 === 0x54 && t1 === 0x4c && t2 === 0x53) transport = "TLS";
  else return undefined;
  // One SP, then the host: parseVia skips any white space there, this takes only one.
  const hostStart = i + 12;
  i = hostStart;
  while (i < end && VIA_HOST[b[i] as number] === 1) i++;
  if (i === hostStart) return undefined; // none, or an IPv6 reference
  const hostEnd = i;
  let port: number | undefined;
  if (i < end && b[i] === COLON) {
    const ps = ++i;
    let v = 0;
    while (i < end && i - ps < 6) {
      const d = (b[i] as number) - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      i++;
    }
    if (i === ps || i - ps > 5 || v > 65535) return undefined;
    port = v;
  }
  const paramStart = i;
  if (!scanGenericParams(b, s, i, end, inList, true)) return undefined;
  viaEnd = paramsEnd;
  const branch = branchStart < 0 ? undefined : s.slice(branchStart, branchEnd);
  return new Via("SIP", "2.0", transport, s.slice(hostStart, hostEnd), port, undefined, branch, s, paramStart, paramsEnd);
}

// ---- SIP URI -----------------------------------------------------------------------------

/*
 * What scanPlainUri found, for NameAddr to build the SipUri from without reading the URI again:
 * the end of the user part (-1 when there is none), the host's end and kind, the port (-1 when
 * none), where the parameters start (-1 when none), and whether the text is canonical.
 */
let uriUserEnd = -1;
let uriHostEnd = -1;
let uriHostType: HostType = "name";
let uriPort = -1;
let uriParamStart = -1;
let uriVerbatim = true;

/** The names parse-sip-uri.ts checks (CHECKED_SIP_PARAMS), by length: 1 a token value, 2 ttl, 3 maddr (left to the general parser). */
function checkedParamKind(b: Uint8Array, ns: number, length: number): number {
  const first = b[ns];
  // scanPlainParams compares only length and first char before checking: so does this.
  if (length === 9 && first === 0x74 /* transport */) return 1;
  if (length === 4 && first === 0x75 /* user */) return 1;
  if (length === 6 && first === 0x6d /* method */) return 1;
  if (length === 3 && first === 0x74 /* ttl */) return 2;
  if (length === 5 && first === 0x6d /* maddr */) return 3;
  return 0;
}

const MAX_PLAIN_PARAMS = 16;
const seenStart = new Int32Array(MAX_PLAIN_PARAMS);
const seenLength = new Int32Array(MAX_PLAIN_PARAMS);

/**
 * The URI inside `<...>` from b[i] (just past "sip:") up to the '>' that closes it, when it has
 * the shape parse-sip-uri.ts parsePlainSipUri takes (`[user "@"] host [":" port] *(";" param)`,
 * a valid host name or IPv4 address, plain parameters): returns the index of the '>', with the
 * parts in the uri* variables above; -1 otherwise. As '>' can be in no part of such a URI, the
 * first '>' after the '<' ends it, as parseNameAddr has it.
 */
function scanPlainUri(b: Uint8Array, start: number, end: number): number {
  let userEnd = -1;
  let hostStart = start;
  let i: number;
  let hostType: HostType | undefined;
  // The first run of host chars is the host, unless a user char or "@" follows it (see parsePlainSipUri).
  for (;;) {
    i = scanUriHost(b, hostStart, end);
    hostType = scannedType;
    const c = i < end ? (b[i] as number) : -1;
    if (c === GT || c === COLON || c === SEMI || c === QUESTION || c === -1) break;
    if (userEnd >= 0) return -1;
    while (i < end && USER[b[i] as number] === 1) i++;
    if (i >= end || b[i] !== AT || i <= start) return -1;
    userEnd = i;
    hostStart = i + 1;
  }
  if (hostType === undefined) return -1;
  uriHostEnd = i;
  uriHostType = hostType;
  uriVerbatim = true;
  uriPort = -1;
  if (i < end && b[i] === COLON) {
    const ps = ++i;
    let v = 0;
    while (i < end && i - ps < 6) {
      const d = (b[i] as number) - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      i++;
    }
    if (i === ps || i - ps > 5 || v > 65535) return -1;
    if (i - ps > 1 && b[ps] === 0x30) uriVerbatim = false; // "05060" serializes as "5060"
    uriPort = v;
  }
  uriParamStart = -1;
  if (i < end && b[i] === SEMI) {
    uriParamStart = i;
    let n = 0;
    while (i < end && b[i] === SEMI) {
      const ns = ++i;
      while (i < end && URI_PARAM[b[i] as number] === 3) i++;
      const length = i - ns;
      if (length === 0) return -1;
      let vs = -1;
      if (i < end && b[i] === EQUAL) {
        vs = ++i;
        while (i < end && URI_PARAM[b[i] as number] !== 0) i++;
        if (i === vs) return -1;
      }
      if (i < end && b[i] !== SEMI && b[i] !== GT) return -1;
      // RFC 3261 §19.1.1: "any given parameter-name MUST NOT appear more than once."
      for (let k = 0; k < n; k++) if (seenLength[k] === length && sameBytes(b, seenStart[k] as number, ns, length)) return -1;
      if (n === MAX_PLAIN_PARAMS) return -1;
      seenStart[n] = ns;
      seenLength[n++] = length;
      const kind = checkedParamKind(b, ns, length);
      if (kind !== 0) {
        if (vs < 0 || kind === 3) return -1;
        if (kind === 1) {
          // transport / user / method = token
          for (let k = vs; k < i; k++) if (TOKEN_CHAR[b[k] as number] !== 1) return -1;
        } else {
          // ttl = 1*3DIGIT, at most 255
          if (i - vs > 3) return -1;
          let v = 0;
          for (let k = vs; k < i; k++) {
            const d = (b[k] as number) - 0x30;
            if (d < 0 || d > 9) return -1;
            v = v * 10 + d;
          }
          if (v > 255) return -1;
        }
      }
    }
  }
  if (i >= end || b[i] !== GT) return -1; // headers ("?"), or a char no plain URI holds
  uriUserEnd = userEnd;
  return i;
}

function sameBytes(b: Uint8Array, x: number, y: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (b[x + k] !== b[y + k]) return false;
  return true;
}

let scannedType: HostType | undefined;

/** uri-host.ts scanHost over bytes: the same end index, and the same kind in scannedType. */
function scanUriHost(b: Uint8Array, i: number, end: number): number {
  const start = i;
  if (i < end) {
    const c = b[i] as number;
    if (c >= 0x30 && c <= 0x39) {
      const e = scanIPv4(b, i, end);
      if (e >= 0) {
        scannedType = "ipv4";
        return e;
      }
    }
  }
  let labelStart = i;
  let first = -1;
  let topFirst = -1;
  let prev = -1;
  let valid = true;
  for (; i < end; i++) {
    const c = b[i] as number;
    const k = URI_HOST[c];
    if (k === 1) {
      if (i === labelStart) first = c;
      prev = c;
      continue;
    }
    if (k === 0) break;
    if (i === labelStart || prev === 0x2d || first === 0x2d) valid = false;
    topFirst = i === labelStart ? c : first;
    labelStart = i + 1;
    prev = c;
  }
  if (i !== labelStart) {
    if (prev === 0x2d || first === 0x2d) valid = false;
    topFirst = first;
  }
  const top = topFirst | 0x20;
  scannedType = valid && i > start && top >= 0x61 && top <= 0x7a ? "name" : undefined;
  return i;
}

function scanIPv4(b: Uint8Array, i: number, end: number): number {
  for (let group = 0; group < 4; group++) {
    if (group > 0) {
      if (i >= end || b[i] !== 0x2e) return -1;
      i++;
    }
    const groupStart = i;
    let value = 0;
    while (i < end && i - groupStart < 4) {
      const d = (b[i] as number) - 0x30;
      if (d < 0 || d > 9) break;
      value = value * 10 + d;
      i++;
    }
    if (i === groupStart || i - groupStart > 3 || value > 255) return -1;
  }
  return i === end || URI_HOST[b[i] as number] === 0 ? i : -1;
}

// ---- name-addr ---------------------------------------------------------------------------

let nameAddrEnd = 0;

/** Where the element the last successful scanNameAddr read ends: `end`, or the ',' before the next one. */
export function lastNameAddrEnd(): number {
  return nameAddrEnd;
}

/**
 * `[display-name] "<" URI ">" *(";" param)` as parseNameAddr(s, start, end, what, inList) reads it,
 * with the display name a quoted-string without quoted-pairs or tokens separated by SP/HTAB; or
 * undefined (an addr-spec without "<>" included). When the URI is a plain `sip:` one (see
 * scanPlainUri) the NameAddr also gets its parts, so reading `uri` slices them instead of parsing.
 */
export function scanNameAddr(b: Uint8Array, s: string, start: number, end: number, inList: boolean): NameAddr | undefined {
  let i = start;
  let nameStart = -1;
  let nameEnd = -1;
  let c = i < end ? (b[i] as number) : -1;
  if (c === DQUOTE) {
    nameStart = i;
    i++;
    while (i < end && b[i] !== DQUOTE) {
      if (b[i] === BACKSLASH) return undefined;
      i++;
    }
    if (i === end) return undefined;
    nameEnd = ++i;
    while (i < end && (b[i] === SP || b[i] === TAB)) i++;
    if (i === end || b[i] !== LT) return undefined;
  } else if (c !== LT) {
    // *(token LWS) before the "<"; anything else (an addr-spec's ":" among them) goes to the general parser.
    nameStart = i;
    for (; i < end; i++) {
      c = b[i] as number;
      if (TOKEN_CHAR[c] === 1) nameEnd = i + 1;
      else if (c !== SP && c !== TAB) break;
    }
    if (i === end || c !== LT || nameEnd < 0) return undefined;
  }
  const lt = i;
  const uriStart = lt + 1;
  let gt = -1;
  let plain = false;
  if (uriStart + 4 <= end && b[uriStart] === 0x73 && b[uriStart + 1] === 0x69 && b[uriStart + 2] === 0x70 && b[uriStart + 3] === COLON) {
    gt = scanPlainUri(b, uriStart + 4, end);
    plain = gt >= 0;
  }
  if (gt < 0) {
    // Some other URI: kept as text for parseUri, as the general parser does.
    for (gt = uriStart; gt < end && b[gt] !== GT; gt++);
    if (gt === end) return undefined;
  }
  const paramStart = gt + 1;
  if (!scanGenericParams(b, s, paramStart, end, inList, false)) return undefined;
  nameAddrEnd = paramsEnd;
  const tag = tagStart < 0 ? undefined : s.slice(tagStart, tagEnd);
  const a = new NameAddr(nameStart < 0 ? undefined : null, s, undefined, uriStart, gt, tag, paramStart, paramsEnd, nameStart, nameEnd);
  if (plain) a.setPlainSipUri(uriUserEnd, uriHostEnd, uriHostType, uriPort, uriParamStart, uriVerbatim);
  return a;
}

/**
 * parseNameAddrList(s, what, out, start, end) with each element read by scanNameAddr, or by
 * parseNameAddr when scanNameAddr is unsure of it.
 */
export function scanNameAddrList(b: Uint8Array, s: string, what: string, out: NameAddr[], start: number, end: number): NameAddr[] {
  let i = start;
  for (;;) {
    while (i < end && isLws(b[i] as number)) i++;
    // Empty elements (",,") are skipped, as RFC 7230 §7 asks of list parsers.
    while (i < end && b[i] === COMMA) {
      i++;
      while (i < end && isLws(b[i] as number)) i++;
    }
    if (i >= end) return out;
    const a = scanNameAddr(b, s, i, end, true);
    if (a !== undefined) {
      out.push(a);
      i = nameAddrEnd;
    } else {
      out.push(parseNameAddr(s, i, end, what, true));
      i = lastScanEnd();
    }
    if (i >= end) return out;
    i++; // past the ','
  }
}

/** lexer.ts isWs: SP, HTAB, CR, LF. */
function isLws(c: number): boolean {
  return c === SP || c === TAB || c === 0x0d || c === 0x0a;
}

// ---- CSeq --------------------------------------------------------------------------------

/** METHODS by length, as bytes, for methodAt. */
const METHOD_BYTES: (Uint8Array[] | undefined)[] = [];
const METHOD_NAMES: (string[] | undefined)[] = [];
for (const m of METHODS) {
  (METHOD_BYTES[m.length] ??= []).push(Buffer.from(m, "latin1"));
  (METHOD_NAMES[m.length] ??= []).push(m);
}

/** s[start, end) as lexer.ts internSlice(s, start, end, METHODS) returns it: a constant for a known method. */
export function methodAt(b: Uint8Array, s: string, start: number, end: number): string {
  const length = end - start;
  const candidates = METHOD_BYTES[length];
  if (candidates !== undefined) {
    for (let k = 0; k < candidates.length; k++) {
      const m = candidates[k] as Uint8Array;
      let j = 0;
      while (j < length && b[start + j] === m[j]) j++;
      if (j === length) return (METHOD_NAMES[length] as string[])[k] as string;
    }
  }
  return s.slice(start, end);
}

/**
 * `1*DIGIT 1*(SP / HTAB) Method` as parseCSeq(s, start, end) reads it (at most 2**31 - 1), or
 * undefined.
 */
export function scanCSeq(b: Uint8Array, s: string, start: number, end: number): CSeq | undefined {
  let i = start;
  let seq = 0;
  while (i < end && i - start < 11) {
    const d = (b[i] as number) - 0x30;
    if (d < 0 || d > 9) break;
    seq = seq * 10 + d;
    i++;
  }
  if (i === start || seq > 0x7fffffff) return undefined;
  const ws = i;
  while (i < end && (b[i] === SP || b[i] === TAB)) i++;
  if (i === ws) return undefined;
  const m = i;
  while (i < end && TOKEN_CHAR[b[i] as number] === 1) i++;
  if (i === m || i !== end) return undefined;
  return { seq, method: methodAt(b, s, m, end) };
}
