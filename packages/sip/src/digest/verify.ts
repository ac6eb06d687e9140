import { timingSafeEqual } from "node:crypto";
import { ParseError } from "../errors.js";
import { type Credentials, parseCredentials } from "../header/auth.js";
import { type DigestAlgorithmName, type DigestHashFamily, findAlgorithm } from "./algorithms.js";
import { computeDigestResponse } from "./response.js";

/*
 * Server side, step two: checking an Authorization / Proxy-Authorization value against the
 * stored HA1 (RFC 3261 §22.4 with RFC 7616 §3.4 and RFC 8760). The server never sees the
 * password. Everything here comes from the client, so nothing throws on bad input: the result
 * says why it failed, for logs and metrics, and the caller answers 401/407 (or 400).
 *
 * Not checked here, because it needs state or policy the caller owns:
 *  - the nonce: checkNonce() in nonce.ts tells fresh from stale from forged. RFC 7616 §3.3 sets
 *    stale=true only when the response was right for the old nonce, so call this even for a
 *    stale nonce and send stale=true only if it returns ok;
 *  - replay: the nonce count is returned as a number; accept each (nonce, nc) once, with nc
 *    increasing (RFC 7616 §3.4: the server detects replays by watching the nc-value);
 *  - which user: look the HA1s up by `credentials.username` (a hash when userhash is true).
 */

/**
 * The HA1s held for the user, by hash family. A user provisioned for both MD5 and SHA-256 has
 * two, and the credentials' algorithm picks one. Pass only the families the challenge offered:
 * a SHA-256 challenge answered with algorithm=MD5 is otherwise accepted if an MD5 HA1 is here.
 */
export type StoredHa1 = Readonly<Partial<Record<DigestHashFamily, string>>>;

export interface VerifyOptions {
  /** The parsed header value, or its raw text (a malformed text fails with reason "malformed"). */
  credentials: Credentials | string;
  /** The request's method (RFC 3261 §22.4 A2). For ACK and CANCEL, RFC 3261 §22.1 reuses INVITE's credentials. */
  method: string;
  ha1: StoredHa1;
  /** The realm this server challenges for; credentials for another realm are not ours. */
  realm: string;
  /** The message body, needed only for qop "auth-int". */
  body?: string | Uint8Array | undefined;
  /**
   * The qop-options the challenge offered. Default ["auth"], as buildChallenge() sends. The
   * response must use one of them; an empty list means the challenge had no qop and only the
   * RFC 2069 form is accepted. Either way a client cannot downgrade to a weaker form.
   */
  qop?: readonly string[] | undefined;
  /** The algorithms the challenges offered; if given, the credentials' algorithm must be one. */
  algorithms?: readonly string[] | undefined;
  /** If given, the opaque value the challenge carried, which the client must echo (RFC 7616 §3.3). */
  opaque?: string | undefined;
  /**
   * If given, the Request-URI as it must appear in the uri parameter (exact match). RFC 7616
   * §3.4.6: the server must check that the uri parameter designates the requested resource,
   * else the credentials could be replayed against another URI. SIP URI equivalence
   * (RFC 3261 §19.1.4) is looser than string equality: compare with the URI module instead if
   * proxies on the path may rewrite the Request-URI.
   */
  requestUri?: string | undefined;
}

export type DigestFailureReason =
  /** The header value does not parse. */
  | "malformed"
  /** Not the Digest scheme. */
  | "not-digest"
  /** username, realm, nonce, uri or response is missing, or cnonce/nc with a qop or -sess. */
  | "missing-param"
  | "wrong-realm"
  /** An algorithm this runtime does not implement, or one for which no HA1 is stored. */
  | "unsupported-algorithm"
  | "algorithm-not-offered"
  | "qop-not-offered"
  /** nc is not 8 hex digits, or is zero. */
  | "bad-nc"
  | "uri-mismatch"
  | "opaque-mismatch"
  /** The response does not match: wrong password, or any hashed field altered. */
  | "bad-response";

export type DigestVerification =
  | {
      readonly ok: true;
      /** As sent: the user name, or H(username:realm) when `userhash` is true. */
      readonly username: string;
      readonly userhash: boolean;
      readonly algorithm: DigestAlgorithmName;
      readonly nonce: string;
      readonly cnonce: string | undefined;
      /** The nonce count as a number, for replay protection; undefined without qop. */
      readonly nc: number | undefined;
      readonly qop: "auth" | "auth-int" | undefined;
      readonly uri: string;
    }
  | { readonly ok: false; readonly reason: DigestFailureReason; readonly detail: string };

function fail(reason: DigestFailureReason, detail: string): DigestVerification {
  return { ok: false, reason, detail };
}

const HEX = /^[0-9a-fA-F]+$/;
/** RFC 7616 §3.4: nc-value = 8LHEX. Upper-case is accepted: the text is hashed as sent anyway. */
const NC = /^[0-9a-fA-F]{8}$/;

export function verifyCredentials(options: VerifyOptions): DigestVerification {
  let c: Credentials;
  if (typeof options.credentials === "string") {
    try {
      c = parseCredentials(options.credentials);
    } catch (e) {
      if (e instanceof ParseError) return fail("malformed", e.message);
      throw e;
    }
  } else {
    c = options.credentials;
  }

  if (!c.isDigest) return fail("not-digest", `scheme "${c.scheme}" is not Digest`);

  // RFC 7616 §3.4: username, realm, nonce, uri and response are required.
  const { username, realm, nonce, uri, response } = c;
  if (username === undefined) return fail("missing-param", "username is missing");
  if (realm === undefined) return fail("missing-param", "realm is missing");
  if (nonce === undefined) return fail("missing-param", "nonce is missing");
  if (uri === undefined) return fail("missing-param", "uri is missing");
  if (response === undefined) return fail("missing-param", "response is missing");

  // Realms are compared as strings: RFC 7616 §3.3 realm is an opaque quoted-string.
  if (realm !== options.realm) return fail("wrong-realm", `realm "${realm}" is not "${options.realm}"`);

  const alg = findAlgorithm(c.algorithm);
  if (alg === undefined) return fail("unsupported-algorithm", `algorithm "${c.algorithm}" is not supported`);
  const offeredAlg = options.algorithms;
  if (offeredAlg !== undefined && !offeredAlg.some((a) => a.toLowerCase() === alg.name.toLowerCase())) {
    return fail("algorithm-not-offered", `algorithm ${alg.name} was not offered`);
  }
  const ha1 = options.ha1[alg.family];
  if (ha1 === undefined) return fail("unsupported-algorithm", `no ${alg.family} HA1 is stored for this user`);

  // RFC 7616 §3.4: the qop-value must be one the server offered. Without qop the RFC 2069
  // form is used, which the server accepts only if it offered no qop at all.
  const offered = options.qop ?? ["auth"];
  const qopRaw = c.qop;
  let qop: "auth" | "auth-int" | undefined;
  if (qopRaw === undefined) {
    if (offered.length > 0) return fail("qop-not-offered", "no qop in the credentials, but the challenge required one");
  } else {
    const lower = qopRaw.toLowerCase();
    if (lower !== "auth" && lower !== "auth-int") return fail("qop-not-offered", `qop "${qopRaw}" is not supported`);
    if (!offered.some((o) => o.toLowerCase() === lower)) {
      return fail("qop-not-offered", `qop "${qopRaw}" was not offered`);
    }
    qop = lower;
  }

  const { cnonce } = c;
  let nc: number | undefined;
  if (qop !== undefined) {
    // RFC 7616 §3.4: cnonce and nc "MUST" be sent with a qop.
    if (cnonce === undefined) return fail("missing-param", "cnonce is missing");
    if (c.nc === undefined) return fail("missing-param", "nc is missing");
    if (!NC.test(c.nc)) return fail("bad-nc", `nc "${c.nc}" is not 8 hex digits`);
    nc = parseInt(c.nc, 16);
    if (nc === 0) return fail("bad-nc", "nc is zero; the first request with a nonce has nc=00000001");
  } else if (alg.sess && cnonce === undefined) {
    return fail("missing-param", `cnonce is missing (required by ${alg.name})`);
  }

  if (options.opaque !== undefined && c.opaque !== options.opaque) {
    return fail("opaque-mismatch", "opaque does not echo the challenge's");
  }
  if (options.requestUri !== undefined && uri !== options.requestUri) {
    return fail("uri-mismatch", `uri "${uri}" is not the Request-URI`);
  }

  if (response.length !== alg.hexLength || !HEX.test(response)) {
    return fail("bad-response", `response is not ${alg.hexLength} hex digits`);
  }
  // The stored HA1 is the caller's: a malformed one throws (a server bug, not a client failure).
  const expected = computeDigestResponse({
    ha1,
    method: options.method,
    uri,
    nonce,
    cnonce,
    nc: c.nc,
    qop: qopRaw,
    algorithm: alg,
    body: options.body,
  });
  // Constant time, so the comparison leaks nothing about how many leading digits were right.
  // The lengths are equal (checked above) as timingSafeEqual requires; they are public anyway.
  const a = Buffer.from(expected, "latin1");
  const b = Buffer.from(response.toLowerCase(), "latin1");
  if (!timingSafeEqual(a, b)) return fail("bad-response", "response does not match");

  return {
    ok: true,
    username,
    userhash: c.userhash,
    algorithm: alg.name,
    nonce,
    cnonce,
    nc,
    qop,
    uri,
  };
}
