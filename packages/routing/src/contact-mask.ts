import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/*
 * Topology hiding toward carriers (edge README "Topology hiding"): a user's Contact URI (its
 * private address) is replaced by a URI on the edge's address carrying this token of the
 * original, `<sip:EDGE:PORT;transport=T;ct=TOKEN>`. When the carrier later sends an in-dialog
 * request to that remote target (RFC 3261 §12.1.2: the Contact becomes the Request-URI), any proxy
 * worker restores the original from the token alone (architecture invariant 1: no dialog state).
 *
 * Encryption, not a signature: the token must not reveal the address it hides (flow tokens are
 * sealed for the same reason, flow-token.ts). AES-256-GCM with a random 96-bit IV per token, so two tokens of
 * one URI differ and a changed byte fails authentication. The key is derived with HKDF from the
 * platform's shared secret (`auth.nonceSecret`) under its own label, so it is independent of the
 * nonce and flow-token keys derived from the same secret.
 *
 * Token: base64url(IV ‖ ciphertext ‖ GCM tag), one URI parameter value (RFC 3261 §25.1
 * unreserved characters).
 */

const KEY_LABEL = "sipfleet topology hiding";
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The URI parameter carrying the token. */
export const CONTACT_TOKEN_PARAM = "ct";
/** Longer tokens are not ours (a Contact URI is well below 1 KiB in practice). */
const MAX_TOKEN_CHARS = 2048;

export class ContactMasks {
  private readonly key: Buffer;

  /**
   * `secret`: the platform's shared secret (`config.auth.nonceSecret`); every edge and proxy
   * worker must hold the same. A string and its UTF-8 bytes are the same key.
   */
  constructor(secret: string | Uint8Array) {
    if (secret.length === 0) throw new Error("ContactMasks: the secret is empty");
    const ikm = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
    this.key = Buffer.from(hkdfSync("sha256", ikm, Buffer.alloc(0), KEY_LABEL, 32));
  }

  /** The token of a URI (its wire text). */
  encode(uri: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(uri, "latin1"), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
  }

  /** The URI a token hides; undefined for a token this key did not write (forged, changed, garbled). */
  decode(token: string): string | undefined {
    if (token.length === 0 || token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const raw = Buffer.from(token, "base64url");
    if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      return plain.toString("latin1");
    } catch {
      return undefined;
    }
  }

  /**
   * `sip:HOST:PORT[;transport=T];ct=TOKEN`: the masked URI of `uri` on an edge address (`hostPort`
   * as it goes in a URI, IPv6 in brackets; `transport` as the URI parameter, none for UDP).
   */
  maskedUri(uri: string, hostPort: string, transport: string | undefined): string {
    return `sip:${hostPort}${transport === undefined ? "" : `;transport=${transport}`};${CONTACT_TOKEN_PARAM}=${this.encode(uri)}`;
  }
}
