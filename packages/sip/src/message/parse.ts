import { MessageTooLargeError, ParseError } from "../errors.js";
import { methodAt } from "../header/byte-scan.js";
import { excerpt, isSip20At, TOKEN_CHAR } from "../header/lexer.js";
import { canonicalHeaderName, FOLD as IMPORTED_FOLD, HOT, HOT_SLOTS as IMPORTED_HOT_SLOTS, KNOWN_KEYS as IMPORTED_KNOWN_KEYS, packedHeaderIndex } from "./header-names.js";
import { type MessageDefect, type ParsedParts, SipRequest, SipResponse } from "./message.js";

export interface ParseOptions {
  /** Largest message accepted, in bytes. */
  maxSize: number;
  /**
   * Most header lines (a folded header counts once) indexed. A message with more gets the
   * defect "more than N header lines" and its table stops at the limit: lines past it are not
   * looked at, only the end of the header section is searched for.
   */
  maxHeaderLines: number;
}

/**
 * 64 KiB: the largest UDP payload, and far above any sane SIP message. No header line limit by
 * default: messages an element built itself are parsed again (edits, forwarded copies) and must
 * never be cut short; what comes off the network is parsed with the configured limit.
 */
export const DEFAULT_PARSE_OPTIONS: ParseOptions = { maxSize: 65535, maxHeaderLines: Number.MAX_SAFE_INTEGER };

/**
 * Parses one complete SIP message (a UDP datagram, a framed stream message or a WebSocket
 * message). Only the start line and header boundaries are examined here; header values are
 * parsed when first read.
 *
 * Throws `ParseError` when there is nothing that could be answered: no header section, a
 * broken status line. A request whose defects still allow a response (bad header line,
 * bad Content-Length, malformed Request-Line spacing) is returned with `defect` set, so
 * that `validate()` answers it with 400 as RFC 4475 expects.
 */
export function parseMessage(data: Uint8Array, options?: Partial<ParseOptions>): SipRequest | SipResponse {
  const maxSize = options?.maxSize ?? DEFAULT_PARSE_OPTIONS.maxSize;
  const maxHeaderLines = options?.maxHeaderLines ?? DEFAULT_PARSE_OPTIONS.maxHeaderLines;
  const raw = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (raw.length > maxSize) throw new MessageTooLargeError(raw.length, maxSize);

  // RFC 3261 §7.5: implementations SHOULD ignore any CRLF appearing before the start-line.
  let start = 0;
  while (start < raw.length && (raw[start] === 13 || raw[start] === 10)) start++;
  if (start === raw.length) throw new ParseError("empty message");

  // One latin1 decode of the whole message: char offsets are byte offsets from here on.
  const head = raw.toString("latin1");
  const startLineEnd = lineEndAt(head, raw, start);
  if (startLineEnd < 0) throw notTerminated(raw.length);
  const headersStart = startLineEnd + 2;

  // The table is built in module-level arrays that keep their capacity, then copied out at its
  // exact size: pushing onto fresh arrays grew (and copied) them three times per message.
  let lines = 0;
  let folded = false;
  let defect: MessageDefect | undefined;
  let contentLengthLine = -1;
  // Per HOT slot, the first line of that header (see SipMessage.hotLines), and a bit per slot
  // for the headers met on more than one line.
  const hotLines = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1];
  let hotRepeated = 0;

  // Line ends are found with the string's indexOf (memchr-fast, cheaper than a loop over a
  // line's bytes); the name and the chars around the value are read from the bytes, where an
  // indexed read costs about a third of a charCodeAt.
  let pos = headersStart;
  let headersEndAt = -1;
  while (headersEndAt < 0) {
    let lineEnd = lineEndAt(head, raw, pos);
    if (lineEnd < 0) throw notTerminated(raw.length);
    if (lineEnd === pos) {
      // The empty line: the header section ends at the CRLF before it.
      headersEndAt = pos - 2;
      break;
    }
    if (lines === maxHeaderLines) {
      // Over the limit: validation answers a request 400 and drops a response. RFC 3261
      // §21.4.1: 400 "The request could not be understood due to malformed syntax. The
      // Reason-Phrase SHOULD identify the syntax problem in more detail" -- the reason names the
      // limit. Not 513: §21.5.14 513 is for when "the message length exceeded its capabilities",
      // and 101 short lines are a small message; a client told 513 would shrink the body, which
      // does not help. The lines already indexed hold the Via, From, To, Call-ID and CSeq the
      // 400 copies in any ordinary message; the rest is not indexed, so a message made of
      // thousands of tiny lines costs one search here rather than a table entry per line.
      defect ??= { reason: `more than ${maxHeaderLines} header lines`, offset: pos };
      headersEndAt = head.indexOf("\r\n\r\n", pos);
      if (headersEndAt < 0) throw notTerminated(raw.length);
      break;
    }
    // RFC 3261 §7.3.1: a line starting with SP or HTAB continues the previous one.
    while (isWsp(byteAt(raw, lineEnd + 2))) {
      folded = true;
      lineEnd = lineEndAt(head, raw, lineEnd + 2);
      if (lineEnd < 0) throw notTerminated(raw.length);
    }
    // header-name = token, then optional SP/HTAB and the ':' (RFC 3261 §7.3.1). A line that is not
    // so is taken apart by badLine, off the common path.
    // The name's bytes are read once: their token check also folds them, and they are packed
    // into the words packedHeaderIndex looks the name up by.
    let nameEnd = pos;
    let nameHead = 0;
    let nameMid = 0;
    let nameTail = 0;
    const headEnd = pos + 4;
    const midEnd = pos + 8;
    while (nameEnd < lineEnd) {
      const f = FOLD[raw[nameEnd] as number] as number;
      if (f === 0) break;
      nameTail = (nameTail << 8) | f;
      if (nameEnd < headEnd) nameHead = nameTail;
      else if (nameEnd < midEnd) nameMid = nameTail;
      nameEnd++;
    }
    let colon = nameEnd;
    while (colon < lineEnd && isWsp(raw[colon] as number)) colon++;
    if (nameEnd === pos || colon === lineEnd || raw[colon] !== 58 /* : */) {
      defect ??= badLine(head, pos, lineEnd);
      // Kept (with an empty key) so that serialization still reproduces the message.
      addLine(lines++, "", pos, lineEnd, lineEnd, lineEnd);
      pos = lineEnd + 2;
      continue;
    }
    const known = packedHeaderIndex(raw, pos, nameEnd - pos, nameHead, nameMid, nameTail);
    let key: string;
    let hot = -1;
    if (known >= 0) {
      key = KNOWN_KEYS[known] as string;
      hot = HOT_SLOTS[known] as number;
      if (hot >= 0) {
        if ((hotLines[hot] as number) < 0) hotLines[hot] = lines;
        else hotRepeated |= 1 << hot;
      }
    } else key = canonicalHeaderName(head.slice(pos, nameEnd));
    let vStart = colon + 1;
    while (vStart < lineEnd && isLws(raw[vStart] as number)) vStart++;
    let vEnd = lineEnd;
    while (vEnd > vStart && isLws(raw[vEnd - 1] as number)) vEnd--;
    if (hot === HOT_CONTENT_LENGTH) {
      if (contentLengthLine >= 0 && head.slice(vStart, vEnd) !== valueOf(head, tableOffsets, contentLengthLine)) {
        // RFC 4475 §3.3.9: multiple differing Content-Length values are answered with 400.
        defect ??= { reason: "multiple Content-Length values", offset: pos };
      }
      contentLengthLine = lines;
    }
    addLine(lines++, key, pos, vStart, vEnd, lineEnd);
    pos = lineEnd + 2;
  }

  const bodyStart = headersEndAt + 4;
  let bodyEnd = raw.length;
  if (contentLengthLine >= 0) {
    const v = valueOf(head, tableOffsets, contentLengthLine);
    const cl = parseContentLength(v);
    if (cl < 0) {
      defect ??= { reason: `Content-Length: "${excerpt(v, 0)}" is not a number`, offset: tableOffsets[contentLengthLine * 4] as number };
    } else if (cl > raw.length - bodyStart) {
      // RFC 3261 §18.3: a datagram shorter than Content-Length says is answered 400.
      defect ??= {
        reason: `Content-Length ${cl} larger than the ${raw.length - bodyStart}-byte body`,
        offset: tableOffsets[contentLengthLine * 4] as number,
      };
    } else {
      // RFC 3261 §18.3: octets past Content-Length in a datagram are discarded.
      bodyEnd = bodyStart + cl;
    }
  }
  if (bodyEnd < bodyStart) bodyEnd = bodyStart > raw.length ? raw.length : bodyStart;

  const keys = tableKeys.slice(0, lines);
  const offsets = tableOffsets.slice(0, lines * 4);
  if (tableOffsets.length > KEPT_TABLE_LINES * 4) {
    tableKeys = [];
    tableOffsets = [];
  }
  const parts: ParsedParts = {
    raw,
    head,
    startLineStart: start,
    headersStart,
    headersEnd: headersEndAt,
    bodyStart: Math.min(bodyStart, raw.length),
    bodyEnd,
    version: "",
    keys,
    offsets,
    hotLines,
    hotRepeated,
    folded,
    defect,
  };
  return isStatusLine(raw, start) ? parseStatusLine(parts, start, startLineEnd) : parseRequestLine(parts, start, startLineEnd);
}

/**
 * header-names.ts FOLD, as a table of this module: an imported binding is read through its module
 * cell (with a check that it is initialized) on every access, which in the name loop cost more
 * than the table read itself.
 */
const FOLD: Uint8Array = IMPORTED_FOLD.slice();
/** lexer.ts TOKEN_CHAR, as a table of this module (see FOLD). */
const TOKEN: Uint8Array = TOKEN_CHAR.slice();

const KNOWN_KEYS: readonly string[] = IMPORTED_KNOWN_KEYS.slice();
const HOT_SLOTS: Int8Array = IMPORTED_HOT_SLOTS.slice();
const HOT_CONTENT_LENGTH = HOT.contentLength;

let tableKeys: string[] = [];
let tableOffsets: number[] = [];
/** Lines the scratch table keeps room for between messages: a larger one (after a rare huge header section) is dropped. */
const KEPT_TABLE_LINES = 128;

function addLine(line: number, key: string, start: number, vStart: number, vEnd: number, end: number): void {
  tableKeys[line] = key;
  const k = line * 4;
  tableOffsets[k] = start;
  tableOffsets[k + 1] = vStart;
  tableOffsets[k + 2] = vEnd;
  tableOffsets[k + 3] = end;
}

/** SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2). Unanswerable, so errors throw. */
function parseStatusLine(p: ParsedParts, start: number, end: number): SipResponse {
  const raw = p.raw;
  // What nearly every status line starts with, `SIP/2.0 ddd`, read from the bytes.
  if (end - start >= 11 && isSip20Bytes(raw, start) && raw[start + 7] === 32) {
    const d0 = (raw[start + 8] as number) - 0x30;
    const d1 = (raw[start + 9] as number) - 0x30;
    const d2 = (raw[start + 10] as number) - 0x30;
    if (d0 >= 1 && d0 <= 6 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9 && (end === start + 11 || raw[start + 11] === 32)) {
      p.version = SIP_2_0;
      // RFC 4475 §3.1.1.13: the reason phrase may be empty.
      return new SipResponse(p, d0 * 100 + d1 * 10 + d2, end > start + 11 ? p.head.slice(start + 12, end) : "");
    }
  }
  const head = p.head;
  const sp = head.indexOf(" ", start);
  if (sp < 0 || sp > end) throw new ParseError(`Status-Line: missing status code in "${excerpt(head, start)}"`, { offset: start });
  p.version = versionOf(head, start, sp);
  if (p.version === "") throw new ParseError(`Status-Line: invalid SIP version "${excerpt(head, start)}"`, { offset: start });
  const codeStart = sp + 1;
  let codeEnd = codeStart;
  while (codeEnd < end && isDigit(head.charCodeAt(codeEnd))) codeEnd++;
  const status = codeEnd - codeStart === 3 ? Number(head.slice(codeStart, codeEnd)) : NaN;
  if (!(status >= 100 && status <= 699) || (codeEnd < end && head.charCodeAt(codeEnd) !== 32)) {
    throw new ParseError(`Status-Line: invalid status code "${excerpt(head, codeStart, 12)}"`, { offset: codeStart });
  }
  // RFC 4475 §3.1.1.13: the reason phrase may be empty; tolerate a missing SP before it too.
  const reason = codeEnd < end ? head.slice(codeEnd + 1, end) : "";
  return new SipResponse(p, status, reason);
}

/**
 * Method SP Request-URI SP SIP-Version (RFC 3261 §7.1): exactly one SP between elements.
 * Spacing problems are recorded as a defect (answered with 400, RFC 4475 §3.1.2.9–10) rather
 * than thrown, as the request is otherwise answerable. Read from the bytes (the URI is left to
 * the URI parser, which runs when it is first read).
 */
function parseRequestLine(p: ParsedParts, start: number, end: number): SipRequest {
  const raw = p.raw;
  const head = p.head;
  // The method is a token up to the first SP.
  let sp1 = start;
  while (sp1 < end && TOKEN[raw[sp1] as number] === 1) sp1++;
  if (sp1 === start || sp1 === end || raw[sp1] !== 32) {
    throw new ParseError(`Request-Line: expected "Method Request-URI SIP-Version" in "${excerpt(head, start)}"`, { offset: start });
  }
  const method = methodAt(raw, head, start, sp1);
  let uriStart = sp1 + 1;
  if (raw[uriStart] === 32) requestLineDefect(p, "more than one SP between elements", uriStart);
  while (uriStart < end && raw[uriStart] === 32) uriStart++;
  let lineEnd = end;
  if (raw[lineEnd - 1] === 32) requestLineDefect(p, "trailing white space", lineEnd - 1);
  while (lineEnd > uriStart && raw[lineEnd - 1] === 32) lineEnd--;
  // The last SP: right before the version, when that is "SIP/2.0" (which holds none).
  const sp2 = lineEnd - 8 >= uriStart && raw[lineEnd - 8] === 32 && isSip20Bytes(raw, lineEnd - 7) ? lineEnd - 8 : head.lastIndexOf(" ", lineEnd - 1);
  if (sp2 < uriStart) {
    throw new ParseError(`Request-Line: expected "Method Request-URI SIP-Version" in "${excerpt(head, start)}"`, { offset: start });
  }
  let uriEnd = sp2;
  if (raw[uriEnd - 1] === 32) requestLineDefect(p, "more than one SP between elements", uriEnd - 1);
  while (uriEnd > uriStart && raw[uriEnd - 1] === 32) uriEnd--;
  // White space inside the Request-URI (RFC 4475 §3.1.2.8) is left to the URI parser, which
  // validation runs: it rejects any SP, control char or non-ASCII byte with a 400.
  p.version = lineEnd - sp2 === 8 && isSip20Bytes(raw, sp2 + 1) ? SIP_2_0 : versionOf(head, sp2 + 1, lineEnd);
  if (p.version === "") {
    requestLineDefect(p, `invalid SIP-Version "${excerpt(head, sp2 + 1)}"`, sp2 + 1);
    p.version = head.slice(sp2 + 1, lineEnd);
  }
  return new SipRequest(p, method, uriStart, uriEnd);
}

/** Whether raw[i, i + 7) is "SIP/2.0". */
function isSip20Bytes(raw: Uint8Array, i: number): boolean {
  return (
    raw[i] === 0x53 /* S */ &&
    raw[i + 1] === 0x49 /* I */ &&
    raw[i + 2] === 0x50 /* P */ &&
    raw[i + 3] === 0x2f /* / */ &&
    raw[i + 4] === 0x32 /* 2 */ &&
    raw[i + 5] === 0x2e /* . */ &&
    raw[i + 6] === 0x30 /* 0 */
  );
}

function requestLineDefect(p: ParsedParts, reason: string, offset: number): void {
  p.defect ??= { reason: `Request-Line: ${reason}`, offset };
}

function isStatusLine(raw: Uint8Array, start: number): boolean {
  return (
    ((raw[start] as number) | 0x20) === 0x73 /* s */ &&
    ((raw[start + 1] as number) | 0x20) === 0x69 /* i */ &&
    ((raw[start + 2] as number) | 0x20) === 0x70 /* p */ &&
    raw[start + 3] === 47 /* / */
  );
}

/** `SIP/<digits>.<digits>`, upper-cased; "" when it is not a version. */
function versionOf(head: string, start: number, end: number): string {
  if (end - start === 7 && isSip20At(head, start)) return SIP_2_0;
  if (
    end - start < 7 ||
    (head.charCodeAt(start) | 0x20) !== 0x73 /* s */ ||
    (head.charCodeAt(start + 1) | 0x20) !== 0x69 /* i */ ||
    (head.charCodeAt(start + 2) | 0x20) !== 0x70 /* p */ ||
    head.charCodeAt(start + 3) !== 47 /* / */
  ) {
    return "";
  }
  let i = start + 4;
  const major = i;
  while (i < end && isDigit(head.charCodeAt(i))) i++;
  if (i === major || head.charCodeAt(i) !== 46 /* . */) return "";
  const minor = ++i;
  while (i < end && isDigit(head.charCodeAt(i))) i++;
  if (i === minor || i !== end) return "";
  const v = head.slice(start, end);
  return v.charCodeAt(0) === 83 && v.charCodeAt(1) === 73 && v.charCodeAt(2) === 80 ? v : v.toUpperCase();
}

/** Index of the CR of the first CRLF at or after `from`, or -1. Single-char search is memchr-fast; the LF is read from the bytes. */
function lineEndAt(text: string, raw: Uint8Array, from: number): number {
  let cr = text.indexOf("\r", from);
  while (cr >= 0 && raw[cr + 1] !== 10) cr = text.indexOf("\r", cr + 1);
  return cr;
}

/** What is wrong with a header line that is not `token *WSP ":" ...` (the first line of the section starts with WSP, or no ':'). */
function badLine(head: string, pos: number, lineEnd: number): MessageDefect {
  const colon = head.indexOf(":", pos);
  const what = isWsp(head.charCodeAt(pos))
    ? "header section starts with a continuation line"
    : colon < 0 || colon > lineEnd
      ? "header line without ':'"
      : "invalid header name";
  return { reason: `${what}: "${excerpt(head, pos)}"`, offset: pos };
}

function notTerminated(length: number): ParseError {
  return new ParseError("header section not terminated by an empty line", { offset: length });
}

const SIP_2_0 = "SIP/2.0";

function valueOf(head: string, offsets: readonly number[], line: number): string {
  return head.slice(offsets[line * 4 + 1] as number, offsets[line * 4 + 2] as number);
}

/** Content-Length digits, or -1 when not a plain non-negative number (RFC 4475 §3.1.2.3). */
export function parseContentLength(v: string): number {
  if (v.length === 0 || v.length > 9) return -1;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/** The byte at `i`, or -1 past the end (where a string's charCodeAt would give NaN). */
function byteAt(bytes: Buffer, i: number): number {
  return i < bytes.length ? (bytes[i] as number) : -1;
}

function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

function isLws(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
