/*
 * Digest authentication for SIP: RFC 7616 as applied to SIP by RFC 8760, compatible with the
 * RFC 2617 / RFC 2069 forms RFC 3261 §22 was written against.
 *
 * Server (registrar, proxy) recipe:
 *   1. No credentials for our realm: 401/407 with buildChallenge({ realm, nonce: createNonce(...) })
 *      (or buildChallenges(..., ["SHA-256", "MD5"]), one header field per value).
 *   2. Credentials: status = checkNonce(secret, creds.nonce, now, maxAge).
 *        "invalid" → fresh challenge.
 *        otherwise r = verifyCredentials({ credentials, method, ha1: { MD5: …, "SHA-256": … }, realm })
 *        r.ok && "stale" → fresh challenge with stale: true (RFC 7616 §3.3)
 *        r.ok && "valid" → accept once (nonce, r.nc) passes the replay check
 *        !r.ok → fresh challenge (or 403 after repeated failures)
 *
 * Client (UAC, trunk) recipe: selectChallenge(challenges) then buildAuthorization(...), and
 * resend the request with the value in Authorization (401) or Proxy-Authorization (407).
 */

export {
  type DigestAlgorithm,
  type DigestAlgorithmName,
  type DigestHashFamily,
  SUPPORTED_ALGORITHMS,
  familyOf,
  findAlgorithm,
  hashHex,
  requireAlgorithm,
} from "./algorithms.js";
export { computeHa1, computeSessionHa1, computeUserhash } from "./ha1.js";
export { type DigestResponseInput, computeDigestResponse } from "./response.js";
export { type ChallengeOptions, type QopOption, buildChallenge, buildChallenges } from "./challenge.js";
export {
  type DigestFailureReason,
  type DigestVerification,
  type StoredHa1,
  type VerifyOptions,
  verifyCredentials,
} from "./verify.js";
export { type AuthorizationOptions, buildAuthorization, createCnonce, selectChallenge } from "./authorization.js";
export { DEFAULT_NONCE_SKEW_MS, type NonceStatus, checkNonce, createNonce, nonceIssuedAt } from "./nonce.js";
