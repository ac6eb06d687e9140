import type { SipRequest, SipResponse } from "@sipfleet/sip";

/**
 * What the edge logs through; pino satisfies it. `debug` and `info` are optional so a
 * warn/error-only logger fits: per-message events (drops, keep-alives) go to `debug`.
 */
export interface EdgeLogger {
  debug?(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Used when the caller passes no logger: warnings and errors must not vanish silently. */
export const CONSOLE_EDGE_LOGGER: EdgeLogger = {
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

/** A message's Call-ID for a log line: undefined when the header cannot be read (bad input is logged, not thrown). */
export function safeCallId(m: SipRequest | SipResponse): string | undefined {
  try {
    return m.callId;
  } catch {
    return undefined;
  }
}
