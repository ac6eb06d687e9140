import { ParseError, rethrowWithContext } from "../errors.js";
import { excerpt, internSlice, isSip20At, lastScanEnd, type Params, parseParams, scanParams, scannedParamIs, scannedParamNameLength, scannedParamValue, scanToken, skipWs } from "./lexer.js";
import { scanHost, scanPort, scannedPortValue } from "./host.js";

/**
 * One Via value (RFC 3261 §20.42): `SIP/2.0/UDP host:port;branch=...;received=...;rport`.
 */
export class Via {
  /** Undefined until first read when parsed: built then from paramSrc[paramStart, paramEnd), checked at parse time. */
  private paramList: Params | undefined;

  /**
   * `params` undefined (the parser's form) means "build them from `paramSrc[paramStart,
   * paramEnd)` when first read": most Vias are read for their branch only, which the parser
   * passes. Callers building a Via pass `params` (and the branch is taken from them).
   */
  constructor(
    readonly protocolName: string,
    readonly protocolVersion: string,
    /** Upper-cased transport token: UDP, TCP, TLS, SCTP, WS, WSS or any other token. */
    readonly transport: string,
    /** Host as written; IPv6 references keep their brackets. */
    readonly host: string,
    readonly port: number | undefined,
    params: Params | undefined,
    /** RFC 3261 §8.1.1.7: the transaction id; branches starting with z9hG4bK are RFC 3261 compliant. */
    readonly branch: string | undefined = params?.get("branch") ?? undefined,
    private readonly paramSrc = "",
    private readonly paramStart = 0,
    private readonly paramEnd = 0,
  ) {
    this.paramList = params;
  }

  get params(): Params {
    return (this.paramList ??= parseParams(this.paramSrc, this.paramStart, this.paramEnd, true));
  }

  /** RFC 3261 §18.2.1: the source address a server saw when it differed from sent-by. */
  get received(): string | undefined {
    return this.params.get("received") ?? undefined;
  }

  /**
   * RFC 3581: `null` when the client asked for rport (parameter without value), the port
   * when a server filled it in, `undefined` when absent.
   */
  get rport(): number | null | undefined {
    const v = this.params.get("rport");
    if (v === undefined || v === null) return v;
    return Number(v);
  }

  get maddr(): string | undefined {
    return this.params.get("maddr") ?? undefined;
  }

  get ttl(): number | undefined {
    const v = this.params.get("ttl");
    return v == null ? undefined : Number(v);
  }

  /** `host[:port]` as it appears in the sent-by. */
  get sentBy(): string {
    return this.port === undefined ? this.host : `${this.host}:${this.port}`;
  }

  toString(): string {
    return `${this.protocolName}/${this.protocolVersion}/${this.transport} ${this.sentBy}${this.params.toString()}`;
  }
}

/**
 * via-parm = sent-protocol LWS sent-by *( SEMI via-params ), where
 * sent-protocol = protocol-name SLASH protocol-version SLASH transport and SLASH = SWS "/" SWS.
 */
export function parseVia(s: string, start = 0, end = s.length, inList = false): Via {
  let i = skipWs(s, start, end);
  let protocolName: string;
  let protocolVersion: string;
  if (isSip20At(s, i) && s.charCodeAt(i + 7) === 0x2f /* / */) {
    // What nearly every Via says, written without the optional white space.
    protocolName = "SIP";
    protocolVersion = "2.0";
    i += 8;
  } else {
    const nameEnd = scanToken(s, i, end);
    if (nameEnd === i) throw viaError("missing protocol name", s, i);
    protocolName = internSlice(s, i, nameEnd, PROTOCOL_NAMES);
    i = expectSlash(s, nameEnd, end);
    const verEnd = scanToken(s, i, end);
    if (verEnd === i) throw viaError("missing protocol version", s, i);
    protocolVersion = internSlice(s, i, verEnd, PROTOCOL_VERSIONS);
    i = expectSlash(s, verEnd, end);
  }
  const tEnd = scanToken(s, i, end);
  if (tEnd === i) throw viaError("missing transport", s, i);
  const transport = transportToken(s, i, tEnd);
  const hostStart = skipWs(s, tEnd, end);
  if (hostStart === tEnd) throw viaError("missing space before sent-by", s, tEnd);
  const hostEnd = scanHost(s, hostStart, end);
  if (hostEnd === hostStart) throw viaError("missing sent-by host", s, hostStart);
  const host = s.slice(hostStart, hostEnd);
  let port: number | undefined;
  i = skipWs(s, hostEnd, end);
  if (i < end && s.charCodeAt(i) === 58 /* : */) {
    const p = skipWs(s, i + 1, end);
    const pEnd = scanPort(s, p, end);
    if (pEnd < 0) throw viaError("invalid port", s, p);
    port = scannedPortValue();
    i = pEnd;
  }
  let count: number;
  try {
    // In a list, the parameters end at the ',' before the next via-parm (lastScanEnd() tells where).
    count = scanParams(s, i, end, inList);
  } catch (e) {
    rethrowWithContext("Via", e);
  }
  // The parameters with a grammar of their own (RFC 3261 §25.1, RFC 3581) are checked now, and
  // the branch kept; the rest are built only if someone reads them (Via.params).
  let branch: string | undefined;
  for (let k = 0; k < count; k++) {
    const length = scannedParamNameLength(k);
    if (length === 6 && scannedParamIs(s, k, "branch")) {
      const value = scannedParamValue(s, k);
      if (value === null) throw viaError("branch without value", s, i);
      branch = value;
    } else if (length === 3 && scannedParamIs(s, k, "ttl")) {
      const value = scannedParamValue(s, k);
      if (value === null || value.length > 3 || parseDigits(value) < 0 || Number(value) > 255) throw viaError("ttl must be 0-255", s, i);
    } else if (length === 5 && scannedParamIs(s, k, "rport")) {
      const value = scannedParamValue(s, k);
      if (value !== null && scanPort(value, 0, value.length) !== value.length) throw viaError("invalid rport", s, i);
    }
  }
  return new Via(protocolName, protocolVersion, transport, host, port, undefined, branch, s, i, lastScanEnd());
}

const PROTOCOL_NAMES = ["SIP"] as const;
const PROTOCOL_VERSIONS = ["2.0"] as const;
const TRANSPORTS = ["UDP", "TCP", "TLS", "WS", "WSS", "SCTP", "TLS-SCTP"] as const;

/** The transport token, upper-cased; the registered ones come back as constants. */
function transportToken(s: string, start: number, end: number): string {
  const len = end - start;
  // UDP, TCP and TLS, nearly every Via's, without a startsWith call (see isSip20At).
  if (len === 3) {
    const a = s.charCodeAt(start);
    const b = s.charCodeAt(start + 1);
    const c = s.charCodeAt(start + 2);
    if (a === 0x55 && b === 0x44 && c === 0x50) return "UDP";
    if (a === 0x54 && b === 0x43 && c === 0x50) return "TCP";
    if (a === 0x54 && b === 0x4c && c === 0x53) return "TLS";
  }
  for (const t of TRANSPORTS) if (t.length === len && s.startsWith(t, start)) return t;
  return s.slice(start, end).toUpperCase();
}

/** The value of an all-digit string, or -1. */
function parseDigits(v: string): number {
  let n = 0;
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return v.length > 0 ? n : -1;
}


/** Parses the via-parms of a Via header value in order, in one pass, into `out`. */
export function parseViaList(s: string, start: number, end: number, out: Via[]): Via[] {
  let i = start;
  for (;;) {
    out.push(parseVia(s, i, end, true));
    const stop = lastScanEnd();
    if (stop >= end) return out;
    i = stop + 1; // past the ','
    if (skipWs(s, i, end) >= end) throw viaError("empty value after ','", s, stop);
  }
}

function expectSlash(s: string, i: number, end: number): number {
  i = skipWs(s, i, end);
  if (i >= end || s.charCodeAt(i) !== 47 /* / */) throw viaError("expected '/' in sent-protocol", s, i);
  return skipWs(s, i + 1, end);
}

function viaError(what: string, s: string, i: number): ParseError {
  return new ParseError(`Via: ${what} at "${excerpt(s, i)}"`, { offset: i });
}
