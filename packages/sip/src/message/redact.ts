/*
 * Credentials out of a SIP message's text, for debug logging (the edge's per-user/per-domain SIP
 * message log). Text-only and lenient: it is given whatever went over the wire, including
 * messages the parser refuses, and must never throw nor leave a secret in because the message
 * was malformed. Everything that is not a secret stays byte for byte: usernames, realms, URIs,
 * nonces are what one debugs an authentication failure with.
 *
 * What is a secret here, and why:
 * - Digest `response` (RFC 3261 §22.4, RFC 7616 §3.4): with the nonce, cnonce, nc, method and
 *   uri it allows an offline dictionary attack on the password. Removed.
 * - Digest `rspauth` (Authentication-Info, RFC 7616 §3.5): computed from HA1 the same way, so the
 *   same attack works on it. Removed.
 * - Digest `auts` (RFC 3310 §3.4, AKA re-synchronisation): derived from the subscriber's secret key. Removed.
 * - `cnonce` and `nc` are kept: they are chosen by the client, carry nothing about the password,
 *   and, once `response` is gone, there is nothing left to test a password guess against. They
 *   are what tells replays and nonce-count errors apart.
 * - Any scheme but Digest (Basic, RFC 7617, carries the password in base64; Bearer, RFC 8898,
 *   a token): everything after the scheme name is removed.
 * - The password of a `sip:`/`sips:` URI (`sip:user:password@host`, RFC 3261 §19.1.1, "NOT
 *   RECOMMENDED" but legal) anywhere in the message, body included.
 * No other standard SIP header or parameter carries a password.
 *
 * Header names are matched case-insensitively with optional whitespace before the colon (RFC
 * 3261 §7.3.1); none of the four headers has a compact form (§7.3.3). Folded lines (a line
 * starting with SP or HT continues the header above) are part of the header they continue, and
 * every occurrence of a header is redacted. The body is read the same way, line by line: a
 * message/sipfrag or message/sip body (a NOTIFY for a REFER, say) can carry a whole request with
 * its Authorization, and no other body has lines that start with one of these header names.
 */

/** What replaces a secret. */
export const REDACTED = "<redacted>";

/** Headers holding credentials or credential proofs, lower-cased. */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "proxy-authorization",
  "authentication-info",
  "proxy-authentication-info",
]);

/** The schemeless headers: parameters only, no scheme token in front. */
const INFO_HEADERS: ReadonlySet<string> = new Set(["authentication-info", "proxy-authentication-info"]);

/** Digest parameters whose value is a secret or a proof of one, lower-cased. */
const SECRET_PARAMS: ReadonlySet<string> = new Set(["response", "rspauth", "auts"]);

/*
 * RFC 3261 §25.1: userinfo = ( user / telephone-subscriber ) [ ":" password ] "@". The user
 * class below is user's characters (escapes included); the password is replaced whatever it is.
 */
const URI_PASSWORD = /(\bsips?:[A-Za-z0-9\-_.!~*'()%&=+$,;?/]+:)([^@\s<>"]*)@/gi;

/**
 * `message` with the credentials above replaced by REDACTED; the rest unchanged. Bytes are read
 * as UTF-8 (SIP's charset, RFC 3261 §7.1).
 */
export function redactCredentials(message: string | Uint8Array): string {
  const text = typeof message === "string" ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString("utf8");
  return redactHeaderLines(text).replace(URI_PASSWORD, `$1${REDACTED}@`);
}

/**
 * Each logical header (a line with its folded continuations) of the credential kinds rewritten;
 * every other line (start line, other headers, the empty line, body lines) as it was.
 */
function redactHeaderLines(text: string): string {
  const lines = text.split(/(?<=\n)/); // each line keeps its terminator
  let out = "";
  let i = 0;
  while (i < lines.length) {
    let header = lines[i] ?? "";
    i++;
    while (i < lines.length && /^[ \t]/.test(lines[i] ?? "")) header += lines[i++];
    out += redactHeader(header);
  }
  return out;
}

function redactHeader(header: string): string {
  const colon = header.indexOf(":");
  if (colon < 0) return header; // the start line, or a broken line: no credentials header anyway
  const name = header.slice(0, colon).trim().toLowerCase();
  if (!CREDENTIAL_HEADERS.has(name)) return header;
  // The line ending stays outside: a value cut short (an unclosed quote) must not take it along.
  const ending = /\r?\n$/.exec(header)?.[0] ?? "";
  const value = header.slice(colon + 1, header.length - ending.length);
  return header.slice(0, colon + 1) + redactValue(value, INFO_HEADERS.has(name)) + ending;
}

function isLws(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

/** Token characters (RFC 3261 §25.1). */
function isTokenChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9\-.!%*_+`'~]/.test(c);
}

/**
 * The value of a credentials header: Digest params with the secret ones replaced, or, for any
 * other scheme (or anything unexpected where a scheme could start), the rest of the value.
 * `schemeless`: Authentication-Info, which is only params.
 */
function redactValue(value: string, schemeless: boolean): string {
  let out = "";
  let i = 0;
  let schemeSeen = schemeless;
  while (i < value.length) {
    const c = value[i];
    if (c === '"') {
      const close = quotedEnd(value, i);
      out += value.slice(i, close);
      i = close;
      continue;
    }
    if (!isTokenChar(c)) {
      out += c;
      i++;
      continue;
    }
    let j = i;
    while (isTokenChar(value[j])) j++;
    const token = value.slice(i, j);
    let k = j;
    while (isLws(value[k])) k++;
    if (value[k] === "=") {
      // name = value: copy through the "=" and the whitespace after it, then the value.
      k++;
      while (isLws(value[k])) k++;
      const valueEnd = value[k] === '"' ? quotedEnd(value, k) : tokenEnd(value, k);
      out += value.slice(i, k);
      out += SECRET_PARAMS.has(token.toLowerCase()) ? redactedLike(value.slice(k, valueEnd)) : value.slice(k, valueEnd);
      i = valueEnd;
      continue;
    }
    // A bare token: the scheme. Digest params follow it; anything else is a credential as a whole.
    if (!schemeSeen && token.toLowerCase() === "digest") {
      schemeSeen = true;
      out += token;
      i = j;
      continue;
    }
    return out + token + redactRest(value.slice(j));
  }
  return out;
}

/** Quoted values stay quoted, so the line still reads as a header of its kind. */
function redactedLike(original: string): string {
  return original.startsWith('"') ? `"${REDACTED}"` : REDACTED;
}

/** After a non-Digest scheme: its separating whitespace kept, the credentials gone. */
function redactRest(rest: string): string {
  const lead = /^[ \t]*/.exec(rest)?.[0] ?? "";
  const secret = rest.slice(lead.length);
  return lead + (secret.trim() === "" ? secret : REDACTED);
}

/** Index after the closing quote of the quoted-string starting at `start` (escapes honoured), or the end. */
function quotedEnd(s: string, start: number): number {
  let i = start + 1;
  while (i < s.length) {
    const c = s[i];
    if (c === "\\") i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return s.length;
}

/** End of an unquoted value: up to a comma or whitespace. */
function tokenEnd(s: string, start: number): number {
  let i = start;
  while (i < s.length && s[i] !== "," && !isLws(s[i])) i++;
  return i;
}
