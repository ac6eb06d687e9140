import { ParseError, rethrowWithContext } from "../errors.js";
import { excerpt, type Params, parseParams, scanToken, skipWs } from "./lexer.js";

/** media-type = m-type SLASH m-subtype *(SEMI m-parameter) (RFC 3261 §20.15). */
export interface ContentType {
  /** Lower-cased, e.g. `application`. */
  readonly type: string;
  /** Lower-cased, e.g. `sdp`. */
  readonly subtype: string;
  readonly params: Params;
  /** `type/subtype`, lower-cased. */
  readonly mediaType: string;
}

export function parseContentType(s: string): ContentType {
  const a = skipWs(s, 0);
  const tEnd = scanToken(s, a);
  let i = skipWs(s, tEnd);
  if (tEnd === a || s.charCodeAt(i) !== 47 /* / */) {
    throw new ParseError(`Content-Type: expected type/subtype at "${excerpt(s, a)}"`, { offset: a });
  }
  const b = skipWs(s, i + 1);
  const sEnd = scanToken(s, b);
  if (sEnd === b) throw new ParseError(`Content-Type: missing subtype at "${excerpt(s, b)}"`, { offset: b });
  i = skipWs(s, sEnd);
  const type = s.slice(a, tEnd).toLowerCase();
  const subtype = s.slice(b, sEnd).toLowerCase();
  let params: Params;
  try {
    params = parseParams(s, i);
  } catch (e) {
    rethrowWithContext("Content-Type", e);
  }
  return { type, subtype, params, mediaType: `${type}/${subtype}` };
}
