import { ParseError } from "../errors.js";
import { isToken, type Params } from "../header/lexer.js";
import { escapeUriHeader, escapeUriPassword, escapeUriUser } from "./escape.js";
import { C_DIGIT, isCharRun } from "./uri-chars.js";
import { classifyHost, type HostType } from "./uri-host.js";
import { rangeText } from "./range-text.js";
import { NO_PARAMS, NO_WIRE, buildUriParams, plainParamValue, scanUriParams, serializeUriParams } from "./uri-params.js";

/** Fields of a SIP or SIPS URI as a caller supplies them: unescaped. */
export interface SipUriInit {
  /** Default "sip". */
  scheme?: "sip" | "sips";
  user?: string | undefined;
  password?: string | undefined;
  /** Host name, IPv4 address or IPv6 reference; a bare IPv6 address gets its brackets added. */
  host: string;
  port?: number | undefined;
  /** Names are lower-cased; a `null` value is a parameter without "=". */
  params?: Params | Iterable<readonly [string, string | null]>;
  headers?: Iterable<readonly [string, string]>;
}

/**
 * @internal Canonical wire forms of the escapable components (see canonicalEscapes): what
 * toString() writes and what uriEquals() compares.
 */
export interface SipUriWire {
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Alternating name, value. */
  readonly params: readonly (string | null)[];
  /** Alternating name, value. */
  readonly headers: readonly string[];
  readonly hostType: HostType;
}

const NO_HEADERS: ReadonlyArray<[string, string]> = Object.freeze([]);
const NO_HEADER_WIRE: readonly string[] = Object.freeze([]);

/** The parameters checkSipParam looks at: any other is valid whatever its value. */
export const CHECKED_SIP_PARAMS: readonly string[] = ["transport", "user", "method", "ttl", "maddr"];

/**
 * Checks the parameters RFC 3261 §19.1.1 gives meaning to (grammar in §25.1):
 * transport-param = "transport=" token, user-param = "user=" token, method-param = "method=" Method,
 * ttl-param = "ttl=" ttl (1*3DIGIT, 0–255), maddr-param = "maddr=" host.
 * `lr` is left alone: `lr=on`, sent by some stacks, is still a valid other-param.
 */
export function checkSipParam(name: string, value: string | null): string | undefined {
  switch (name) {
    case "transport":
    case "user":
    case "method":
      if (value === null) return `parameter "${name}" needs a value`;
      return isToken(value) ? undefined : `invalid ${name} parameter "${value}"`;
    case "ttl": {
      if (value === null) return `parameter "ttl" needs a value`;
      const ok = isCharRun(value, C_DIGIT, 3) && Number(value) <= 255;
      return ok ? undefined : `invalid ttl parameter "${value}"`;
    }
    case "maddr":
      if (value === null) return `parameter "maddr" needs a value`;
      return classifyHost(value, 0, value.length) === undefined ? `invalid maddr parameter "${value}"` : undefined;
    default:
      return undefined;
  }
}

function userWireOf(user: string | undefined): string | undefined {
  if (user === undefined) return undefined;
  // RFC 3261 §19.1.1: "If the @ sign is present in a SIP or SIPS URI, the user field MUST NOT be empty."
  if (user.length === 0) throw new ParseError("SIP URI: empty user part");
  return escapeUriUser(user);
}

function normalizeHost(host: string): { host: string; hostType: HostType } {
  // A bare IPv6 address is bracketed, as the host of a URI must be an IPv6reference.
  if (host.indexOf(":") >= 0 && host.charCodeAt(0) !== 0x5b) host = `[${host}]`;
  const hostType = classifyHost(host, 0, host.length);
  if (hostType === undefined) throw new ParseError(`SIP URI: invalid host "${host}"`);
  return { host, hostType };
}

function checkPort(port: number | undefined): number | undefined {
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new ParseError(`SIP URI: invalid port "${port}"`);
  }
  return port;
}

function paramsFromInit(input: SipUriInit["params"]): { params: Params; wire: readonly (string | null)[] } {
  if (input === undefined) return { params: NO_PARAMS, wire: NO_WIRE };
  try {
    return buildUriParams(input, false, checkSipParam);
  } catch (e) {
    throw e instanceof ParseError ? new ParseError(`SIP URI: ${e.message}`, {}, { cause: e }) : e;
  }
}

function headersFromInit(input: SipUriInit["headers"]): { headers: ReadonlyArray<[string, string]>; wire: readonly string[] } {
  if (input === undefined) return { headers: NO_HEADERS, wire: NO_HEADER_WIRE };
  const headers: [string, string][] = [];
  const wire: string[] = [];
  for (const [name, value] of input) {
    if (name.length === 0) throw new ParseError("SIP URI: empty header name");
    headers.push([name, value]);
    wire.push(escapeUriHeader(name), escapeUriHeader(value));
  }
  return headers.length === 0 ? { headers: NO_HEADERS, wire: NO_HEADER_WIRE } : { headers, wire };
}

/**
 * @internal What only some URIs have: headers, or escapes, which make the canonical wire forms
 * (see canonicalEscapes) differ from the unescaped fields. A URI without any has none of these.
 */
export interface SipUriExtras {
  readonly userWire: string | undefined;
  readonly passwordWire: string | undefined;
  readonly headers: ReadonlyArray<[string, string]>;
  /** Alternating name, value. */
  readonly headerWire: readonly string[];
}

/** What the constructor sets from a caller's init once fieldsFromInit has checked and escaped it. */
interface InitFields {
  scheme: "sip" | "sips";
  user: string | undefined;
  password: string | undefined;
  host: string;
  port: number | undefined;
  hostType: HostType;
  extras: SipUriExtras;
  params: Params;
  paramWire: readonly (string | null)[];
}

function fieldsFromInit(init: SipUriInit): InitFields {
  // The order of the checks decides which error a URI with several problems reports.
  const scheme = init.scheme ?? "sip";
  if (scheme !== "sip" && scheme !== "sips") throw new ParseError(`SIP URI: invalid scheme "${String(scheme)}"`);
  const { host, hostType } = normalizeHost(init.host);
  const p = paramsFromInit(init.params);
  const h = headersFromInit(init.headers);
  const user = init.user;
  const password = user === undefined ? undefined : init.password;
  const port = checkPort(init.port);
  const extras: SipUriExtras = {
    userWire: userWireOf(user),
    passwordWire: password === undefined ? undefined : escapeUriPassword(password),
    headers: h.headers,
    headerWire: h.wire,
  };
  return { scheme, user, password, host, port, hostType, extras, params: p.params, paramWire: p.wire };
}

/**
 * @internal The parser's constructor for a URI with no password, nothing escaped, no headers, and
 * plain parameters (see scanPlainParams) or none: those stay in `src` (paramStart < 0 if there
 * are none) until first read. textStart ≥ 0 says src[textStart, srcEnd) is the canonical text.
 * (A function of its own, so that wherever V8 does not inline it into the parser, it still
 * inlines the constructor into it.)
 */
export function plainSipUri(
  scheme: "sip" | "sips",
  user: string | undefined,
  host: string,
  port: number | undefined,
  hostType: HostType,
  src: string,
  textStart: number,
  paramStart: number,
  srcEnd: number,
): SipUri {
  return new SipUri(null, scheme, user, undefined, host, port, hostType, undefined, undefined, undefined, src, textStart, paramStart, srcEnd);
}

/**
 * A SIP or SIPS URI (RFC 3261 §19.1): `sip:user:password@host:port;uri-parameters?headers`.
 * Immutable; `with()` makes a modified copy. Component strings are unescaped (byte strings,
 * one char per byte); toString() escapes them again.
 *
 * A parsed URI keeps the text it was parsed from: its parameters are built from it when first
 * read (the parser has already validated them), and when that text is already canonical it is
 * what toString() returns — most URIs are parsed only to read a host or a user, or to be
 * forwarded untouched.
 */
export class SipUri {
  readonly scheme: "sip" | "sips";
  /** Unescaped user part; `undefined` when the URI has no userinfo. */
  readonly user: string | undefined;
  /** Unescaped password; `""` for `user:@host`, `undefined` when there is no ":". */
  readonly password: string | undefined;
  /** As written; IPv6 references keep their brackets. */
  readonly host: string;
  readonly port: number | undefined;
  readonly hostType: HostType;
  /** `undefined` when the URI has no headers and nothing escaped. */
  private readonly extras: SipUriExtras | undefined;
  /** Both `undefined` until the `params` getter builds them from src[paramStart, srcEnd). */
  private paramList: Params | undefined;
  private paramWire: readonly (string | null)[] | undefined;
  /** The text the URI was parsed from ("" when it was not parsed), and where the URI ends in it. */
  private readonly src: string;
  private readonly srcEnd: number;
  private readonly paramStart: number;
  /** Where the URI starts in `src` if its text there is canonical (then it is toString()), else -1. */
  private readonly textStart: number;
  private text: string | undefined;

  /** Builds a URI from unescaped fields, validating host, port and parameters (throws ParseError). */
  constructor(init: SipUriInit);
  /**
   * @internal The parser's and with()'s constructor, which checks nothing. Fields come
   * positionally, so that parsing allocates no object besides the URI and its strings.
   * `params` and `paramWire` undefined mean "build them from src[paramStart, srcEnd) when first
   * read"; `textStart` ≥ 0 means src[textStart, srcEnd) is the canonical text.
   */
  constructor(
    init: null,
    scheme: "sip" | "sips",
    user: string | undefined,
    password: string | undefined,
    host: string,
    port: number | undefined,
    hostType: HostType,
    extras: SipUriExtras | undefined,
    params: Params | undefined,
    paramWire: readonly (string | null)[] | undefined,
    src: string,
    textStart: number,
    paramStart: number,
    srcEnd: number,
  );
  constructor(
    init: SipUriInit | null,
    scheme?: "sip" | "sips",
    user?: string,
    password?: string,
    host?: string,
    port?: number,
    hostType?: HostType,
    extras?: SipUriExtras,
    params?: Params,
    paramWire?: readonly (string | null)[],
    src?: string,
    textStart?: number,
    paramStart?: number,
    srcEnd?: number,
  ) {
    // Kept small (the checks are in fieldsFromInit) so that the parser's `new` can be inlined.
    if (init !== null) ({ scheme, user, password, host, port, hostType, extras, params, paramWire } = fieldsFromInit(init));
    this.scheme = scheme!;
    this.user = user;
    this.password = password;
    this.host = host!;
    this.port = port;
    this.hostType = hostType!;
    this.extras = extras;
    this.paramList = params;
    this.paramWire = paramWire;
    this.src = src ?? "";
    this.srcEnd = srcEnd ?? 0;
    this.paramStart = paramStart ?? -1;
    this.textStart = textStart ?? -1;
    this.text = undefined;
  }

  /** URI parameters, names lower-cased, values unescaped. */
  get params(): Params {
    return this.paramList ?? this.buildParams();
  }

  /** Header components in order, names and values unescaped. */
  get headers(): ReadonlyArray<[string, string]> {
    return this.extras?.headers ?? NO_HEADERS;
  }

  /** @internal Canonical wire forms of the escapable components: what toString() writes and uriEquals() compares. */
  get wire(): SipUriWire {
    const x = this.extras;
    return {
      user: x === undefined ? this.user : x.userWire,
      password: x === undefined ? this.password : x.passwordWire,
      params: this.paramWireList(),
      headers: x === undefined ? NO_HEADER_WIRE : x.headerWire,
      hostType: this.hostType,
    };
  }

  private paramWireList(): readonly (string | null)[] {
    if (this.paramWire === undefined) this.buildParams();
    return this.paramWire!;
  }

  /** Builds the parameters the parser left in the text; they were validated then, so this does not throw. */
  private buildParams(): Params {
    if (this.paramStart < 0) {
      this.paramWire = NO_WIRE;
      return (this.paramList = NO_PARAMS);
    }
    const scan = scanUriParams(this.src, this.paramStart, this.srcEnd, false, checkSipParam);
    this.paramWire = scan.wire;
    return (this.paramList = scan.params);
  }

  /**
   * params.get(name) for a lower-case name, without building the parameters when they are still
   * in the text: routing reads `lr` or `transport` of many URIs and nothing else of their parameters.
   */
  private param(name: string): string | null | undefined {
    if (this.paramList !== undefined) return this.paramList.get(name);
    return this.paramStart < 0 ? undefined : plainParamValue(this.src, this.paramStart, this.srcEnd, name);
  }

  /** `transport` parameter, lower-cased (RFC 3261 §19.1.1). */
  get transport(): string | undefined {
    const v = this.param("transport");
    return v == null ? undefined : v.toLowerCase();
  }

  get maddr(): string | undefined {
    return this.param("maddr") ?? undefined;
  }

  get ttl(): number | undefined {
    const v = this.param("ttl");
    return v == null ? undefined : Number(v);
  }

  /** The `user=` parameter (e.g. "phone"), not the user part. */
  get userParam(): string | undefined {
    return this.param("user") ?? undefined;
  }

  get method(): string | undefined {
    return this.param("method") ?? undefined;
  }

  /** RFC 3261 §19.1.1: the element responsible for this resource is a loose router. */
  get lr(): boolean {
    return this.param("lr") !== undefined;
  }

  /** A copy with some fields replaced (unescaped, validated like the constructor). Absent keys are kept; a key present with `undefined` removes the component. */
  with(changes: Partial<SipUriInit>): SipUri {
    const w = this.wire;
    let host = this.host;
    let hostType = this.hostType;
    if (changes.host !== undefined && changes.host !== this.host) ({ host, hostType } = normalizeHost(changes.host));
    let scheme = this.scheme;
    if (changes.scheme !== undefined) {
      if (changes.scheme !== "sip" && changes.scheme !== "sips") throw new ParseError(`SIP URI: invalid scheme "${String(changes.scheme)}"`);
      scheme = changes.scheme;
    }
    const user = "user" in changes ? changes.user : this.user;
    const password = user === undefined ? undefined : "password" in changes ? changes.password : this.password;
    const port = "port" in changes ? checkPort(changes.port) : this.port;
    const p = "params" in changes ? paramsFromInit(changes.params) : { params: this.params, wire: w.params };
    const h = "headers" in changes ? headersFromInit(changes.headers) : { headers: this.headers, wire: w.headers };
    let passwordWire: string | undefined;
    if (password === undefined) passwordWire = undefined;
    else if (!("password" in changes) && w.password !== undefined) passwordWire = w.password; // unchanged
    else passwordWire = escapeUriPassword(password);
    const userWire = "user" in changes ? userWireOf(user) : w.user;
    const extras: SipUriExtras = { userWire, passwordWire, headers: h.headers, headerWire: h.wire };
    return new SipUri(null, scheme, user, password, host, port, hostType, extras, p.params, p.wire, "", -1, -1, 0);
  }

  /** A copy with parameter `name` set (replacing any existing one); `null` for a parameter without value, e.g. `lr`. */
  withParam(name: string, value: string | null = null): SipUri {
    const lower = name.toLowerCase();
    const entries: [string, string | null][] = [];
    let replaced = false;
    for (const [n, v] of this.params) {
      if (n === lower) {
        entries.push([n, value]);
        replaced = true;
      } else {
        entries.push([n, v]);
      }
    }
    if (!replaced) entries.push([lower, value]);
    return this.with({ params: entries });
  }

  /** A copy without the named parameters (e.g. a proxy dropping `maddr`, RFC 3261 §16.5). */
  withoutParams(...names: string[]): SipUri {
    const drop = names.map((n) => n.toLowerCase());
    const entries: [string, string | null][] = [];
    for (const entry of this.params) if (!drop.includes(entry[0])) entries.push(entry);
    return entries.length === this.params.size ? this : this.with({ params: entries });
  }

  /** Canonical text: lower-case scheme and parameter names, escapes only where the grammar needs them. */
  toString(): string {
    if (this.text !== undefined) return this.text;
    if (this.textStart >= 0) return (this.text = rangeText(this.src, this.textStart, this.srcEnd));
    const w = this.wire;
    let out = this.scheme + ":";
    if (w.user !== undefined) {
      out += w.user;
      if (w.password !== undefined) out += ":" + w.password;
      out += "@";
    }
    out += this.host;
    if (this.port !== undefined) out += ":" + this.port;
    if (w.params.length > 0) out += serializeUriParams(w.params);
    const hw = w.headers;
    for (let k = 0; k < hw.length; k += 2) out += (k === 0 ? "?" : "&") + hw[k]! + "=" + hw[k + 1]!;
    this.text = out;
    return out;
  }
}
