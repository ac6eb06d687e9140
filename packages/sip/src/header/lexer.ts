import { ParseError } from "../errors.js";

/*
 * Character-level building blocks of the RFC 3261 §25.1 grammar, shared by every header and
 * URI parser. They work on latin1-decoded text: one char per wire byte, so an index into the
 * text is an offset into the message.
 */

// Plain constants: under isolatedModules a const enum becomes property reads inside the loops.
const TAB = 9;
const LF = 10;
const CR = 13;
const SP = 32;
const DQUOTE = 34;
const BACKSLASH = 92;

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") — RFC 3261 §25.1 */
export const TOKEN_CHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (const c of "-.!%*_+`'~") t[c.charCodeAt(0)] = 1;
  return t;
})();

export function isWs(c: number): boolean {
  return c === SP || c === TAB || c === CR || c === LF;
}

/** Index of the first char at or after `i` that is not linear white space. */
export function skipWs(s: string, i: number, end: number = s.length): number {
  while (i < end && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past the last non-white char before `end`. */
export function trimEnd(s: string, start: number, end: number): number {
  while (end > start && isWs(s.charCodeAt(end - 1))) end--;
  return end;
}

/** Index just past the run of token chars starting at `i`. */
export function scanToken(s: string, i: number, end: number = s.length): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c > 255 || TOKEN_CHAR[c] !== 1) break;
    i++;
  }
  return i;
}

export function isToken(s: string): boolean {
  return s.length > 0 && scanToken(s, 0) === s.length;
}

/**
 * Index just past the closing quote of the quoted-string opening at `i` (which must be `"`).
 * RFC 3261 §25.1: quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F).
 */
export function scanQuoted(s: string, i: number, end: number = s.length): number {
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === DQUOTE) return j + 1;
    if (c === BACKSLASH) {
      j++;
      if (j >= end) break;
      const q = s.charCodeAt(j);
      if (q === CR || q === LF) break;
    }
  }
  throw new ParseError("unterminated quoted string", { offset: i });
}

/** The content of a quoted-string (quotes removed, quoted-pairs resolved). */
export function unquote(s: string, start: number, endAfterQuote: number): string {
  const inner = s.slice(start + 1, endAfterQuote - 1);
  return inner.indexOf("\\") < 0 ? inner : inner.replace(/\\(.)/gs, "$1");
}

/** Wraps a value in a quoted-string, escaping `"` and `\`. */
export function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, "\\$1")}"`;
}

/**
 * Index of the first `sep` char at or after `i` that is outside quoted strings and angle
 * brackets, or `end` if there is none. This is how RFC 3261 §7.3.1 comma-separated values
 * are split without breaking `"Doe, John" <sip:j@x>` or `<sip:a@b;x=1,2>`.
 */
export function findUnquoted(s: string, sep: number, i: number, end: number = s.length): number {
  let angle = false;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === DQUOTE) {
      i = scanQuoted(s, i, end);
      continue;
    }
    if (angle) {
      if (c === 62 /* > */) angle = false;
    } else if (c === 60 /* < */) angle = true;
    else if (c === sep) return i;
    i++;
  }
  return end;
}

/** Splits a header value into its comma-separated elements, trimmed; empty elements are dropped. */
export function splitList(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  const end = s.length;
  while (i <= end) {
    const comma = findUnquoted(s, 44 /* , */, i, end);
    const a = skipWs(s, i, comma);
    const b = trimEnd(s, a, comma);
    if (b > a) out.push(a === 0 && b === end ? s : s.slice(a, b));
    i = comma + 1;
  }
  return out;
}

/**
 * Generic parameters `;name[=value]` as parsed by every header that has them.
 * Names are lower-cased (RFC 3261 §7.3.1: parameter names are case-insensitive); values keep
 * their case, with quotes removed; a parameter without `=` has value `null`.
 */
export class Params {
  /** Alternating name, value entries in wire order. */
  private readonly entries: (string | null)[];

  constructor(entries: (string | null)[] = []) {
    this.entries = entries;
  }

  get size(): number {
    return this.entries.length >> 1;
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  /** The value, `null` for a parameter without value, `undefined` if absent. */
  get(name: string): string | null | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.entries[i + 1];
  }

  /** Name of the k-th parameter (0-based, wire order). */
  nameAt(k: number): string {
    return this.entries[k * 2] as string;
  }

  /** Value of the k-th parameter: `null` when it has none. */
  valueAt(k: number): string | null {
    return this.entries[k * 2 + 1] ?? null;
  }

  *[Symbol.iterator](): IterableIterator<[string, string | null]> {
    for (let i = 0; i < this.entries.length; i += 2) {
      yield [this.entries[i] as string, this.entries[i + 1] ?? null];
    }
  }

  /** Serialized as `;name=value` pairs; values that are not tokens are quoted. */
  toString(): string {
    let out = "";
    for (let i = 0; i < this.entries.length; i += 2) {
      out += ";" + this.entries[i];
      const v = this.entries[i + 1];
      if (v != null) out += "=" + (needsQuoting(v) ? quote(v) : v);
    }
    return out;
  }

  private indexOf(name: string): number {
    const e = this.entries;
    for (let i = 0; i < e.length; i += 2) {
      if (e[i] === name) return i;
    }
    return hasUpperCase(name, 0, name.length) ? this.indexOf(name.toLowerCase()) : -1;
  }
}

const EMPTY_PARAMS = new Params();

/** Chars allowed in an unquoted parameter value: token chars, and ":", "[", "]" for IPv6 refs and host names. */
const PARAM_VALUE_CHAR: Uint8Array = (() => {
  const t = TOKEN_CHAR.slice();
  t[58] = 1; // :
  t[91] = 1; // [
  t[93] = 1; // ]
  return t;
})();

function isParamValueChar(c: number): boolean {
  // A char above 255 reads undefined.
  return PARAM_VALUE_CHAR[c] === 1;
}

function needsQuoting(v: string): boolean {
  if (v.length === 0) return true;
  for (let i = 0; i < v.length; i++) if (!isParamValueChar(v.charCodeAt(i))) return true;
  return false;
}

let scanEnd = 0;

/**
 * Where the last `parseParams` or `scanParams` stopped: `end`, or the top-level ',' it was
 * allowed to stop at. List parsers (Via, Contact, Route...) read it to continue with the next
 * element without a separate pass to find the commas first.
 */
export function lastScanEnd(): number {
  return scanEnd;
}

/**
 * What the last `scanParams` found, four numbers per parameter: name start, name end, value start,
 * value end. A parameter without "=" has value start -1; a quoted value's range holds its quotes.
 */
const found: number[] = [];
let foundCount = 0;

/**
 * Checks `;name=value;name2` starting at `i` (which must be at `;`, `end`, or — with
 * `stopAtComma` — a `,` that ends this element of a list) and records where each parameter is
 * (see `scannedParamName` and `scannedParamValue`) without building anything; returns how many
 * there are. Throws ParseError on the first thing wrong.
 * RFC 3261 §25.1: generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string.
 */
export function scanParams(s: string, i = 0, end: number = s.length, stopAtComma = false): number {
  // Each char is read once where it can be: white space is rare between the parts of a
  // parameter, so the char after each part is read and tested for the common case first.
  let n = 0;
  let c = i < end ? s.charCodeAt(i) : -1;
  if (isWs(c)) {
    i = skipWs(s, i, end);
    c = i < end ? s.charCodeAt(i) : -1;
  }
  while (i < end) {
    if (c !== 59 /* ; */) {
      if (c === 44 /* , */ && stopAtComma) break;
      throw new ParseError(`expected ';' before parameter at "${excerpt(s, i)}"`, { offset: i });
    }
    i = skipWs(s, i + 1, end);
    const nameEnd = scanToken(s, i, end);
    if (nameEnd === i) throw new ParseError(`empty parameter name at "${excerpt(s, i)}"`, { offset: i });
    const k = n * 4;
    found[k] = i;
    found[k + 1] = nameEnd;
    found[k + 2] = -1;
    found[k + 3] = -1;
    i = nameEnd;
    c = i < end ? s.charCodeAt(i) : -1;
    if (isWs(c)) {
      i = skipWs(s, i, end);
      c = i < end ? s.charCodeAt(i) : -1;
    }
    if (c === 61 /* = */) {
      i = skipWs(s, i + 1, end);
      const vStart = i;
      if (i < end && s.charCodeAt(i) === DQUOTE) {
        i = scanQuoted(s, i, end);
      } else {
        while (i < end && PARAM_VALUE_CHAR[s.charCodeAt(i)] === 1) i++;
        if (i === vStart) throw new ParseError(`parameter "${lowerCaseSlice(s, found[k] as number, nameEnd)}" has an empty value`, { offset: i });
      }
      found[k + 2] = vStart;
      found[k + 3] = i;
      c = i < end ? s.charCodeAt(i) : -1;
      if (isWs(c)) {
        i = skipWs(s, i, end);
        c = i < end ? s.charCodeAt(i) : -1;
      }
    }
    n++;
  }
  scanEnd = i;
  foundCount = n;
  return n;
}

/** The length of the k-th parameter's name the last scanParams found. */
export function scannedParamNameLength(k: number): number {
  return k < foundCount ? (found[k * 4 + 1] as number) - (found[k * 4] as number) : -1;
}

/** True when the k-th parameter the last scanParams found in `s` is named `lowerName` (in any case). */
export function scannedParamIs(s: string, k: number, lowerName: string): boolean {
  const a = found[k * 4] as number;
  const length = (found[k * 4 + 1] as number) - a;
  if (length !== lowerName.length || k >= foundCount) return false;
  // Names are tokens: `| 0x20` folds their letters and maps no other token char onto a letter.
  for (let j = 0; j < length; j++) if ((s.charCodeAt(a + j) | 0x20) !== lowerName.charCodeAt(j)) return false;
  return true;
}

/** The k-th parameter's name the last scanParams found in `s`, lower-cased (the common ones as constants). */
export function scannedParamName(s: string, k: number): string {
  return paramName(s, found[k * 4] as number, found[k * 4 + 1] as number);
}

/** The k-th parameter's value the last scanParams found in `s`: unquoted, or null when it has none. */
export function scannedParamValue(s: string, k: number): string | null {
  const a = found[k * 4 + 2] as number;
  if (a < 0) return null;
  const b = found[k * 4 + 3] as number;
  return s.charCodeAt(a) === DQUOTE ? unquote(s, a, b) : s.slice(a, b);
}

/** Parses `;name=value;name2` (see scanParams) into Params. */
export function parseParams(s: string, i = 0, end: number = s.length, stopAtComma = false): Params {
  const n = scanParams(s, i, end, stopAtComma);
  if (n === 0) return EMPTY_PARAMS;
  const entries: (string | null)[] = new Array(n * 2);
  for (let k = 0; k < n; k++) {
    entries[k * 2] = scannedParamName(s, k);
    entries[k * 2 + 1] = scannedParamValue(s, k);
  }
  return new Params(entries);
}

function hasUpperCase(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/** `s[start, end)` lower-cased, without the extra copy when it already is. */
export function lowerCaseSlice(s: string, start: number, end: number): string {
  const slice = s.slice(start, end);
  return hasUpperCase(s, start, end) ? slice.toLowerCase() : slice;
}

/** Parameter names seen on nearly every message, matched without allocating. */
const COMMON_PARAMS = ["branch", "tag", "rport", "received", "lr", "transport", "expires", "q", "maddr", "ttl", "user"] as const;

const COMMON_PARAMS_BY_LENGTH: (string[] | undefined)[] = [];
for (const p of COMMON_PARAMS) (COMMON_PARAMS_BY_LENGTH[p.length] ??= []).push(p);

/** A parameter name, lower-cased; the common ones come back as constants. */
function paramName(s: string, start: number, end: number): string {
  const candidates = COMMON_PARAMS_BY_LENGTH[end - start];
  if (candidates !== undefined) for (const c of candidates) if (s.startsWith(c, start)) return c;
  return lowerCaseSlice(s, start, end);
}

/**
 * `s[start, end)`, returned as the matching constant when it spells one of `common` (so frequent
 * tokens such as transports cost no allocation); otherwise a fresh slice.
 */
export function internSlice(s: string, start: number, end: number, common: readonly string[]): string {
  const len = end - start;
  for (const c of common) if (c.length === len && s.startsWith(c, start)) return c;
  return s.slice(start, end);
}

/**
 * True when s[i, i + 7) is "SIP/2.0", the version nearly every start line and Via carries.
 * Compared char by char against constants: on Node 20 a startsWith call costs about as much
 * as twenty such compares.
 */
export function isSip20At(s: string, i: number): boolean {
  return (
    s.charCodeAt(i) === 0x53 /* S */ &&
    s.charCodeAt(i + 1) === 0x49 /* I */ &&
    s.charCodeAt(i + 2) === 0x50 /* P */ &&
    s.charCodeAt(i + 3) === 0x2f /* / */ &&
    s.charCodeAt(i + 4) === 0x32 /* 2 */ &&
    s.charCodeAt(i + 5) === 0x2e /* . */ &&
    s.charCodeAt(i + 6) === 0x30 /* 0 */
  );
}

/** A short, printable excerpt of `s` from `i`, for error messages. */
export function excerpt(s: string, i: number, len = 24): string {
  const part = s.slice(Math.max(0, i), i + len);
  // eslint-disable-next-line no-control-regex
  return part.replace(/[\x00-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
