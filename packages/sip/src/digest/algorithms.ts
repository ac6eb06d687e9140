import { createHash, getHashes } from "node:crypto";
import { SipError } from "../errors.js";

/*
 * The Digest algorithms: RFC 7616 §3.2 / §6.1 (the IANA "HTTP Digest Hash Algorithms" registry),
 * adopted for SIP by RFC 8760 §2.2. Each has a "-sess" variant that changes only how HA1 is
 * derived (RFC 7616 §3.4.2).
 */

/** The hash function behind an algorithm. HA1 values of different families are not interchangeable. */
export type DigestHashFamily = "MD5" | "SHA-256" | "SHA-512-256";

export type DigestAlgorithmName =
  | "MD5"
  | "MD5-sess"
  | "SHA-256"
  | "SHA-256-sess"
  | "SHA-512-256"
  | "SHA-512-256-sess";

export interface DigestAlgorithm {
  /** Canonical spelling, as registered (RFC 7616 §6.1). */
  readonly name: DigestAlgorithmName;
  readonly family: DigestHashFamily;
  /** RFC 7616 §3.4.2: HA1 is re-derived per session from the nonce and cnonce. */
  readonly sess: boolean;
  /** Length of a digest in lower-case hex: 32 for MD5, 64 for the SHA-2 algorithms. */
  readonly hexLength: number;
}

const NODE_HASH: Record<DigestHashFamily, string> = {
  MD5: "md5",
  "SHA-256": "sha256",
  "SHA-512-256": "sha512-256",
};

const HEX_LENGTH: Record<DigestHashFamily, number> = { MD5: 32, "SHA-256": 64, "SHA-512-256": 64 };

/**
 * SHA-512/256 (RFC 7616 §3.2: the SHA-512/256 of FIPS 180-4, not a truncated SHA-512) depends on
 * the OpenSSL build Node was linked against; without it the algorithm is simply not offered.
 */
const HAS_SHA512_256 = getHashes().includes("sha512-256");

const ALGORITHMS: readonly DigestAlgorithm[] = (() => {
  const families: DigestHashFamily[] = ["MD5", "SHA-256"];
  if (HAS_SHA512_256) families.push("SHA-512-256");
  const out: DigestAlgorithm[] = [];
  for (const family of families) {
    for (const sess of [false, true]) {
      out.push(
        Object.freeze({
          name: (sess ? `${family}-sess` : family) as DigestAlgorithmName,
          family,
          sess,
          hexLength: HEX_LENGTH[family],
        }),
      );
    }
  }
  return Object.freeze(out);
})();

const BY_LOWER_NAME = new Map(ALGORITHMS.map((a) => [a.name.toLowerCase(), a]));

/** Every algorithm this runtime supports, strongest family first (RFC 8760 §2.3 preference order). */
export const SUPPORTED_ALGORITHMS: readonly DigestAlgorithmName[] = Object.freeze(
  [...ALGORITHMS].sort((a, b) => familyRank(b.family) - familyRank(a.family)).map((a) => a.name),
);

function familyRank(f: DigestHashFamily): number {
  return f === "SHA-512-256" ? 3 : f === "SHA-256" ? 2 : 1;
}

/**
 * The algorithm named `name`, or undefined if it is unknown or not supported here.
 * Matching is case-insensitive: the registry values are ABNF literals (RFC 5234 §2.3), and
 * deployed servers send "md5" as well as "MD5".
 */
export function findAlgorithm(name: string): DigestAlgorithm | undefined {
  return BY_LOWER_NAME.get(name.toLowerCase());
}

/** Like {@link findAlgorithm} but for values the caller chose: unknown names are a programming error. */
export function requireAlgorithm(name: string | DigestAlgorithm): DigestAlgorithm {
  if (typeof name !== "string") return name;
  const a = findAlgorithm(name);
  if (a === undefined) throw new SipError(`unsupported digest algorithm "${name}"`);
  return a;
}

/**
 * H(data) in lower-case hex (RFC 7616 §3.4: "the hexadecimal representation ... using
 * lowercase"). Strings are hashed as UTF-8, the charset RFC 7616 §4 defines and SIP uses for
 * every header.
 */
export function hashHex(family: DigestHashFamily, data: string | Uint8Array): string {
  const h = createHash(NODE_HASH[family]);
  if (typeof data === "string") h.update(data, "utf8");
  else h.update(data);
  return h.digest("hex");
}

/** The family an algorithm name belongs to, or undefined if unsupported. */
export function familyOf(name: string): DigestHashFamily | undefined {
  return findAlgorithm(name)?.family;
}
