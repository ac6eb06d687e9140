import { MessageTooLargeError } from "../errors.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { DEFAULT_PARSE_OPTIONS, parseMessage } from "../message/parse.js";
import { isKeepAlive } from "./keep-alive.js";

export interface DatagramOptions {
  /** Largest datagram accepted, in bytes. */
  maxSize: number;
  /** Header lines indexed; more make the message defective (see `ParseOptions.maxHeaderLines`). */
  maxHeaderLines: number;
}

export const DEFAULT_DATAGRAM_OPTIONS: DatagramOptions = { maxSize: 65535, maxHeaderLines: DEFAULT_PARSE_OPTIONS.maxHeaderLines };

/** What one received datagram turned out to be. */
export type DatagramFrame =
  | { readonly kind: "message"; readonly message: SipRequest | SipResponse }
  /** CRLF keep-alives some UAs send over UDP as well (RFC 5626 §3.5.1 uses STUN there; both are seen). */
  | { readonly kind: "keep-alive" }
  /** A STUN message (RFC 5389) multiplexed on the SIP port: RFC 5626 §4.4.2 keep-alives. */
  | { readonly kind: "stun" };

/**
 * RFC 3261 §18.3: on UDP one datagram carries one message and Content-Length, when present,
 * bounds the body. Throws `ParseError` (the caller answers requests with its status, drops responses).
 */
export function frameDatagram(data: Buffer, options?: Partial<DatagramOptions>): DatagramFrame {
  const maxSize = options?.maxSize ?? DEFAULT_DATAGRAM_OPTIONS.maxSize;
  if (data.length > maxSize) throw new MessageTooLargeError(data.length, maxSize);
  if (isStun(data)) return STUN;
  if (isKeepAlive(data)) return KEEP_ALIVE;
  const maxHeaderLines = options?.maxHeaderLines ?? DEFAULT_DATAGRAM_OPTIONS.maxHeaderLines;
  return { kind: "message", message: parseMessage(data, { maxSize, maxHeaderLines }) };
}

const STUN: DatagramFrame = { kind: "stun" };
const KEEP_ALIVE: DatagramFrame = { kind: "keep-alive" };

/** RFC 5389 §6: top two bits zero and the magic cookie 0x2112A442 at offset 4. */
export function isStun(data: Buffer): boolean {
  return (
    data.length >= 20 &&
    (data[0] as number) < 4 &&
    data[4] === 0x21 &&
    data[5] === 0x12 &&
    data[6] === 0xa4 &&
    data[7] === 0x42
  );
}
