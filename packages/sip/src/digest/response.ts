import { SipError } from "../errors.js";
import { formatNc } from "../header/auth.js";
import { type DigestAlgorithm, hashHex, requireAlgorithm } from "./algorithms.js";
import { computeSessionHa1, normalizeHa1 } from "./ha1.js";

/*
 * The request-digest, RFC 7616 §3.4.1 (RFC 2617 §3.2.2.1, referenced by RFC 3261 §22.4):
 *
 *   qop present:  response = KD( H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2) )
 *   qop absent:   response = KD( H(A1), nonce ":" H(A2) )          (RFC 2069 compatibility)
 *   KD(secret, data) = H( secret ":" data )
 *
 *   A2 = Method ":" request-uri                       qop "auth" or absent
 *   A2 = Method ":" request-uri ":" H(entity-body)    qop "auth-int"
 */

export interface DigestResponseInput {
  /** The stored HA1 (hex) of the algorithm's family; for "-sess" the base HA1, not HA1'. */
  ha1: string;
  /** The SIP method of the request (RFC 3261 §22.4: Method is the request's method). */
  method: string;
  /** The digest-uri exactly as sent in the credentials' uri parameter. */
  uri: string;
  nonce: string;
  /** Required with a qop and with the "-sess" algorithms. */
  cnonce?: string | undefined;
  /** Required with a qop. A string is hashed exactly as sent; a number is written as 8 hex digits. */
  nc?: string | number | undefined;
  /** "auth", "auth-int", or absent for RFC 2069 compatibility. Hashed as given. */
  qop?: string | undefined;
  algorithm: string | DigestAlgorithm;
  /** The message body, for qop "auth-int". Absent means empty: H("") is still hashed. */
  body?: string | Uint8Array | undefined;
}

/** The request-digest in lower-case hex. Throws SipError on inputs that cannot form a digest. */
export function computeDigestResponse(input: DigestResponseInput): string {
  const alg = requireAlgorithm(input.algorithm);
  const H = (data: string | Uint8Array): string => hashHex(alg.family, data);

  let ha1 = normalizeHa1(input.ha1, alg);
  if (alg.sess) {
    if (input.cnonce === undefined) throw new SipError(`algorithm ${alg.name} needs a cnonce`);
    ha1 = computeSessionHa1(ha1, input.nonce, input.cnonce, alg);
  }

  const qop = input.qop === undefined || input.qop === "" ? undefined : input.qop;
  const qopLower = qop?.toLowerCase();
  let a2 = `${input.method}:${input.uri}`;
  if (qopLower === "auth-int") a2 += `:${H(input.body ?? "")}`;
  else if (qopLower !== undefined && qopLower !== "auth") throw new SipError(`unsupported qop "${qop}"`);
  const ha2 = H(a2);

  if (qop === undefined) return H(`${ha1}:${input.nonce}:${ha2}`);

  if (input.cnonce === undefined) throw new SipError(`qop "${qop}" needs a cnonce`);
  if (input.nc === undefined) throw new SipError(`qop "${qop}" needs a nonce count`);
  const nc = typeof input.nc === "number" ? formatNc(input.nc) : input.nc;
  return H(`${ha1}:${input.nonce}:${nc}:${input.cnonce}:${qop}:${ha2}`);
}
