import { ParseError } from "../errors.js";
import { parseChallenge, parseCredentials, type Challenge, type Credentials } from "../header/auth.js";
import { parseContentType, type ContentType } from "../header/content-type.js";
import { parseCSeq, type CSeq } from "../header/cseq.js";
import { excerpt, findUnquoted, isToken, splitList, trimEnd } from "../header/lexer.js";
import { parseNameAddr, parseNameAddrList, type NameAddr } from "../header/name-addr.js";
import { MAX_DELTA_SECONDS, MAX_MAX_FORWARDS, parseUnsigned } from "../header/numbers.js";
import { parseVia, parseViaList, type Via } from "../header/via.js";
import { scanCSeq, scanNameAddr, scanNameAddrList, scanVia } from "../header/byte-scan.js";
import { parseUri, type Uri } from "../uri/index.js";
import { canonicalHeaderName, H, HOT, isListHeader } from "./header-names.js";
import { fromWire } from "./wire-text.js";

/**
 * Where each header line sits in the message. Offsets index both `raw` and `head`, which is
 * `raw` decoded as latin1 (one char per byte), so untouched lines can be copied out byte-exact.
 */
export interface HeaderTable {
  /** Canonical key per line (lower-cased long form, see header-names.ts). */
  readonly keys: readonly string[];
  /** Per line, four offsets: line start, value start, value end, line end (at the CR of its CRLF). */
  readonly offsets: readonly number[];
}

/** A problem the parser found but that still lets the message be answered (RFC 3261 §8.2, 400). */
export interface MessageDefect {
  readonly reason: string;
  readonly offset: number;
}

/** Fields the parser hands to the message constructors. */
export interface ParsedParts {
  raw: Buffer;
  head: string;
  /** Offset of the start line (past any CRLFs that preceded it). */
  startLineStart: number;
  /** Offset of the first header line: just after the start line's CRLF. */
  headersStart: number;
  /** Offset of the CRLF that ends the header section (the last header's line end). */
  headersEnd: number;
  bodyStart: number;
  bodyEnd: number;
  version: string;
  keys: string[];
  offsets: number[];
  /** Per HOT slot (header-names.ts), the first line of that header, or -1. */
  hotLines: number[];
  /** Bit `1 << slot` set when that header has more than one line. */
  hotRepeated: number;
  folded: boolean;
  defect: MessageDefect | undefined;
}

/**
 * A SIP message over its received bytes: the header table is built at parse time, typed header
 * values are parsed on first access and cached. All accessors that parse throw `ParseError` on a
 * malformed value; `validate()` calls the mandatory ones up front so an edge can answer 400.
 */
export abstract class SipMessage {
  readonly raw: Buffer;
  /** @internal `raw` decoded as latin1: one char per byte, so offsets are shared. */
  readonly head: string;
  /** @internal */ readonly startLineStart: number;
  /** @internal */ readonly headersStart: number;
  /** @internal */ readonly headersEnd: number;
  readonly bodyStart: number;
  readonly bodyEnd: number;
  /** As written in the start line, e.g. `SIP/2.0`. */
  readonly version: string;
  readonly headerTable: HeaderTable;
  /** The first structural problem found while parsing, if any (answered with 400 by validation). */
  readonly defect: MessageDefect | undefined;
  private readonly folded: boolean;
  /**
   * The headers every proxy reads (HOT in header-names.ts): per slot the first line holding it
   * (-1 when none), and a bit per slot set when another line holds it too. The parser notes
   * them while it builds the table, so these headers are found without walking it.
   */
  private readonly hotLines: readonly number[];
  private readonly hotRepeated: number;

  private viaCache: Via[] | undefined;
  private topViaCache: Via | undefined;
  private fromCache: NameAddr | undefined;
  private toCache: NameAddr | undefined;
  private callIdCache: string | undefined;
  private cseqCache: CSeq | undefined;
  private maxForwardsCache: number | null | undefined;
  private contactCache: NameAddr[] | undefined;
  private routeCache: NameAddr[] | undefined;
  private recordRouteCache: NameAddr[] | undefined;
  private pathCache: NameAddr[] | undefined;
  // Credentials are read by more than one step for one request (the proxy's check that they are
  // its own, then the digest authenticator).
  private authorizationCache: Credentials[] | undefined;
  private proxyAuthorizationCache: Credentials[] | undefined;

  abstract readonly isRequest: boolean;

  constructor(p: ParsedParts) {
    this.raw = p.raw;
    this.head = p.head;
    this.startLineStart = p.startLineStart;
    this.headersStart = p.headersStart;
    this.headersEnd = p.headersEnd;
    this.bodyStart = p.bodyStart;
    this.bodyEnd = p.bodyEnd;
    this.version = p.version;
    this.headerTable = { keys: p.keys, offsets: p.offsets };
    this.folded = p.folded;
    this.hotLines = p.hotLines;
    this.hotRepeated = p.hotRepeated;
    this.defect = p.defect;
  }

  get body(): Buffer {
    return this.raw.subarray(this.bodyStart, this.bodyEnd);
  }

  /** The message bytes, without any trailing octets a datagram carried past Content-Length. */
  get bytes(): Buffer {
    return this.bodyEnd === this.raw.length ? this.raw : this.raw.subarray(0, this.bodyEnd);
  }

  // ---- generic header access --------------------------------------------------------------

  /** Number of header lines with this name (any spelling, compact forms included). */
  count(name: string): number {
    const key = canonicalHeaderName(name);
    let n = 0;
    for (const k of this.headerTable.keys) if (k === key) n++;
    return n;
  }

  has(name: string): boolean {
    return this.lineIndex(canonicalHeaderName(name), 0) >= 0;
  }

  /** The value of the first line with this name, unfolded and decoded as UTF-8. */
  header(name: string): string | undefined {
    const i = this.lineIndex(canonicalHeaderName(name), 0);
    return i < 0 ? undefined : fromWire(this.wireValue(i));
  }

  /**
   * Every value of a header: for list headers (RFC 3261 §7.3.1) each comma-separated element of
   * every line, otherwise each line's whole value.
   */
  headers(name: string): string[] {
    const key = canonicalHeaderName(name);
    const list = isListHeader(key);
    const out: string[] = [];
    for (let i = this.lineIndex(key, 0); i >= 0; i = this.lineIndex(key, i + 1)) {
      const v = fromWire(this.wireValue(i));
      if (list) out.push(...splitList(v));
      else out.push(v);
    }
    return out;
  }

  /** Every header line as [name as written, value], in order. */
  *headerLines(): IterableIterator<[string, string]> {
    const o = this.headerTable.offsets;
    for (let i = 0; i < this.headerTable.keys.length; i++) {
      const lineStart = o[i * 4] as number;
      if (this.headerTable.keys[i] === "") {
        // A line the parser could not read as a header (see `defect`): all name, no value.
        yield [fromWire(this.head.slice(lineStart, o[i * 4 + 3] as number)), ""];
        continue;
      }
      const colon = this.head.indexOf(":", lineStart);
      yield [this.head.slice(lineStart, trimEnd(this.head, lineStart, colon)), fromWire(this.wireValue(i))];
    }
  }

  /** @internal Index of the first line at or after `from` with this canonical key, or -1. */
  lineIndex(key: string, from: number): number {
    const keys = this.headerTable.keys;
    for (let i = from; i < keys.length; i++) if (keys[i] === key) return i;
    return -1;
  }

  /** @internal The value of line `i` as latin1 wire text, folded lines joined with one space. */
  wireValue(i: number): string {
    const o = this.headerTable.offsets;
    const v = this.head.slice(o[i * 4 + 1] as number, o[i * 4 + 2] as number);
    return this.folded && v.indexOf("\n") >= 0 ? unfold(v) : v;
  }

  /**
   * @internal The text holding line `i`'s value and the value's range in it: the header section
   * itself (no copy) unless the message has folded lines, then the unfolded value.
   */
  valueSpan(i: number): [text: string, start: number, end: number] {
    if (this.folded) {
      const v = this.wireValue(i);
      return [v, 0, v.length];
    }
    const o = this.headerTable.offsets;
    return [this.head, o[i * 4 + 1] as number, o[i * 4 + 2] as number];
  }

  /** The first line of a HOT header, or -1. */
  private hotLine(slot: number): number {
    return this.hotLines[slot] as number;
  }

  /** The line after `line` holding the HOT header of `slot` and `key`, or -1. */
  private nextHotLine(slot: number, key: string, line: number): number {
    return (this.hotRepeated & (1 << slot)) === 0 ? -1 : this.lineIndex(key, line + 1);
  }

  /** singleLine for a HOT header. */
  private singleHotLine(slot: number, what: string): number {
    if ((this.hotRepeated & (1 << slot)) !== 0) throw new ParseError(`more than one ${what} header`);
    return this.hotLines[slot] as number;
  }

  /** requiredLine for a HOT header. */
  private requiredHotLine(slot: number, what: string): number {
    const i = this.singleHotLine(slot, what);
    if (i < 0) throw new ParseError(`missing ${what} header`);
    return i;
  }

  /** @internal The line of a header that must occur at most once, or -1. */
  singleLine(key: string, what: string): number {
    const i = this.lineIndex(key, 0);
    if (i >= 0 && this.lineIndex(key, i + 1) >= 0) throw new ParseError(`more than one ${what} header`);
    return i;
  }

  /** @internal The single value of a header that must occur at most once, or undefined. */
  singleValue(key: string, what: string): string | undefined {
    const i = this.singleLine(key, what);
    return i < 0 ? undefined : this.wireValue(i);
  }

  private nameAddrAt(i: number, what: string): NameAddr {
    if (!this.folded) {
      const o = this.headerTable.offsets;
      const start = o[i * 4 + 1] as number;
      const end = o[i * 4 + 2] as number;
      return scanNameAddr(this.raw, this.head, start, end, false) ?? parseNameAddr(this.head, start, end, what);
    }
    const [v, start, end] = this.valueSpan(i);
    return parseNameAddr(v, start, end, what);
  }

  // ---- typed accessors -------------------------------------------------------------------

  /** Every Via value, top first. */
  get via(): Via[] {
    if (this.viaCache === undefined) {
      const out: Via[] = [];
      for (let i = this.hotLine(HOT.via); i >= 0; i = this.nextHotLine(HOT.via, H.via, i)) {
        const [v, start, end] = this.valueSpan(i);
        parseViaList(v, start, end, out);
      }
      this.viaCache = out;
    }
    return this.viaCache;
  }

  /** The top Via, parsed without parsing the others (the hot path needs only this one). */
  get topVia(): Via | undefined {
    if (this.topViaCache === undefined) {
      if (this.viaCache !== undefined) return (this.topViaCache = this.viaCache[0]);
      const i = this.hotLine(HOT.via);
      if (i < 0) return undefined;
      if (!this.folded) {
        const o = this.headerTable.offsets;
        const start = o[i * 4 + 1] as number;
        const end = o[i * 4 + 2] as number;
        return (this.topViaCache = scanVia(this.raw, this.head, start, end, true) ?? parseVia(this.head, start, end, true));
      }
      const [v, start, end] = this.valueSpan(i);
      this.topViaCache = parseVia(v, start, end, true);
    }
    return this.topViaCache;
  }

  /**
   * The top Via value exactly as received (the first element of the first Via line), for copying
   * into an ACK or CANCEL (RFC 3261 §9.1, §17.1.1.3) and for RFC 2543 transaction matching.
   */
  get topViaText(): string | undefined {
    const i = this.lineIndex(H.via, 0);
    if (i < 0) return undefined;
    const v = this.wireValue(i);
    return v.slice(0, trimEnd(v, 0, findUnquoted(v, 44 /* , */, 0)));
  }

  get from(): NameAddr {
    return (this.fromCache ??= this.nameAddrAt(this.requiredHotLine(HOT.from, "From"), "From"));
  }

  get to(): NameAddr {
    return (this.toCache ??= this.nameAddrAt(this.requiredHotLine(HOT.to, "To"), "To"));
  }

  get callId(): string {
    if (this.callIdCache === undefined) {
      const line = this.requiredHotLine(HOT.callId, "Call-ID");
      // RFC 3261 §25.1: callid = word [ "@" word ] — no white space inside. Checked on the
      // received bytes (a byte read costs a third of a charCodeAt): they are the value's chars,
      // unless the line is folded, and then they hold the CR LF the check refuses anyway. So a
      // value that passes is the same text in the received message as unfolded.
      const o = this.headerTable.offsets;
      const a = o[line * 4 + 1] as number;
      const b = o[line * 4 + 2] as number;
      if (a === b) throw new ParseError("Call-ID: empty");
      const raw = this.raw;
      for (let k = a; k < b; k++) {
        const c = raw[k] as number;
        if (c <= 32 || c >= 127) {
          const [v, va] = this.valueSpan(line);
          throw new ParseError(`Call-ID: invalid character in "${excerpt(v, va)}"`);
        }
      }
      this.callIdCache = this.head.slice(a, b);
    }
    return this.callIdCache;
  }

  get cseq(): CSeq {
    if (this.cseqCache === undefined) {
      const line = this.requiredHotLine(HOT.cseq, "CSeq");
      if (!this.folded) {
        const o = this.headerTable.offsets;
        const a = o[line * 4 + 1] as number;
        const b = o[line * 4 + 2] as number;
        return (this.cseqCache = scanCSeq(this.raw, this.head, a, b) ?? parseCSeq(this.head, a, b));
      }
      const [v, a, b] = this.valueSpan(line);
      this.cseqCache = parseCSeq(v, a, b);
    }
    return this.cseqCache;
  }

  /** Max-Forwards, or undefined when absent (RFC 3261 §16.3: a missing one passes the check). */
  get maxForwards(): number | undefined {
    if (this.maxForwardsCache === undefined) {
      const i = this.singleHotLine(HOT.maxForwards, "Max-Forwards");
      if (i < 0) this.maxForwardsCache = null;
      else {
        // 1 to 3 digits, at most 255, read from the bytes; anything else (a folded line's CR LF
        // included) goes to parseUnsigned, which says what is wrong.
        const o = this.headerTable.offsets;
        const a = o[i * 4 + 1] as number;
        const b = o[i * 4 + 2] as number;
        const raw = this.raw;
        let n = b > a && b - a <= 3 ? 0 : -1;
        for (let k = a; k < b && n >= 0; k++) {
          const d = (raw[k] as number) - 0x30;
          n = d >= 0 && d <= 9 ? n * 10 + d : -1;
        }
        if (n < 0 || n > MAX_MAX_FORWARDS) {
          const [v, va, vb] = this.valueSpan(i);
          n = parseUnsigned(v, va, vb, MAX_MAX_FORWARDS, "Max-Forwards");
        }
        this.maxForwardsCache = n;
      }
    }
    return this.maxForwardsCache ?? undefined;
  }

  /** True when the Contact header is the wildcard `*` (RFC 3261 §10.2.2, REGISTER only). */
  get contactIsWildcard(): boolean {
    const i = this.hotLine(HOT.contact);
    if (i < 0) return false;
    const [v, a, b] = this.valueSpan(i);
    return b === a + 1 && v.charCodeAt(a) === 42 /* * */;
  }

  /** Contact values; empty for the wildcard (check `contactIsWildcard`) or when absent. */
  get contact(): NameAddr[] {
    if (this.contactCache === undefined) {
      if (this.contactIsWildcard) {
        if ((this.hotRepeated & (1 << HOT.contact)) !== 0) throw new ParseError("Contact: '*' must be the only Contact value");
        this.contactCache = [];
      } else this.contactCache = this.nameAddrList(H.contact, "Contact", HOT.contact);
    }
    return this.contactCache;
  }

  get route(): NameAddr[] {
    return (this.routeCache ??= this.nameAddrList(H.route, "Route", HOT.route));
  }

  get recordRoute(): NameAddr[] {
    return (this.recordRouteCache ??= this.nameAddrList(H.recordRoute, "Record-Route", HOT.recordRoute));
  }

  /** RFC 3327 Path. */
  get path(): NameAddr[] {
    return (this.pathCache ??= this.nameAddrList(H.path, "Path"));
  }

  get expires(): number | undefined {
    return this.numberHeader(H.expires, MAX_DELTA_SECONDS, "Expires");
  }

  get minExpires(): number | undefined {
    return this.numberHeader(H.minExpires, MAX_DELTA_SECONDS, "Min-Expires");
  }

  /** The Content-Length header's value (the parser has already checked it against the body). */
  get contentLength(): number | undefined {
    return this.numberHeader(H.contentLength, MAX_DELTA_SECONDS, "Content-Length");
  }

  get contentType(): ContentType | undefined {
    const v = this.singleValue(H.contentType, "Content-Type");
    return v === undefined ? undefined : parseContentType(v);
  }

  /** Option tags (RFC 3261 §20.37). */
  get supported(): string[] {
    return this.tokenList(H.supported, "Supported");
  }

  get require(): string[] {
    return this.tokenList(H.require, "Require");
  }

  get proxyRequire(): string[] {
    return this.tokenList(H.proxyRequire, "Proxy-Require");
  }

  get allow(): string[] {
    return this.tokenList(H.allow, "Allow");
  }

  get userAgent(): string | undefined {
    return this.header(H.userAgent);
  }

  get authorization(): Credentials[] {
    return (this.authorizationCache ??= this.authLines(H.authorization, parseCredentials));
  }

  get proxyAuthorization(): Credentials[] {
    return (this.proxyAuthorizationCache ??= this.authLines(H.proxyAuthorization, parseCredentials));
  }

  get wwwAuthenticate(): Challenge[] {
    return this.authLines(H.wwwAuthenticate, parseChallenge);
  }

  get proxyAuthenticate(): Challenge[] {
    return this.authLines(H.proxyAuthenticate, parseChallenge);
  }

  /** Every value of a name-addr list header; `slot` is its HOT slot, if it has one. */
  private nameAddrList(key: string, what: string, slot = -1): NameAddr[] {
    const out: NameAddr[] = [];
    for (
      let i = slot < 0 ? this.lineIndex(key, 0) : this.hotLine(slot);
      i >= 0;
      i = slot < 0 ? this.lineIndex(key, i + 1) : this.nextHotLine(slot, key, i)
    ) {
      if (!this.folded) {
        const o = this.headerTable.offsets;
        scanNameAddrList(this.raw, this.head, what, out, o[i * 4 + 1] as number, o[i * 4 + 2] as number);
        continue;
      }
      const [v, start, end] = this.valueSpan(i);
      parseNameAddrList(v, what, out, start, end);
    }
    return out;
  }

  private numberHeader(key: string, max: number, what: string): number | undefined {
    const i = this.singleLine(key, what);
    if (i < 0) return undefined;
    const [v, a, b] = this.valueSpan(i);
    return parseUnsigned(v, a, b, max, what);
  }

  private tokenList(key: string, what: string): string[] {
    const out: string[] = [];
    for (let i = this.lineIndex(key, 0); i >= 0; i = this.lineIndex(key, i + 1)) {
      for (const t of splitList(this.wireValue(i))) {
        if (!isToken(t)) throw new ParseError(`${what}: "${excerpt(t, 0)}" is not a token`);
        out.push(t);
      }
    }
    return out;
  }

  private authLines<T>(key: string, parse: (v: string) => T): T[] {
    const out: T[] = [];
    for (let i = this.lineIndex(key, 0); i >= 0; i = this.lineIndex(key, i + 1)) out.push(parse(this.wireValue(i)));
    return out;
  }
}

/**
 * RFC 3261 §7.3.1: a line folded with LWS is equivalent to one with a single SP. One linear pass
 * (a regex with white space on both sides of the line break backtracks quadratically on long
 * runs of spaces).
 */
function unfold(v: string): string {
  let out = "";
  let from = 0;
  for (let lf = v.indexOf("\n"); lf >= 0; lf = v.indexOf("\n", from)) {
    let a = lf;
    if (a > from && v.charCodeAt(a - 1) === 13) a--;
    while (a > from && isWsp(v.charCodeAt(a - 1))) a--;
    let b = lf + 1;
    while (b < v.length && isWsp(v.charCodeAt(b))) b++;
    out += v.slice(from, a) + " ";
    from = b;
  }
  return out + v.slice(from);
}

function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

export class SipRequest extends SipMessage {
  readonly isRequest = true as const;
  private uriCache: Uri | undefined;
  private uriTextCache: string | undefined;

  constructor(
    p: ParsedParts,
    readonly method: string,
    private readonly uriStart: number,
    private readonly uriEnd: number,
  ) {
    super(p);
  }

  /** The Request-URI exactly as written. */
  get uriText(): string {
    return (this.uriTextCache ??= this.head.slice(this.uriStart, this.uriEnd));
  }

  /** The parsed Request-URI; throws ParseError if malformed. */
  get uri(): Uri {
    return (this.uriCache ??= parseUri(this.head, "Request-URI", this.uriStart, this.uriEnd));
  }
}

export class SipResponse extends SipMessage {
  readonly isRequest = false as const;
  private readonly wireReason: string;

  constructor(
    p: ParsedParts,
    readonly status: number,
    wireReason: string,
  ) {
    super(p);
    this.wireReason = wireReason;
  }

  /** Reason-Phrase, decoded as UTF-8 (RFC 3261 §25.1 allows UTF-8 there). */
  get reason(): string {
    return fromWire(this.wireReason);
  }
}

export type AnyMessage = SipRequest | SipResponse;

/** Canonical key helper re-exported for callers that look headers up by key repeatedly. */
export { canonicalHeaderName };
