import { randomBytes } from "node:crypto";
import { ParseError, SipError } from "../errors.js";
import { type Challenge, formatCredentials, formatNc, parseChallenge } from "../header/auth.js";
import { findAlgorithm, requireAlgorithm } from "./algorithms.js";
import { computeHa1, computeUserhash } from "./ha1.js";
import { computeDigestResponse } from "./response.js";
import type { StoredHa1 } from "./verify.js";

/*
 * Client side: answering a 401/407 with Authorization / Proxy-Authorization (RFC 3261 §22.2,
 * §22.3; RFC 7616 §3.4; RFC 8760 §2.4). Used by UACs and by trunks registering upstream.
 */

export interface AuthorizationOptions {
  /** The challenge being answered, parsed or as the raw header value. */
  challenge: Challenge | string;
  username: string;
  /** The password, or else `ha1`. */
  password?: string | undefined;
  /**
   * A precomputed HA1 instead of the password: either by family, from which the challenge's
   * algorithm picks, or one hex string that must be for the challenge's family.
   */
  ha1?: string | StoredHa1 | undefined;
  /** The method of the request being sent (RFC 3261 §22.4). */
  method: string;
  /** The Request-URI of the request being sent; RFC 3261 §22.4 puts it in the uri parameter. */
  uri: string;
  /** Client nonce; default 128 random bits. Fixed values are for tests only. */
  cnonce?: string | undefined;
  /**
   * How many requests this client has sent with this nonce, this one included (RFC 7616 §3.4):
   * 1 for the first answer to a fresh challenge. Default 1.
   */
  nc?: number | undefined;
  /** The body of the request being sent, for qop "auth-int". */
  body?: string | Uint8Array | undefined;
  /** The qop to use if offered. Default: "auth" if offered, else "auth-int". */
  qop?: "auth" | "auth-int" | undefined;
}

/** 128 random bits, base64url: enough that a server never sees the same cnonce twice. */
export function createCnonce(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * The Authorization (or Proxy-Authorization) header value answering `challenge`. Throws
 * ParseError if the challenge lacks what a Digest answer needs, SipError if it asks for an
 * algorithm or qop this library does not implement (use selectChallenge to pick one it does).
 */
export function buildAuthorization(options: AuthorizationOptions): string {
  const ch = typeof options.challenge === "string" ? parseChallenge(options.challenge) : options.challenge;
  if (!ch.isDigest) throw new SipError(`cannot answer a "${ch.scheme}" challenge`);
  const { realm, nonce } = ch;
  if (realm === undefined) throw new ParseError(`digest challenge has no realm`);
  if (nonce === undefined) throw new ParseError(`digest challenge has no nonce`);
  const alg = requireAlgorithm(ch.algorithm);

  const qop = chooseQop(ch.qop, options.qop);
  const cnonce = options.cnonce ?? createCnonce();
  const nc = formatNc(options.nc ?? 1);
  // RFC 2069 form: neither cnonce nor nc, except that "-sess" needs a cnonce to derive HA1'.
  const sendCnonce = qop !== undefined || alg.sess;

  let ha1: string;
  if (options.password !== undefined) {
    if (options.ha1 !== undefined) throw new SipError("give either a password or an HA1, not both");
    ha1 = computeHa1(options.username, realm, options.password, alg);
  } else if (typeof options.ha1 === "string") {
    ha1 = options.ha1;
  } else if (options.ha1 !== undefined) {
    const stored = options.ha1[alg.family];
    if (stored === undefined) throw new SipError(`no ${alg.family} HA1 given for algorithm ${alg.name}`);
    ha1 = stored;
  } else {
    throw new SipError("a password or an HA1 is needed");
  }

  const response = computeDigestResponse({
    ha1,
    method: options.method,
    uri: options.uri,
    nonce,
    cnonce: sendCnonce ? cnonce : undefined,
    nc: qop !== undefined ? nc : undefined,
    qop,
    algorithm: alg,
    body: options.body,
  });

  return formatCredentials({
    scheme: "Digest",
    // RFC 7616 §3.4.4: with userhash=true the username parameter carries H(username:realm).
    username: ch.userhash ? computeUserhash(options.username, realm, alg) : options.username,
    realm,
    nonce,
    uri: options.uri,
    response,
    algorithm: alg.name,
    cnonce: sendCnonce ? cnonce : undefined,
    // RFC 7616 §3.4: opaque is returned unchanged when the challenge had one.
    opaque: ch.opaque,
    qop,
    nc: qop !== undefined ? nc : undefined,
    userhash: ch.userhash ? true : undefined,
  });
}

function chooseQop(
  offered: readonly string[],
  wanted: "auth" | "auth-int" | undefined,
): "auth" | "auth-int" | undefined {
  // RFC 7616 §3.3 / RFC 2617 §3.2.1: no qop-options means the RFC 2069 form.
  if (offered.length === 0) return undefined;
  const has = (q: string): boolean => offered.some((o) => o.toLowerCase() === q);
  if (wanted !== undefined) {
    if (!has(wanted)) throw new SipError(`qop "${wanted}" was not offered (offered: ${offered.join(",")})`);
    return wanted;
  }
  if (has("auth")) return "auth";
  if (has("auth-int")) return "auth-int";
  throw new SipError(`no supported qop offered (offered: ${offered.join(",")})`);
}

/**
 * The challenge to answer among those of one response, in header order. RFC 8760 §2.4: the
 * UAC uses the topmost challenge whose algorithm it supports (the UAS put them in its order
 * of preference, RFC 8760 §2.3). Challenges that are not Digest, lack a realm or nonce, offer
 * only unknown qop values, do not parse, or (if `realm` is given) are for another realm are
 * passed over. Undefined if none can be answered.
 */
export function selectChallenge(
  challenges: readonly (Challenge | string)[],
  realm?: string,
): Challenge | undefined {
  for (const item of challenges) {
    let ch: Challenge;
    try {
      ch = typeof item === "string" ? parseChallenge(item) : item;
    } catch (e) {
      if (e instanceof ParseError) continue;
      throw e;
    }
    if (!ch.isDigest || ch.realm === undefined || ch.nonce === undefined) continue;
    if (realm !== undefined && ch.realm !== realm) continue;
    if (findAlgorithm(ch.algorithm) === undefined) continue;
    const answerable = (q: string): boolean => q.toLowerCase() === "auth" || q.toLowerCase() === "auth-int";
    if (ch.qop.length > 0 && !ch.qop.some(answerable)) continue;
    return ch;
  }
  return undefined;
}
