import { ParseError } from "../errors.js";
import { describeChar } from "./uri-chars.js";

/** The ParseError for a char that is not allowed where it was found, e.g. `white space not allowed in user part`. */
export function badChar(s: string, i: number, where: string): ParseError {
  const c = s.charCodeAt(i);
  // RFC 3261 §19.1.2: "character escaping is not allowed in the host component".
  if (c === 0x25 /* % */) return new ParseError(`escaped characters are not allowed in ${where}`, { offset: i });
  return new ParseError(`${describeChar(c)} not allowed in ${where}`, { offset: i });
}
