import { MessageTooLargeError } from "../errors.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { DEFAULT_PARSE_OPTIONS, parseMessage, type ParseOptions } from "../message/parse.js";
import { isKeepAlive } from "./keep-alive.js";

/** The parser's options: `maxSize` bounds the whole datagram, keep-alives and STUN included. */
export type DatagramOptions = ParseOptions;

export const DEFAULT_DATAGRAM_OPTIONS: DatagramOptions = DEFAULT_PARSE_OPTIONS;

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
  return { kind: "message", message: parseMessage(data, options) };
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
