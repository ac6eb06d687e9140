import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { SipError } from "../errors.js";

/*
 * Stateless server nonces: any replica holding the secret can tell a nonce it (or a sibling)
 * issued, and how old it is, without shared storage.
 *
 *   nonce = base64url( time ‖ salt ‖ HMAC-SHA256(secret, label ‖ time ‖ salt)[0..16) )
 *
 *   time  6 bytes, big-endian milliseconds since the epoch (good until the year 10889)
 *   salt  8 random bytes, so that two challenges issued in the same millisecond (on one
 *         replica or two) still get different nonces: replay protection keys on the nonce
 *   MAC   128 bits, the RFC 2104 §5 minimum for a truncated HMAC ("not less than half the
 *         length of the hash output")
 *
 * 30 bytes, so exactly 40 base64url characters with no padding. RFC 7616 §3.3 asks for a
 * nonce uniquely generated per 401 and suggests exactly this shape (a time stamp plus a
 * private hash); base64url keeps it inside the quoted-string without escapes.
 *
 * Replay within the lifetime of a nonce is not detected here: that needs the nonce count
 * (verifyCredentials returns it) and state.
 */

const TIME_BYTES = 6;
const SALT_BYTES = 8;
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + SALT_BYTES + MAC_BYTES;
const NONCE_CHARS = (NONCE_BYTES * 4) / 3;
const NONCE_SYNTAX = new RegExp(`^[A-Za-z0-9_-]{${NONCE_CHARS}}$`);
/** Domain separation: the same secret used for something else never yields a valid nonce MAC. */
const LABEL = Buffer.from("sipfleet digest nonce v1\0", "latin1");
const MIN_SECRET_BYTES = 16;
/** Replicas' clocks disagree a little; a nonce from slightly "in the future" is still ours. */
export const DEFAULT_NONCE_SKEW_MS = 5_000;

export type NonceStatus = "valid" | "stale" | "invalid";

/** A fresh nonce issued at `nowMs`. `secret` must be at least 16 bytes, shared by every replica. */
export function createNonce(secret: Uint8Array, nowMs: number): string {
  checkSecret(secret);
  checkTime(nowMs, "nowMs");
  const buf = Buffer.alloc(NONCE_BYTES);
  buf.writeUIntBE(nowMs, 0, TIME_BYTES);
  randomBytes(SALT_BYTES).copy(buf, TIME_BYTES);
  mac(secret, buf.subarray(0, TIME_BYTES + SALT_BYTES)).copy(buf, TIME_BYTES + SALT_BYTES);
  return buf.toString("base64url");
}

/**
 * "valid": issued with `secret`, at most `maxAgeMs` ago.
 * "stale": authentic but older: re-challenge with stale=true (RFC 7616 §3.3) if the
 *          credentials were otherwise right, so the client retries without asking its user.
 * "invalid": not ours (forged, garbled, wrong secret) or issued more than `maxSkewMs` in the
 *          future: a fresh challenge without stale.
 *
 * The MAC is checked before the age, so a forged nonce is never reported as merely stale.
 * Never throws on the nonce (it comes from the client); throws SipError on bad arguments.
 */
export function checkNonce(
  secret: Uint8Array,
  nonce: string,
  nowMs: number,
  maxAgeMs: number,
  maxSkewMs: number = DEFAULT_NONCE_SKEW_MS,
): NonceStatus {
  checkSecret(secret);
  checkTime(nowMs, "nowMs");
  checkTime(maxAgeMs, "maxAgeMs");
  checkTime(maxSkewMs, "maxSkewMs");
  // The syntax check also makes the decoding exact: Buffer.from(..., "base64url") silently
  // skips characters outside the alphabet, and 40 characters carry exactly 30 bytes.
  if (typeof nonce !== "string" || !NONCE_SYNTAX.test(nonce)) return "invalid";
  const buf = Buffer.from(nonce, "base64url");
  if (buf.length !== NONCE_BYTES) return "invalid";
  const expected = mac(secret, buf.subarray(0, TIME_BYTES + SALT_BYTES));
  if (!timingSafeEqual(expected, buf.subarray(TIME_BYTES + SALT_BYTES))) return "invalid";
  const issued = buf.readUIntBE(0, TIME_BYTES);
  if (issued > nowMs + maxSkewMs) return "invalid";
  return nowMs - issued > maxAgeMs ? "stale" : "valid";
}

/**
 * When a nonce was issued (ms since the epoch), or undefined if it does not have the right
 * shape. Not authenticated: call checkNonce first.
 */
export function nonceIssuedAt(nonce: string): number | undefined {
  if (!NONCE_SYNTAX.test(nonce)) return undefined;
  return Buffer.from(nonce, "base64url").readUIntBE(0, TIME_BYTES);
}

function mac(secret: Uint8Array, data: Uint8Array): Buffer {
  return createHmac("sha256", secret).update(LABEL).update(data).digest().subarray(0, MAC_BYTES);
}

function checkSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.length < MIN_SECRET_BYTES) {
    throw new SipError(`nonce secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
}

function checkTime(v: number, name: string): void {
  if (!Number.isSafeInteger(v) || v < 0 || v >= 2 ** (TIME_BYTES * 8)) {
    throw new SipError(`${name} must be a non-negative integer number of milliseconds, got ${v}`);
  }
}
