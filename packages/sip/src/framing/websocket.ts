import { MessageTooLargeError } from "../errors.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { DEFAULT_PARSE_OPTIONS, parseMessage } from "../message/parse.js";
import { isKeepAlive } from "./keep-alive.js";

export interface WebSocketFramingOptions {
  maxSize: number;
  /** Header lines indexed; more make the message defective (see `ParseOptions.maxHeaderLines`). */
  maxHeaderLines: number;
}

export const DEFAULT_WEBSOCKET_FRAMING_OPTIONS: WebSocketFramingOptions = { maxSize: 65535, maxHeaderLines: DEFAULT_PARSE_OPTIONS.maxHeaderLines };

export type WebSocketFrame =
  | { readonly kind: "message"; readonly message: SipRequest | SipResponse }
  /** Some WebSocket clients (JsSIP, SIP.js) send CRLFCRLF keep-alives as a WebSocket message. */
  | { readonly kind: "keep-alive" };

/**
 * RFC 7118 §5.1: each SIP message travels in exactly one WebSocket message (text or binary),
 * so the WebSocket message bounds it and Content-Length is optional, as on UDP. The WebSocket
 * protocol itself (RFC 6455 framing, the handshake) belongs to the transport, not this library.
 */
export function frameWebSocketMessage(payload: Buffer, options?: Partial<WebSocketFramingOptions>): WebSocketFrame {
  const maxSize = options?.maxSize ?? DEFAULT_WEBSOCKET_FRAMING_OPTIONS.maxSize;
  if (payload.length > maxSize) throw new MessageTooLargeError(payload.length, maxSize);
  if (isKeepAlive(payload)) return { kind: "keep-alive" };
  const maxHeaderLines = options?.maxHeaderLines ?? DEFAULT_WEBSOCKET_FRAMING_OPTIONS.maxHeaderLines;
  return { kind: "message", message: parseMessage(payload, { maxSize, maxHeaderLines }) };
}
