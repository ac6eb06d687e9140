import { ParseError } from "../errors.js";
import { excerpt, internSlice, scanToken, skipWs, trimEnd } from "./lexer.js";
import { parseUnsigned } from "./numbers.js";

/** CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16). */
export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** RFC 3261 §8.1.1.5: the sequence number MUST be less than 2**31. */
const MAX_CSEQ = 0x7fffffff;

export function parseCSeq(s: string, from = 0, end = s.length): CSeq {
  const start = skipWs(s, from, end);
  let i = start;
  let seq = 0;
  for (let c = i < end ? s.charCodeAt(i) : -1; c >= 0x30 && c <= 0x39; c = ++i < end ? s.charCodeAt(i) : -1) seq = seq * 10 + (c - 0x30);
  // parseUnsigned says what is wrong (no digits, too large); digits alone were read above.
  if (i === start || seq > MAX_CSEQ) parseUnsigned(s, start, i, MAX_CSEQ, "CSeq");
  const m = skipWs(s, i, end);
  if (m === i) throw new ParseError(`CSeq: expected a space before the method at "${excerpt(s, i)}"`, { offset: i });
  const mEnd = scanToken(s, m, end);
  if (mEnd === m || trimEnd(s, mEnd, end) !== mEnd) {
    throw new ParseError(`CSeq: invalid method at "${excerpt(s, m)}"`, { offset: m });
  }
  return { seq, method: internSlice(s, m, mEnd, METHODS) };
}

/** The methods of RFC 3261 and its extensions, returned as constants when matched. */
export const METHODS = [
  "INVITE",
  "ACK",
  "BYE",
  "CANCEL",
  "OPTIONS",
  "REGISTER",
  "MESSAGE",
  "SUBSCRIBE",
  "NOTIFY",
  "INFO",
  "UPDATE",
  "PRACK",
  "REFER",
  "PUBLISH",
] as const;
