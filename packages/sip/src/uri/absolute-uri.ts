import { ParseError } from "../errors.js";
import { asciiLower } from "./uri-chars.js";

/**
 * A URI of a scheme this library does not interpret (RFC 3261 §25.1 absoluteURI), e.g.
 * `http://www.example.com`, `urn:service:sos`, `soap.beep://192.0.2.103:3002`. Parsing one is not
 * an error: whether a request may use it (416 Unsupported URI Scheme, RFC 3261 §8.2.2.1) is
 * decided by validation. The text is kept as written.
 */
export class AbsoluteUri {
  /** Lower-cased (RFC 3986 §3.1: schemes are case-insensitive). */
  readonly scheme: string;
  /** The whole URI as written, scheme included. */
  readonly text: string;

  /** `text` must start with `scheme:`; parseUri() checks the rest of the grammar. */
  constructor(text: string) {
    const colon = text.indexOf(":");
    if (colon <= 0) throw new ParseError(`URI: missing scheme in "${text}"`);
    this.scheme = asciiLower(text.slice(0, colon));
    this.text = text;
  }

  toString(): string {
    return this.text;
  }
}
