import { ParseError } from "../errors.js";
import { excerpt, scanToken, skipWs, trimEnd } from "./lexer.js";
import { parseUnsigned } from "./numbers.js";

/** CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16). */
export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** RFC 3261 §8.1.1.5: the sequence number MUST be less than 2**31. */
const MAX_CSEQ = 0x7fffffff;

export function parseCSeq(s: string): CSeq {
  const start = skipWs(s, 0);
  let i = start;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  const seq = parseUnsigned(s, start, i, MAX_CSEQ, "CSeq");
  const m = skipWs(s, i);
  if (m === i) throw new ParseError(`CSeq: expected a space before the method at "${excerpt(s, i)}"`, { offset: i });
  const mEnd = scanToken(s, m);
  if (mEnd === m || trimEnd(s, mEnd, s.length) !== mEnd) {
    throw new ParseError(`CSeq: invalid method at "${excerpt(s, m)}"`, { offset: m });
  }
  return { seq, method: s.slice(m, mEnd) };
}
