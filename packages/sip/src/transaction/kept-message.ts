import type { SipRequest, SipResponse } from "../message/message.js";
import { parseMessage } from "../message/parse.js";

/**
 * A message a transaction holds: parsed while the transaction works with it, only its bytes once
 * the transaction merely waits (Completed, Accepted, Confirmed: up to 64*T1 over UDP, RFC 3261
 * §17 and RFC 6026), parsed again if anyone asks. The parsed form (header table, typed headers,
 * the text they slice) costs several times the bytes, and a proxy at a thousand calls a second
 * keeps tens of thousands of waiting transactions.
 */
export class KeptMessage<M extends SipRequest | SipResponse> {
  private parsed: M | undefined;
  private raw: Buffer;

  constructor(message: M) {
    this.parsed = message;
    this.raw = message.bytes;
  }

  get message(): M {
    // The same bytes parsed before, so they parse again, into the same kind of message (a request
    // stays a request); no size limit applies to them twice.
    return (this.parsed ??= parseMessage(this.raw, { maxSize: Number.MAX_SAFE_INTEGER }) as unknown as M);
  }

  get bytes(): Buffer {
    return this.raw;
  }

  /** Keeps only the bytes, in a buffer of their own (see `unshared`). */
  shed(): void {
    if (this.parsed === undefined) return;
    this.parsed = undefined;
    this.raw = unshared(this.raw);
  }
}

/**
 * `bytes`, or a copy when they are a view into a larger buffer: Buffer.allocUnsafe and concat
 * hand out slices of shared 8 KiB pool slabs, and one small message kept for 64*T1 would keep its
 * whole slab (and the messages around it) alive.
 */
export function unshared(bytes: Buffer): Buffer {
  if (bytes.buffer.byteLength === bytes.length) return bytes;
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  return own;
}
