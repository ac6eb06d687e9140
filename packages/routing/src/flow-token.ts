import { createHmac, timingSafeEqual } from "node:crypto";
import { Flow } from "@sipfleet/proto";

/*
 * RFC 5626 §5.2 flow tokens: what the platform puts in a Record-Route URI (`ft` parameter) so that
 * an in-dialog request, arriving at any edge, can be sent over the very connection or NAT pinhole
 * the UA uses. The token is the protobuf `Flow` (edge id, connection id, transport, addresses) with
 * an HMAC of a key derived from the platform's shared secret: a UA cannot forge a token that
 * points a request at someone else's connection. A token may also carry no flow ("ours, route by
 * the URI"), for a dialog peer reached by its address rather than a registered flow.
 *
 * Base64url keeps it one URI parameter value (RFC 3261 §25.1 unreserved characters).
 */

const MAC_BYTES = 16;
const KEY_LABEL = "sipfleet flow-token v1";

export interface DecodedFlowToken {
  /** Undefined when the token names no flow. */
  readonly flow: Flow | undefined;
}

export class FlowTokens {
  private readonly key: Buffer;

  /**
   * `secret`: the platform's shared secret (the nonce secret, `config.auth.nonceSecret`); every
   * worker must use the same. A string and its UTF-8 bytes are the same key.
   */
  constructor(secret: string | Uint8Array) {
    if (secret.length === 0) throw new Error("FlowTokens: the secret is empty");
    this.key = createHmac("sha256", secret).update(KEY_LABEL).digest();
  }

  encode(flow: Flow | undefined): string {
    const payload = flow === undefined ? Buffer.alloc(0) : Buffer.from(Flow.encode(flow).finish());
    return Buffer.concat([payload, this.mac(payload)]).toString("base64url");
  }

  /** The flow a token names; undefined for a token the platform did not write (or garbled). */
  decode(token: string): DecodedFlowToken | undefined {
    if (token.length === 0 || token.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const raw = Buffer.from(token, "base64url");
    if (raw.length < MAC_BYTES) return undefined;
    const payload = raw.subarray(0, raw.length - MAC_BYTES);
    if (!timingSafeEqual(raw.subarray(raw.length - MAC_BYTES), this.mac(payload))) return undefined;
    if (payload.length === 0) return { flow: undefined };
    try {
      return { flow: Flow.decode(payload) };
    } catch {
      return undefined;
    }
  }

  private mac(payload: Buffer): Buffer {
    return createHmac("sha256", this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
