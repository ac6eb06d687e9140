import { ParseError } from "../errors.js";
import { Params } from "../header/lexer.js";
import { badChar } from "./bad-char.js";
import { canonicalEscapes, escapeUriParam, unescapeUriPart } from "./escape.js";
import { C_PARAM, C_RESERVED, C_TEL_PNAME, C_UNRESERVED, URI_CHAR, asciiLower, charTable } from "./uri-chars.js";

/*
 * URI parameters, shared by SIP/SIPS (RFC 3261 §25.1) and tel (RFC 3966 §3) URIs:
 *   SIP: uri-parameter = pname [ "=" pvalue ]; pname = pvalue = 1*paramchar (escapes allowed)
 *   tel: parameter = ";" pname [ "=" pvalue ]; pname = 1*( alphanum / "-" ); pvalue = 1*paramchar
 *        isdn-subaddress = ";isub=" 1*uric  (uric = reserved / unreserved / pct-encoded)
 * Each parameter is kept twice: unescaped in a `Params` (names lower-cased — RFC 3261 §19.1.4 and
 * RFC 3966 §4 compare them case-insensitively), and in canonical wire form (see canonicalEscapes)
 * for serialization and comparison. When nothing is escaped both are the same array.
 */

export const NO_PARAMS = new Params();
export const NO_WIRE: readonly (string | null)[] = Object.freeze([]);

/** Checks a parameter the URI kind gives meaning to; returns what is wrong with it, or undefined. */
export type ParamCheck = (name: string, value: string | null) => string | undefined;

export interface ParamScan {
  /** Index just past the parameters. */
  readonly end: number;
  readonly params: Params;
  /** Alternating canonical wire name, value. */
  readonly wire: readonly (string | null)[];
  /** Whether the wire form is char-for-char what was parsed. */
  readonly verbatim: boolean;
}

const C_ISUB = C_UNRESERVED | C_RESERVED;

/**
 * Scans `;name[=value]...` from s[i] (which is ";") up to the first char that cannot continue
 * them: "?" (SIP headers) or the end. Any other char is an error.
 */
export function scanUriParams(s: string, i: number, end: number, tel: boolean, check: ParamCheck): ParamScan {
  const entries: (string | null)[] = [];
  let wire: (string | null)[] | undefined; // undefined while identical to entries
  let verbatim = true;
  const nameChars = tel ? C_TEL_PNAME : C_PARAM;
  while (i < end && s.charCodeAt(i) === 0x3b /* ; */) {
    const ns = ++i;
    let escaped = false;
    let upper = false;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c === 0x3d /* = */ || c === 0x3b || c === 0x3f /* ? */) break;
      if ((URI_CHAR[c]! & nameChars) === 0) {
        if (c === 0x25 /* % */ && !tel) escaped = true;
        else throw badChar(s, i, "a parameter name");
      } else if (c >= 0x41 && c <= 0x5a) {
        upper = true;
      }
      i++;
    }
    if (i === ns) throw new ParseError("empty parameter name", { offset: ns });
    let name: string;
    let nameWire: string;
    if (escaped) {
      nameWire = canonicalEscapes(s, ns, i, C_PARAM, true);
      name = unescapeUriPart(nameWire);
      verbatim = false;
    } else {
      name = nameWire = upper ? asciiLower(s.slice(ns, i)) : s.slice(ns, i);
      if (upper) verbatim = false;
    }

    let value: string | null = null;
    let valueWire: string | null = null;
    if (i < end && s.charCodeAt(i) === 0x3d) {
      const vs = ++i;
      const valueChars = tel && name === "isub" ? C_ISUB : C_PARAM;
      escaped = false;
      while (i < end) {
        const c = s.charCodeAt(i);
        if (c === 0x3b || c === 0x3f) break;
        if ((URI_CHAR[c]! & valueChars) === 0) {
          if (c === 0x25) escaped = true;
          else throw badChar(s, i, `parameter "${name}"`);
        }
        i++;
      }
      if (i === vs) throw new ParseError(`parameter "${name}" has an empty value`, { offset: vs });
      if (escaped) {
        valueWire = canonicalEscapes(s, vs, i, valueChars, false);
        value = unescapeUriPart(valueWire);
        verbatim = false;
      } else {
        value = valueWire = s.slice(vs, i);
      }
    }

    const names = wire ?? entries;
    for (let k = 0; k < names.length; k += 2) {
      // RFC 3261 §19.1.1: "any given parameter-name MUST NOT appear more than once."
      if (names[k] === nameWire) throw new ParseError(`duplicate parameter "${name}"`, { offset: ns });
    }
    const problem = check(name, value);
    if (problem !== undefined) throw new ParseError(problem, { offset: ns });

    if (wire === undefined && (nameWire !== name || valueWire !== value)) wire = entries.slice();
    entries.push(name, value);
    if (wire !== undefined) wire.push(nameWire, valueWire);
  }
  return { end: i, params: new Params(entries), wire: wire ?? entries, verbatim };
}

/**
 * What scanPlainParams needs to know of a char: 0 not a paramchar (nor "%", which starts an
 * escape), 1 a paramchar that a plain name cannot hold (upper case), 3 any other paramchar.
 */
const PARAM_CHAR: Uint8Array = (() => {
  const t = charTable(C_PARAM);
  for (let c = 0; c < 256; c++) if (t[c] === 1 && !(c >= 0x41 && c <= 0x5a)) t[c] = 3;
  return t;
})();

/** Names seen by the current scanPlainParams call, as [start, start + length) ranges of its text. */
const MAX_PLAIN_PARAMS = 16;
const seenStart = new Int32Array(MAX_PLAIN_PARAMS);
const seenLength = new Int32Array(MAX_PLAIN_PARAMS);

/**
 * The parser's shortcut past scanUriParams, for the common case: checks `;name[=value]...` from
 * s[i] (which is ";") without building anything, and returns the index where the parameters stop
 * ("?" or `end`), or -1 unless they are all *plain and valid*: names lower-case, nothing escaped
 * ("%" is not a paramchar), no name repeated, and `check` content with the parameters named in
 * `checked` (the only ones it looks at). For plain parameters the wire form is the text itself,
 * so scanUriParams can build them from the same text later, when they are first read, and cannot
 * fail then. On -1 the caller calls scanUriParams now, which builds them or throws the exact error.
 */
export function scanPlainParams(s: string, i: number, end: number, check: ParamCheck, checked: readonly string[]): number {
  let n = 0;
  while (i < end && s.charCodeAt(i) === 0x3b /* ; */) {
    const ns = ++i;
    while (i < end && PARAM_CHAR[s.charCodeAt(i)] === 3) i++;
    const length = i - ns;
    if (length === 0) return -1;
    let vs = -1;
    if (i < end && s.charCodeAt(i) === 0x3d /* = */) {
      vs = ++i;
      while (i < end && PARAM_CHAR[s.charCodeAt(i)] !== 0) i++;
      if (i === vs) return -1;
    }
    if (i < end) {
      const c = s.charCodeAt(i);
      if (c !== 0x3b && c !== 0x3f /* ? */) return -1;
    }

    // RFC 3261 §19.1.1: "any given parameter-name MUST NOT appear more than once."
    for (let k = 0; k < n; k++) {
      if (seenLength[k] === length && sameChars(s, seenStart[k]!, ns, length)) return -1;
    }
    if (n === MAX_PLAIN_PARAMS) return -1;
    seenStart[n] = ns;
    seenLength[n++] = length;

    // Length and first char tell which checked parameters this may be, without comparing names.
    // `check` objects only to parameters in `checked`, so checking one under a name it does not
    // have can at worst make it object to a valid parameter — which sends the URI to
    // scanUriParams, which gets it right.
    const first = s.charCodeAt(ns);
    for (let k = 0; k < checked.length; k++) {
      const name = checked[k]!;
      if (name.length === length && name.charCodeAt(0) === first && check(name, vs < 0 ? null : s.slice(vs, i)) !== undefined) return -1;
    }
  }
  return i;
}

/**
 * The value of the parameter `name` (lower case) among parameters s[i, end) that scanPlainParams
 * accepted (s[i] being ";"), read without building them: `null` when it has no value, undefined
 * when it is absent. Plain names are their own wire form, and neither names nor values hold ";".
 */
export function plainParamValue(s: string, i: number, end: number, name: string): string | null | undefined {
  while (i < end) {
    const ns = i + 1;
    let ne = ns;
    while (ne < end && s.charCodeAt(ne) !== 0x3d /* = */ && s.charCodeAt(ne) !== 0x3b /* ; */) ne++;
    i = ne;
    while (i < end && s.charCodeAt(i) !== 0x3b) i++;
    if (ne - ns === name.length && s.startsWith(name, ns)) return i === ne ? null : s.slice(ne + 1, i);
  }
  return undefined;
}

/** Whether s[a, a + length) and s[b, b + length) hold the same chars. */
function sameChars(s: string, a: number, b: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (s.charCodeAt(a + k) !== s.charCodeAt(b + k)) return false;
  return true;
}

/**
 * Builds parameters from caller-supplied (unescaped) name/value pairs: names are lower-cased,
 * then both are escaped for the wire. Throws ParseError on an empty, invalid or repeated name.
 */
export function buildUriParams(
  input: Iterable<readonly [string, string | null]>,
  tel: boolean,
  check: ParamCheck,
): { params: Params; wire: readonly (string | null)[] } {
  const entries: (string | null)[] = [];
  const wire: (string | null)[] = [];
  for (const [rawName, value] of input) {
    const name = asciiLower(rawName);
    if (name.length === 0) throw new ParseError("empty parameter name");
    if (tel) {
      for (let k = 0; k < name.length; k++) {
        if ((URI_CHAR[name.charCodeAt(k)]! & C_TEL_PNAME) === 0) throw badChar(name, k, "a parameter name");
      }
    }
    if (value !== null && value.length === 0) throw new ParseError(`parameter "${name}" has an empty value`);
    const nameWire = escapeUriParam(name);
    for (let k = 0; k < wire.length; k += 2) {
      if (wire[k] === nameWire) throw new ParseError(`duplicate parameter "${name}"`);
    }
    const problem = check(name, value);
    if (problem !== undefined) throw new ParseError(problem);
    entries.push(name, value);
    wire.push(nameWire, value === null ? null : escapeUriParam(value));
  }
  return entries.length === 0 ? { params: NO_PARAMS, wire: NO_WIRE } : { params: new Params(entries), wire };
}

/** `;name=value...` from canonical wire entries. */
export function serializeUriParams(wire: readonly (string | null)[]): string {
  let out = "";
  for (let k = 0; k < wire.length; k += 2) {
    out += ";" + wire[k]!;
    const v = wire[k + 1];
    if (v != null) out += "=" + v;
  }
  return out;
}

/** Index of the parameter named `name` (a canonical wire name) in wire entries, or -1. */
export function wireIndexOf(wire: readonly (string | null)[], name: string): number {
  for (let k = 0; k < wire.length; k += 2) if (wire[k] === name) return k;
  return -1;
}
