import { SipError } from "../errors.js";
import { type DigestAlgorithm, type DigestHashFamily, hashHex, requireAlgorithm } from "./algorithms.js";

/*
 * HA1 = H(username ":" realm ":" passwd)        (RFC 7616 §3.4.2, RFC 3261 §22.4 via RFC 2617)
 *
 * This is what a server stores instead of the password. One value per hash family: a user who
 * may authenticate with MD5 and with SHA-256 has two stored HA1s. The "-sess" algorithms use
 * the same stored HA1; their per-session HA1' is derived at response time (see response.ts).
 */

/**
 * The stored HA1 for `algorithm`'s family. For a "-sess" algorithm this is the base HA1, from
 * which each session's HA1' = H(HA1:nonce:cnonce) is derived.
 */
export function computeHa1(
  username: string,
  realm: string,
  password: string,
  algorithm: string | DigestAlgorithm | DigestHashFamily = "MD5",
): string {
  const { family } = requireAlgorithm(algorithm);
  return hashHex(family, `${username}:${realm}:${password}`);
}

/**
 * RFC 7616 §3.4.2: for the "-sess" algorithms
 *   HA1' = H( H(username ":" realm ":" passwd) ":" nonce-prime ":" cnonce-prime )
 * which lets a third party be handed HA1' for one session without learning the stored HA1.
 */
export function computeSessionHa1(
  ha1: string,
  nonce: string,
  cnonce: string,
  algorithm: string | DigestAlgorithm | DigestHashFamily,
): string {
  const alg = requireAlgorithm(algorithm);
  return hashHex(alg.family, `${normalizeHa1(ha1, alg)}:${nonce}:${cnonce}`);
}

/** RFC 7616 §3.4.4: the hashed username sent when userhash=true, H(username ":" realm). */
export function computeUserhash(
  username: string,
  realm: string,
  algorithm: string | DigestAlgorithm | DigestHashFamily,
): string {
  return hashHex(requireAlgorithm(algorithm).family, `${username}:${realm}`);
}

/**
 * Checks a caller-supplied HA1 against the algorithm's digest size and lower-cases it (the
 * hex is hashed as text, so "ABC…" and "abc…" would give different responses). A 32-digit
 * HA1 used with SHA-256 means the caller picked the wrong stored value: that is a bug, not a
 * client failure, so it throws.
 */
export function normalizeHa1(ha1: string, algorithm: DigestAlgorithm): string {
  if (ha1.length !== algorithm.hexLength || !/^[0-9a-fA-F]+$/.test(ha1)) {
    throw new SipError(
      `HA1 for ${algorithm.family} must be ${algorithm.hexLength} hex digits, got ${ha1.length} characters`,
    );
  }
  return ha1.toLowerCase();
}
