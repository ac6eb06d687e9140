import { ParseError } from "../errors.js";
import { excerpt, skipWs, trimEnd } from "./lexer.js";

/**
 * A decimal in `s[start, end)` that must be all digits and at most `max`. Over-large values are
 * errors, not clamped: RFC 4475 §3.1.2.4 expects them answered with 400.
 */
export function parseUnsigned(s: string, start: number, end: number, max: number, what: string): number {
  if (start >= end) throw new ParseError(`${what}: expected a number at "${excerpt(s, start)}"`, { offset: start });
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw new ParseError(`${what}: "${excerpt(s, start)}" is not a number`, { offset: i });
    v = v * 10 + (c - 0x30);
    if (v > max) throw new ParseError(`${what}: ${s.slice(start, end)} is larger than ${max}`, { offset: start });
  }
  return v;
}

/** A header whose whole value is one unsigned number (Max-Forwards, Expires, Content-Length...). */
export function parseNumberHeader(s: string, max: number, what: string): number {
  const a = skipWs(s, 0);
  return parseUnsigned(s, a, trimEnd(s, a, s.length), max, what);
}

/** delta-seconds in Expires and Min-Expires: RFC 3261 §20.19 allows 0 to 2**32-1. */
export const MAX_DELTA_SECONDS = 0xffffffff;
/** RFC 3261 §20.22: Max-Forwards is 0–255. */
export const MAX_MAX_FORWARDS = 255;
