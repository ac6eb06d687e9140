import { SipError } from "../errors.js";
import { formatChallenge } from "../header/auth.js";
import { type DigestAlgorithm, requireAlgorithm } from "./algorithms.js";

/*
 * Server side, step one: the WWW-Authenticate (401) or Proxy-Authenticate (407) value
 * (RFC 3261 §22.1–§22.3, RFC 7616 §3.3).
 */

export type QopOption = "auth" | "auth-int";

export interface ChallengeOptions {
  realm: string;
  /** Fresh per challenge; see nonce.ts for nonces any replica can verify. */
  nonce: string;
  /** Echoed unchanged by the client (RFC 7616 §3.3). */
  opaque?: string | undefined;
  /** Default "MD5", the only algorithm every deployed SIP client implements. */
  algorithm?: string | DigestAlgorithm | undefined;
  /**
   * The qop-options offered. Default "auth". `null` or an empty list omits qop, which asks for
   * the RFC 2069 response form: only for clients that cannot do better: RFC 8760 makes qop
   * support required in SIP, and without qop there is no cnonce or nonce count.
   */
  qop?: QopOption | readonly QopOption[] | null | undefined;
  /** RFC 7616 §3.3: the previous credentials were valid but their nonce had expired. */
  stale?: boolean | undefined;
  /** RFC 7616 §3.3 protection space: URIs sharing these credentials. */
  domain?: string | readonly string[] | undefined;
  /** RFC 7616 §3.4.4: ask the client to send H(username:realm) instead of the username. */
  userhash?: boolean | undefined;
}

/** One WWW-Authenticate / Proxy-Authenticate header value. */
export function buildChallenge(options: ChallengeOptions): string {
  const alg = requireAlgorithm(options.algorithm ?? "MD5");
  if (options.nonce.length === 0) throw new SipError("a digest challenge needs a non-empty nonce");
  const qop = options.qop === null ? [] : typeof options.qop === "string" ? [options.qop] : (options.qop ?? ["auth"]);
  for (const q of qop) {
    if (q !== "auth" && q !== "auth-int") throw new SipError(`unsupported qop "${String(q)}"`);
  }
  return formatChallenge({
    scheme: "Digest",
    realm: options.realm,
    domain: options.domain,
    nonce: options.nonce,
    opaque: options.opaque,
    stale: options.stale,
    algorithm: alg.name,
    qop,
    userhash: options.userhash,
  });
}

/**
 * One header value per algorithm, for a server that accepts several. RFC 8760 §2.3: the UAS
 * adds one challenge per algorithm, in order of preference, most preferred first; RFC 8760
 * §2.4: the UAC answers the topmost one it supports. So pass e.g. ["SHA-256", "MD5"], and add
 * the values as separate header fields in the returned order.
 */
export function buildChallenges(
  options: Omit<ChallengeOptions, "algorithm">,
  algorithms: readonly (string | DigestAlgorithm)[],
): string[] {
  if (algorithms.length === 0) throw new SipError("at least one digest algorithm is needed");
  return algorithms.map((algorithm) => buildChallenge({ ...options, algorithm }));
}
