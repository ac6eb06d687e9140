import { ParseError, SipError } from "../errors.js";
import { fromWire } from "../message/wire-text.js";
import { excerpt, isToken, isWs, quote, scanQuoted, scanToken, skipWs, trimEnd, unquote } from "./lexer.js";

/*
 * WWW-Authenticate / Proxy-Authenticate (challenges) and Authorization / Proxy-Authorization
 * (credentials): RFC 3261 §25.1, as extended by RFC 7616 (HTTP Digest) and RFC 8760 (Digest in
 * SIP).
 *
 *   challenge       = ("Digest" LWS digest-cln *(COMMA digest-cln)) / other-challenge
 *   other-challenge = auth-scheme LWS auth-param *(COMMA auth-param)
 *   credentials     = ("Digest" LWS digest-response) / other-response
 *   auth-param      = auth-param-name EQUAL ( token / quoted-string )
 *
 * One header field value holds exactly one challenge or credentials: RFC 3261 §7.3.1 lists these
 * headers as the exception to "comma-separated values may be split into several header fields",
 * because the commas here separate parameters, not values. Several challenges travel as several
 * header fields.
 *
 * Digest is parsed strictly (duplicate parameters, a missing `=`, an unterminated quote are
 * errors) because its parameters feed a security decision. Other schemes are parsed leniently:
 * a proxy must be able to forward a Proxy-Authorization for a realm that is not its own (RFC
 * 3261 §22.3) and RFC 4475 §3.1.2.17 (regaut01) requires an unknown scheme not to fail the
 * message, so for them the parameters that parse are kept and the raw text always is.
 *
 * Like every typed header parser here, these take the value in wire form (the latin1 byte
 * string SipMessage holds) and decode quoted values from UTF-8 (RFC 3261 §25.1 qdtext allows
 * UTF8-NONASCII), so `username`, `realm` etc. are JS text, which the digest hashes back as UTF-8
 * (RFC 7616 §4): the bytes on the wire. For a value already decoded (`header()`), apply
 * `toWire` first; for ASCII the two forms are the same. The format functions return text, which
 * the message builders encode. Error offsets index the value passed in.
 */

/** What is common to a parsed challenge and parsed credentials. */
export abstract class AuthValue {
  /** The auth-scheme as written; compare it case-insensitively (RFC 3261 §25.1: token). */
  readonly scheme: string;
  /** auth-params by lower-cased name (names are case-insensitive, RFC 7235 §2.1), quotes removed. */
  readonly params: ReadonlyMap<string, string>;
  /** The header value as received. */
  readonly raw: string;
  /**
   * RFC 7235 §2.1 token68 form (e.g. `Bearer mF_9.B5f-4.1JqM`, RFC 8898), for schemes that
   * send one opaque blob instead of parameters. Never set for Digest.
   */
  readonly token68: string | undefined;
  /** True for the Digest scheme, the only one this library computes. */
  readonly isDigest: boolean;

  protected constructor(parsed: ParsedAuthValue) {
    this.scheme = parsed.scheme;
    this.params = parsed.params;
    this.raw = parsed.raw;
    this.token68 = parsed.token68;
    this.isDigest = parsed.isDigest;
  }

  protected param(name: string): string | undefined {
    return this.params.get(name);
  }
}

/** A parsed WWW-Authenticate or Proxy-Authenticate value. */
export class Challenge extends AuthValue {
  readonly realm: string | undefined;
  readonly nonce: string | undefined;
  readonly opaque: string | undefined;
  /** RFC 7616 §3.3: "If this is not present, it is assumed to be "MD5"". */
  readonly algorithm: string;
  /** The qop-options list (RFC 7616 §3.3: a quoted, comma-separated list); empty if absent. */
  readonly qop: readonly string[];
  /** RFC 7616 §3.3: stale=true means the nonce was old but the credentials were right. */
  readonly stale: boolean;
  /** Space-separated URIs of the protection space (RFC 7616 §3.3), as sent. */
  readonly domain: string | undefined;
  /** RFC 7616 §3.3: the server supports (and wants) a hashed username. */
  readonly userhash: boolean;
  /** RFC 7616 §3.3: only "UTF-8" is allowed. */
  readonly charset: string | undefined;

  constructor(parsed: ParsedAuthValue) {
    super(parsed);
    this.realm = this.param("realm");
    this.nonce = this.param("nonce");
    this.opaque = this.param("opaque");
    this.algorithm = this.param("algorithm") ?? "MD5";
    this.qop = splitQop(this.param("qop"));
    this.stale = isTrue(this.param("stale"));
    this.domain = this.param("domain");
    this.userhash = isTrue(this.param("userhash"));
    this.charset = this.param("charset");
  }
}

/** A parsed Authorization or Proxy-Authorization value. */
export class Credentials extends AuthValue {
  /** The username; decoded from `username*` (RFC 7616 §3.4.4, RFC 8187) when that form was sent. */
  readonly username: string | undefined;
  readonly realm: string | undefined;
  readonly nonce: string | undefined;
  /** The digest-uri, as sent: RFC 3261 §22.4 has the server compare it with the Request-URI. */
  readonly uri: string | undefined;
  readonly response: string | undefined;
  /** RFC 7616 §3.4: absent means "MD5". */
  readonly algorithm: string;
  readonly cnonce: string | undefined;
  readonly opaque: string | undefined;
  /** The single qop-value the client chose, or undefined (RFC 2069 compatibility). */
  readonly qop: string | undefined;
  /** nonce-count as sent (RFC 7616 §3.4: 8LHEX). The exact text is hashed, so it is not normalised. */
  readonly nc: string | undefined;
  /** RFC 7616 §3.4.4: the username parameter holds H(username ":" realm). */
  readonly userhash: boolean;

  constructor(parsed: ParsedAuthValue) {
    super(parsed);
    this.username = parsed.username ?? this.param("username");
    this.realm = this.param("realm");
    this.nonce = this.param("nonce");
    this.uri = this.param("uri");
    this.response = this.param("response");
    this.algorithm = this.param("algorithm") ?? "MD5";
    this.cnonce = this.param("cnonce");
    this.opaque = this.param("opaque");
    this.qop = this.param("qop");
    this.nc = this.param("nc");
    this.userhash = isTrue(this.param("userhash"));
  }
}

/** Parses one WWW-Authenticate / Proxy-Authenticate header value, in wire form (see the top of the file). */
export function parseChallenge(value: string): Challenge {
  return new Challenge(parseAuthValue(value, "challenge"));
}

/** Parses one Authorization / Proxy-Authorization header value, in wire form (see the top of the file). */
export function parseCredentials(value: string): Credentials {
  return new Credentials(parseAuthValue(value, "credentials"));
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** The raw parts a {@link Challenge} or {@link Credentials} is built from (see the parse functions). */
export interface ParsedAuthValue {
  scheme: string;
  isDigest: boolean;
  params: ReadonlyMap<string, string>;
  raw: string;
  token68: string | undefined;
  /** Decoded `username*`, credentials only. */
  username?: string | undefined;
}

/** RFC 7235 §2.1: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

function parseAuthValue(value: string, what: "challenge" | "credentials"): ParsedAuthValue {
  const s = value;
  const end = trimEnd(s, 0, s.length);
  let i = skipWs(s, 0, end);
  const schemeEnd = scanToken(s, i, end);
  if (schemeEnd === i) {
    throw new ParseError(
      i >= end
        ? `empty ${what}: missing authentication scheme`
        : `${what} does not start with an authentication scheme at "${excerpt(s, i)}"`,
      { offset: i },
    );
  }
  const scheme = s.slice(i, schemeEnd);
  // RFC 3261 §25.1: the scheme is followed by LWS, then the parameters.
  if (schemeEnd < end && !isWs(s.charCodeAt(schemeEnd))) {
    throw new ParseError(`expected white space after auth scheme "${scheme}" at "${excerpt(s, schemeEnd)}"`, {
      offset: schemeEnd,
    });
  }
  i = skipWs(s, schemeEnd, end);
  const isDigest = scheme.toLowerCase() === "digest";

  if (!isDigest) {
    const rest = s.slice(i, end);
    if (TOKEN68.test(rest)) return { scheme, isDigest, params: new Map(), raw: value, token68: rest };
    const params = new Map<string, string>();
    try {
      parseAuthParams(s, i, end, params);
    } catch (e) {
      // Unknown schemes keep whatever parsed (see the comment at the top of the file).
      if (!(e instanceof ParseError)) throw e;
    }
    return { scheme, isDigest, params, raw: value, token68: undefined };
  }

  const params = new Map<string, string>();
  parseAuthParams(s, i, end, params);
  const parsed: ParsedAuthValue = { scheme, isDigest, params, raw: value, token68: undefined };
  if (what === "credentials") {
    const ext = params.get("username*");
    if (ext !== undefined) {
      // RFC 7616 §3.4.4: "The username and username* parameters MUST NOT be used together."
      if (params.has("username")) {
        throw new ParseError(`parameters "username" and "username*" must not both be present`, { offset: i });
      }
      parsed.username = decodeExtValue(ext);
    }
  }
  return parsed;
}

/**
 * auth-param *(COMMA auth-param) from `i` to `end`, into `out`. Empty list elements (`a=1, ,b=2`)
 * are skipped, as RFC 7230 §7 asks of recipients of a #rule list.
 */
function parseAuthParams(s: string, i: number, end: number, out: Map<string, string>): void {
  while (i < end) {
    if (s.charCodeAt(i) === 44 /* , */) {
      i = skipWs(s, i + 1, end);
      continue;
    }
    const nameStart = i;
    const nameEnd = scanToken(s, i, end);
    if (nameEnd === i) {
      throw new ParseError(`expected an auth-param name at "${excerpt(s, i)}"`, { offset: i });
    }
    const name = s.slice(i, nameEnd).toLowerCase();
    i = skipWs(s, nameEnd, end);
    if (i >= end || s.charCodeAt(i) !== 61 /* = */) {
      throw new ParseError(`auth-param "${name}" has no value (expected '=' at "${excerpt(s, i)}")`, { offset: i });
    }
    i = skipWs(s, i + 1, end);
    let v: string;
    if (i < end && s.charCodeAt(i) === 34 /* " */) {
      let q: number;
      try {
        q = scanQuoted(s, i, end);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        throw new ParseError(`auth-param "${name}" has an unterminated quoted string`, { offset: i }, { cause: e });
      }
      v = fromWire(unquote(s, i, q));
      i = q;
    } else {
      const vStart = i;
      i = scanBareValue(s, i, end);
      if (i === vStart) {
        throw new ParseError(`auth-param "${name}" has an empty value at "${excerpt(s, i)}"`, { offset: i });
      }
      v = s.slice(vStart, i);
    }
    i = skipWs(s, i, end);
    if (i < end && s.charCodeAt(i) !== 44 /* , */) {
      throw new ParseError(`expected ',' after auth-param "${name}" at "${excerpt(s, i)}"`, { offset: i });
    }
    if (out.has(name)) {
      // RFC 7235 §2.1: "Each parameter name MUST only occur once per challenge." Two values for
      // a security parameter would let two parsers on the path act on different ones.
      throw new ParseError(`duplicate auth-param "${name}"`, { offset: nameStart });
    }
    out.set(name, v);
  }
}

/**
 * An unquoted value. The grammar says token, but servers in the field send base64 nonces and
 * URIs unquoted (`nonce=ab/c+d==`, `uri=sip:x@y`); accepting any visible ASCII except the list
 * and quote delimiters reads those without making any valid input ambiguous.
 */
function scanBareValue(s: string, i: number, end: number): number {
  // "=" only after the first char (base64 padding): `a==b` must not read as a="=b".
  if (i < end && s.charCodeAt(i) === 61 /* = */) return i;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 44 /* , */ || c === 34 /* " */ || c === 92 /* \ */) break;
    i++;
  }
  return i;
}

/** RFC 7616 §3.3 qop-options: quoted, comma-separated; servers also send a bare token. */
function splitQop(v: string | undefined): string[] {
  if (v === undefined) return [];
  const out: string[] = [];
  for (const part of v.split(",")) {
    const t = part.trim();
    if (t.length > 0) out.push(t);
  }
  return out;
}

/** ABNF string literals ("true") are case-insensitive (RFC 5234 §2.3). */
function isTrue(v: string | undefined): boolean {
  return v !== undefined && v.toLowerCase() === "true";
}

/** RFC 8187 §3.2 ext-value = charset "'" [ language ] "'" value-chars, UTF-8 or ISO-8859-1. */
function decodeExtValue(v: string): string {
  const m = /^([A-Za-z0-9!#$%&+\-^_`{}~]+)'[A-Za-z0-9-]*'((?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*)$/.exec(v);
  if (m === null) throw new ParseError(`auth-param "username*" is not an RFC 8187 ext-value`);
  const charset = (m[1] ?? "").toLowerCase();
  const bytes = Buffer.from(
    (m[2] ?? "").replace(/%([0-9A-Fa-f]{2})|./gs, (all, hex: string | undefined) =>
      hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : all,
    ),
    "latin1",
  );
  if (charset === "iso-8859-1") return bytes.toString("latin1");
  if (charset !== "utf-8") throw new ParseError(`auth-param "username*" uses unsupported charset "${m[1]}"`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    throw new ParseError(`auth-param "username*" is not valid UTF-8`, {}, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** Parameters of a challenge to format. A parsed {@link Challenge} is accepted as is. */
export interface ChallengeInit {
  /** Default "Digest". */
  scheme?: string;
  realm?: string | undefined;
  domain?: string | readonly string[] | undefined;
  nonce?: string | undefined;
  opaque?: string | undefined;
  stale?: boolean | undefined;
  algorithm?: string | undefined;
  /** One qop-value or the list; an empty list omits the parameter (RFC 2069 compatibility). */
  qop?: string | readonly string[] | undefined;
  charset?: string | undefined;
  userhash?: boolean | undefined;
  /** Further parameters, emitted after the known ones; names already emitted are skipped. */
  params?: Iterable<readonly [string, string]> | undefined;
  /** Sent instead of parameters (non-Digest schemes only). */
  token68?: string | undefined;
}

/** Parameters of credentials to format. A parsed {@link Credentials} is accepted as is. */
export interface CredentialsInit {
  /** Default "Digest". */
  scheme?: string;
  username?: string | undefined;
  realm?: string | undefined;
  nonce?: string | undefined;
  uri?: string | undefined;
  response?: string | undefined;
  algorithm?: string | undefined;
  cnonce?: string | undefined;
  opaque?: string | undefined;
  qop?: string | undefined;
  /** A number is written as 8 lower-case hex digits (RFC 7616 §3.4: nc-value = 8LHEX). */
  nc?: string | number | undefined;
  userhash?: boolean | undefined;
  params?: Iterable<readonly [string, string]> | undefined;
  token68?: string | undefined;
}

/**
 * Formats a challenge. RFC 7616 §3.3 (and the RFC 3261 §25.1 grammar) quote realm, domain,
 * nonce, opaque and the qop-options list, and leave stale, algorithm, charset and userhash bare.
 */
export function formatChallenge(c: ChallengeInit): string {
  const w = new ParamWriter(c.scheme ?? "Digest");
  w.quoted("realm", c.realm);
  w.quoted("domain", typeof c.domain === "string" || c.domain === undefined ? c.domain : c.domain.join(" "));
  w.quoted("nonce", c.nonce);
  w.quoted("opaque", c.opaque);
  if (c.stale === true) w.bare("stale", "true");
  w.bare("algorithm", c.algorithm);
  const qop = typeof c.qop === "string" ? [c.qop] : c.qop;
  if (qop !== undefined && qop.length > 0) {
    for (const q of qop) if (!isToken(q)) throw new SipError(`qop value "${q}" is not a token`);
    w.quoted("qop", qop.join(","));
  }
  w.bare("charset", c.charset);
  if (c.userhash === true) w.bare("userhash", "true");
  return w.finish(c.params, c.token68);
}

/**
 * Formats credentials. RFC 7616 §3.4 (and RFC 3261 §25.1) quote username, realm, nonce, uri,
 * response, cnonce and opaque, and leave algorithm, qop, nc and userhash bare: a quoted
 * `qop="auth"` in credentials is a classic interoperability bug.
 */
export function formatCredentials(c: CredentialsInit): string {
  const w = new ParamWriter(c.scheme ?? "Digest");
  w.quoted("username", c.username);
  w.quoted("realm", c.realm);
  w.quoted("nonce", c.nonce);
  w.quoted("uri", c.uri);
  w.quoted("response", c.response);
  w.bare("algorithm", c.algorithm);
  w.quoted("cnonce", c.cnonce);
  w.quoted("opaque", c.opaque);
  w.bare("qop", c.qop);
  w.bare("nc", typeof c.nc === "number" ? formatNc(c.nc) : c.nc);
  if (c.userhash === true) w.bare("userhash", "true");
  // A decoded username* is emitted as username above; sending both is forbidden (RFC 7616 §3.4.4).
  if (c.username !== undefined) w.skip("username*");
  return w.finish(c.params, c.token68);
}

/** RFC 7616 §3.4: nc-value = 8LHEX. */
export function formatNc(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new SipError(`nonce count ${n} is out of range`);
  return n.toString(16).padStart(8, "0");
}

class ParamWriter {
  private readonly parts: string[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly scheme: string) {
    if (!isToken(scheme)) throw new SipError(`auth scheme "${scheme}" is not a token`);
  }

  quoted(name: string, v: string | undefined): void {
    if (v === undefined) return;
    checkQuotable(name, v);
    this.add(name, quote(v));
  }

  bare(name: string, v: string | undefined): void {
    if (v === undefined) return;
    if (!isToken(v)) throw new SipError(`value of auth-param "${name}" must be a token, got "${v}"`);
    this.add(name, v);
  }

  skip(name: string): void {
    this.seen.add(name);
  }

  finish(extra: Iterable<readonly [string, string]> | undefined, token68: string | undefined): string {
    if (token68 !== undefined) {
      if (this.parts.length > 0 || this.scheme.toLowerCase() === "digest" || !TOKEN68.test(token68)) {
        throw new SipError(`cannot format token68 "${token68}" for scheme "${this.scheme}"`);
      }
      return `${this.scheme} ${token68}`;
    }
    if (extra !== undefined) {
      for (const [name, v] of extra) {
        if (this.seen.has(name.toLowerCase())) continue;
        if (!isToken(name)) throw new SipError(`auth-param name "${name}" is not a token`);
        if (isToken(v)) this.add(name, v);
        else this.quoted(name, v);
      }
    }
    return this.parts.length === 0 ? this.scheme : `${this.scheme} ${this.parts.join(", ")}`;
  }

  private add(name: string, text: string): void {
    const key = name.toLowerCase();
    if (this.seen.has(key)) throw new SipError(`auth-param "${name}" given twice`);
    this.seen.add(key);
    this.parts.push(`${name}=${text}`);
  }
}

/**
 * RFC 3261 §25.1 qdtext allows LWS but not bare CR or LF, and no other control characters:
 * refusing them here keeps a caller's string from splitting the header (header injection).
 */
function checkQuotable(name: string, v: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(v)) {
    throw new SipError(`value of auth-param "${name}" contains a control character`);
  }
}
