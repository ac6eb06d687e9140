import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { Flow } from "@sipfleet/proto";

/*
 * RFC 5626 §5.2 flow tokens: what the platform puts in a Record-Route URI (`ft` parameter) so that
 * an in-dialog request, arriving at any edge, can be sent over the very connection or NAT pinhole
 * the UA uses. The token is the protobuf `Flow` (edge id, connection id, transport, addresses) with
 * an HMAC of a key derived from the platform's shared secret: a UA cannot forge a token that
 * points a request at someone else's connection. A token may also carry no flow ("ours, route by
 * the URI"), for a dialog peer reached by its address rather than a registered flow.
 *
 * Sealed, not only signed (topology hiding): the Record-Route values travel to both ends of a
 * dialog, a carrier included, and a flow names a user's address, port and connection. So a token
 * is `0x01 ‖ IV ‖ AES-256-GCM(Flow) ‖ tag` (random 96-bit IV, key derived from the secret under
 * its own label): unreadable and unforgeable without the secret. Tokens of the earlier signed-only
 * form (`Flow ‖ HMAC`, written before an upgrade into dialogs still running) are still accepted;
 * the two cannot be confused: a sealed token is at least 29 bytes starting with 0x01, and a signed
 * one that long starts with a protobuf field tag, never 0x01.
 *
 * Base64url keeps it one URI parameter value (RFC 3261 §25.1 unreserved characters).
 */

const MAC_BYTES = 16;
const KEY_LABEL = "sipfleet flow-token v1";
const SEAL_LABEL = "sipfleet flow-token v2 sealed";
const SEALED = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface DecodedFlowToken {
  /** Undefined when the token names no flow. */
  readonly flow: Flow | undefined;
}

export class FlowTokens {
  private readonly key: Buffer;
  private readonly sealKey: Buffer;

  /**
   * `secret`: the platform's shared secret (the nonce secret, `config.auth.nonceSecret`); every
   * worker must use the same. A string and its UTF-8 bytes are the same key.
   */
  constructor(secret: string | Uint8Array) {
    if (secret.length === 0) throw new Error("FlowTokens: the secret is empty");
    this.key = createHmac("sha256", secret).update(KEY_LABEL).digest();
    this.sealKey = createHmac("sha256", secret).update(SEAL_LABEL).digest();
  }

  encode(flow: Flow | undefined): string {
    const payload = flow === undefined ? Buffer.alloc(0) : Buffer.from(Flow.encode(flow).finish());
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.sealKey, iv);
    const body = Buffer.concat([cipher.update(payload), cipher.final()]);
    return Buffer.concat([Buffer.of(SEALED), iv, body, cipher.getAuthTag()]).toString("base64url");
  }

  /** The flow a token names; undefined for a token the platform did not write (or garbled). */
  decode(token: string): DecodedFlowToken | undefined {
    if (token.length === 0 || token.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const raw = Buffer.from(token, "base64url");
    const payload = raw[0] === SEALED && raw.length >= 1 + IV_BYTES + TAG_BYTES ? this.unseal(raw) : this.verified(raw);
    if (payload === undefined) return undefined;
    if (payload.length === 0) return { flow: undefined };
    try {
      return { flow: Flow.decode(payload) };
    } catch {
      return undefined;
    }
  }

  private unseal(raw: Buffer): Buffer | undefined {
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.sealKey, raw.subarray(1, 1 + IV_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  /** The payload of a signed-only token (the earlier form), when its MAC is right. */
  private verified(raw: Buffer): Buffer | undefined {
    if (raw.length < MAC_BYTES) return undefined;
    const payload = raw.subarray(0, raw.length - MAC_BYTES);
    return timingSafeEqual(raw.subarray(raw.length - MAC_BYTES), this.mac(payload)) ? payload : undefined;
  }

  private mac(payload: Buffer): Buffer {
    return createHmac("sha256", this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
