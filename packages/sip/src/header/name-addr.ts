import { ParseError, rethrowWithContext } from "../errors.js";
import { parseUri, type Uri } from "../uri/index.js";
import { plainSipUri } from "../uri/sip-uri.js";
import type { HostType } from "../uri/uri-host.js";
import { rangeText } from "../uri/range-text.js";
import { fromWire } from "../message/wire-text.js";
import { excerpt, lastScanEnd, type Params, parseParams, quote, scanParams, scannedParamIs, scannedParamNameLength, scannedParamValue, scanQuoted, skipWs, TOKEN_CHAR, trimEnd, unquote } from "./lexer.js";

/**
 * A name-addr or addr-spec with header parameters, as used by From, To, Contact, Route,
 * Record-Route, Path (RFC 3261 §20.10, §20.20, §20.30, §20.34, §20.39; RFC 3327).
 * The URI is parsed on first access: a proxy that only needs the tag never pays for it.
 */
export class NameAddr {
  private parsedUri: Uri | undefined;
  private uriTextCache: string | undefined;
  /** Undefined until first read when parsed: built then from uriSource[paramStart, paramEnd), checked at parse time. */
  private paramList: Params | undefined;
  /** The display name once decoded; `null` until then (when parsed, see displayNameStart). */
  private displayNameCache: string | undefined | null;
  /**
   * When the byte scanner (byte-scan.ts) found the URI to be a plain `sip:` one, where its parts
   * are in uriSource: the user part's end (-1: no user), the host's end (-1: not scanned), the
   * port (-1: none), where its parameters start (-1: none), and whether the text is canonical.
   */
  private plainUserEnd = -1;
  private plainHostEnd = -1;
  private plainHostType: HostType = "name";
  private plainPort = -1;
  private plainParamStart = -1;
  private plainVerbatim = false;

  /**
   * `uriSource[uriStart, uriEnd)` is the URI exactly as written (inside the angle brackets if
   * there were any); the parser passes the whole message text and a range, so nothing is copied
   * until the URI or its text is asked for. The parser also leaves the parameters (`params`
   * undefined) and the display name (`displayName` null) in the text, already checked, with the
   * tag found while checking: most name-addrs are read for their URI or tag only.
   */
  constructor(
    /** Display name, unquoted and decoded from UTF-8; undefined when absent. */
    displayName: string | undefined | null,
    private readonly uriSource: string,
    params: Params | undefined,
    private readonly uriStart = 0,
    private readonly uriEnd = uriSource.length,
    private readonly parsedTag: string | undefined = undefined,
    /** Where the parameters are in uriSource, when `params` is undefined. */
    private readonly paramStart = 0,
    private readonly paramEnd = 0,
    /** Where the display name is in uriSource (quoted or not) when `displayName` is null. */
    private readonly displayNameStart = 0,
    private readonly displayNameEnd = 0,
  ) {
    this.displayNameCache = displayName;
    this.paramList = params;
  }

  /** Display name, unquoted and decoded from UTF-8; undefined when absent. */
  get displayName(): string | undefined {
    if (this.displayNameCache === null) this.displayNameCache = displayNameText(this.uriSource, this.displayNameStart, this.displayNameEnd);
    return this.displayNameCache;
  }

  get params(): Params {
    return (this.paramList ??= parseParams(this.uriSource, this.paramStart, this.paramEnd, true));
  }

  /** The URI exactly as written. */
  get uriText(): string {
    return (this.uriTextCache ??= rangeText(this.uriSource, this.uriStart, this.uriEnd));
  }

  get uri(): Uri {
    return (this.parsedUri ??= this.plainHostEnd < 0 ? parseUri(this.uriSource, "URI", this.uriStart, this.uriEnd) : this.plainUri());
  }

  /** @internal The byte scanner's findings about a plain `sip:` URI (see plainUserEnd): `uri` then only slices. */
  setPlainSipUri(userEnd: number, hostEnd: number, hostType: HostType, port: number, paramStart: number, verbatim: boolean): void {
    this.plainUserEnd = userEnd;
    this.plainHostEnd = hostEnd;
    this.plainHostType = hostType;
    this.plainPort = port;
    this.plainParamStart = paramStart;
    this.plainVerbatim = verbatim;
  }

  /** What parse-sip-uri.ts parsePlainSipUri builds for the URI the byte scanner took apart. */
  private plainUri(): Uri {
    const s = this.uriSource;
    const userStart = this.uriStart + 4; // past "sip:"
    const userEnd = this.plainUserEnd;
    const user = userEnd < 0 ? undefined : s.slice(userStart, userEnd);
    const host = s.slice(userEnd < 0 ? userStart : userEnd + 1, this.plainHostEnd);
    const port = this.plainPort < 0 ? undefined : this.plainPort;
    return plainSipUri("sip", user, host, port, this.plainHostType, s, this.plainVerbatim ? this.uriStart : -1, this.plainParamStart, this.uriEnd);
  }

  get tag(): string | undefined {
    return this.paramList === undefined ? this.parsedTag : (this.paramList.get("tag") ?? undefined);
  }

  /** Contact `expires` parameter (RFC 3261 §20.10), in seconds. */
  get expires(): number | undefined {
    const v = this.params.get("expires");
    return v == null ? undefined : Number(v);
  }

  /** Contact `q` preference 0–1 (RFC 3261 §20.10). */
  get q(): number | undefined {
    const v = this.params.get("q");
    return v == null ? undefined : Number(v);
  }

  /** RFC 5626 §4.1 `+sip.instance`, e.g. `<urn:uuid:...>` (quotes removed). */
  get instance(): string | undefined {
    return this.params.get("+sip.instance") ?? undefined;
  }

  /** RFC 5626 §4.2 `reg-id`. */
  get regId(): number | undefined {
    const v = this.params.get("reg-id");
    return v == null ? undefined : Number(v);
  }

  toString(): string {
    const name = this.displayName === undefined ? "" : quote(this.displayName) + " ";
    return `${name}<${this.uriText}>${this.params.toString()}`;
  }
}

/** Parses one name-addr / addr-spec with its parameters from `s[start, end)`. */
export function parseNameAddr(s: string, start = 0, end = s.length, what = "address", inList = false): NameAddr {
  let i = skipWs(s, start, end);
  end = trimEnd(s, i, end);
  // The display name is checked here and decoded when first read (NameAddr.displayName).
  let nameStart = -1;
  let nameEnd = -1;
  let uriStart: number;
  let uriEnd: number;
  if (i < end && s.charCodeAt(i) === 34 /* " */) {
    nameStart = i;
    nameEnd = scanQuoted(s, i, end);
    i = skipWs(s, nameEnd, end);
    if (i >= end || s.charCodeAt(i) !== 60 /* < */) throw nameAddrError(what, "expected '<' after display name", s, i);
  }
  const lt = nameStart < 0 ? findOpenAngle(s, i, end) : i;
  if (lt >= 0) {
    if (nameStart < 0 && lt > i) {
      nameEnd = checkTokenDisplayName(s, i, lt, what);
      if (nameEnd > i) nameStart = i;
    }
    const gt = s.indexOf(">", lt + 1);
    if (gt < 0 || gt >= end) throw nameAddrError(what, "unterminated '<'", s, lt);
    uriStart = lt + 1;
    uriEnd = gt;
    i = gt + 1;
  } else {
    // RFC 3261 §20: in addr-spec form a ';' starts header parameters, and a URI with ',', '?' or ';'
    // MUST be enclosed in angle brackets — so '?' here means a missing <...> (RFC 4475 §3.1.2.13).
    // The URI of an addr-spec ends at the first ';' (or, in a list, ','): neither can be in it.
    let semi = i;
    while (semi < end) {
      const c = s.charCodeAt(semi);
      if (c === 59 /* ; */ || (c === 44 /* , */ && inList)) break;
      semi++;
    }
    uriStart = i;
    uriEnd = trimEnd(s, i, semi);
    if (uriEnd === uriStart) throw nameAddrError(what, "missing URI", s, i);
    for (let k = uriStart; k < uriEnd; k++) {
      const c = s.charCodeAt(k);
      if (c === 63 /* ? */ || c === 44 /* , */ || c === 32 || c === 9) {
        throw nameAddrError(what, "a URI with '?', ',' or white space must be enclosed in <>", s, k);
      }
    }
    i = semi;
  }
  let count: number;
  try {
    // In a list the parameters end at the ',' before the next value (lastScanEnd() tells where).
    count = scanParams(s, i, end, inList);
  } catch (e) {
    rethrowWithContext(what, e);
  }
  // The tag is what a name-addr's parameters are read for (RFC 3261 §12, §17.2.3): kept now, so
  // that reading it does not build the others. Params.get gives the first one of a name.
  let tag: string | undefined;
  for (let k = 0; k < count; k++) {
    if (scannedParamNameLength(k) === 3 && scannedParamIs(s, k, "tag")) {
      tag = scannedParamValue(s, k) ?? undefined;
      break;
    }
  }
  return new NameAddr(nameStart < 0 ? undefined : null, s, undefined, uriStart, uriEnd, tag, i, lastScanEnd(), nameStart, nameEnd);
}

/** Parses a comma-separated list of name-addrs (Contact, Route, Record-Route, Path) in one pass. */
export function parseNameAddrList(s: string, what: string, out: NameAddr[] = [], start = 0, end = s.length): NameAddr[] {
  let i = start;
  for (;;) {
    i = skipWs(s, i, end);
    // Empty elements (",,") are skipped, as RFC 7230 §7 asks of list parsers.
    while (i < end && s.charCodeAt(i) === 44 /* , */) i = skipWs(s, i + 1, end);
    if (i >= end) return out;
    out.push(parseNameAddr(s, i, end, what, true));
    i = lastScanEnd();
    if (i >= end) return out;
    i++; // past the ','
  }
}

/** Position of the '<' of a name-addr, or -1 for an addr-spec (no '<' before the first ';'). */
function findOpenAngle(s: string, i: number, end: number): number {
  for (let j = i; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 60 /* < */) return j;
    if (c === 59 /* ; */ || c === 58 /* : */) return -1;
  }
  return -1;
}

const LWS_RUN = /\s+/g;

/**
 * display-name = *(token LWS): unquoted display names may only hold tokens (RFC 4475 §3.1.2.15).
 * Returns where the name ends (past its last non-white char; `start` when there is none).
 */
function checkTokenDisplayName(s: string, start: number, end: number, what: string): number {
  const stop = trimEnd(s, start, end);
  for (let j = start; j < stop; j++) {
    const c = s.charCodeAt(j);
    if (c === 32 || c === 9 || c === 13 || c === 10) continue;
    if (c > 255 || TOKEN_CHAR[c] !== 1) throw nameAddrError(what, "display name must be quoted", s, j);
  }
  return stop;
}

/** The display name checked at s[start, end): a quoted-string, or tokens separated by LWS. */
function displayNameText(s: string, start: number, end: number): string {
  if (s.charCodeAt(start) === 34 /* " */) return fromWire(unquote(s, start, end));
  const name = s.slice(start, end);
  // Runs of LWS inside an unquoted display name mean one space (RFC 3261 §25.1).
  return name.indexOf("  ") < 0 && name.indexOf("\t") < 0 && name.indexOf("\n") < 0 ? name : name.replace(LWS_RUN, " ");
}

function nameAddrError(what: string, problem: string, s: string, i: number): ParseError {
  return new ParseError(`${what}: ${problem} at "${excerpt(s, i)}"`, { offset: i });
}
