/*
 * Inside the library, message text is held as latin1 strings: one char per wire byte, so string
 * offsets are byte offsets and untouched bytes can be copied back verbatim. Text meant for people
 * (display names, reason phrases, free-text headers) is UTF-8 on the wire (RFC 3261 §7.3.1, §25.1)
 * and is converted at the edge of the API with these two functions.
 */

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Wire (latin1 byte string) → JS string, decoding UTF-8 where there is any. */
export function fromWire(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, "latin1").toString("utf8") : s;
}

/** JS string → wire (latin1 byte string of its UTF-8 encoding). */
export function toWire(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, "utf8").toString("latin1") : s;
}

/**
 * A copy of `s` that shares no memory with the message it came from. Values read from a message
 * (Call-ID, tags, URIs) are views of its whole text in V8 (substrings and concatenations are
 * slices and ropes): whatever keeps one for long (a transaction key for 64*T1, a call's record
 * until its BYE) would keep the whole message text alive with it. Exact for any string.
 */
export function ownText(s: string): string {
  return Buffer.from(s, "utf16le").toString("utf16le");
}
