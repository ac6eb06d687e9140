import { SipError } from "../errors.js";
import { parseUnsigned } from "../header/numbers.js";
import { findUnquoted, skipWs } from "../header/lexer.js";
import { canonicalHeaderName, displayName, H } from "../message/header-names.js";
import type { SipMessage } from "../message/message.js";
import { toWire } from "../message/wire-text.js";

/**
 * Edits to a parsed message, applied when it is serialized. Every header line the caller did
 * not touch is copied from the received bytes unchanged (a proxy passes unknown headers
 * through as they came), so the cost of forwarding is a few buffer copies.
 *
 * Header values given to the editor are JS strings; they are written as UTF-8.
 */
export class MessageEditor {
  private startLine: string | undefined;
  /** Lines (wire text, no CRLF) placed before the first original header, in order. */
  private readonly prepended: string[] = [];
  private readonly appended: string[] = [];
  /** Per original line: its replacement (wire text), null when removed, undefined when untouched. */
  private readonly replaced: (string | null | undefined)[] = [];
  private newBody: Buffer | undefined;

  constructor(readonly message: SipMessage) {}

  /** RFC 3261 §16.6 step 2: the Request-URI of a forwarded request. */
  setRequestUri(uri: string | { toString(): string }): this {
    const m = this.message;
    if (!m.isRequest) throw new SipError("setRequestUri: not a request");
    this.startLine = `${(m as unknown as { method: string }).method} ${toWire(String(uri))} ${m.version}`;
    return this;
  }

  /** Replaces the start line of a response. */
  setStatus(status: number, reason: string): this {
    if (this.message.isRequest) throw new SipError("setStatus: not a response");
    this.startLine = `${this.message.version} ${status} ${toWire(reason)}`;
    return this;
  }

  /** Puts a header line at the top of the header section (before existing lines of the same name). */
  prependHeader(name: string, value: string): this {
    this.prepended.push(line(name, value));
    return this;
  }

  appendHeader(name: string, value: string): this {
    this.appended.push(line(name, value));
    return this;
  }

  /** RFC 3261 §16.6 step 8: the proxy's own Via goes on top. */
  prependVia(value: string): this {
    return this.prependHeader("Via", value);
  }

  /** RFC 3261 §16.6 step 4: a proxy's Record-Route value goes on top of the existing ones. */
  addRecordRoute(value: string): this {
    return this.prependHeader("Record-Route", value);
  }

  /**
   * RFC 3261 §16.7 step 3: a proxy removes its own Via, the topmost value, from a response.
   * When the top Via line holds several comma-separated values only the first is removed.
   */
  removeTopVia(): this {
    return this.removeFirstValue(H.via, "removeTopVia");
  }

  /**
   * Replaces the topmost Via value, e.g. with the one the server transport stamped `received` and
   * `rport` on (RFC 3261 §18.2.1, RFC 3581 §4), which a proxy forwards (§16.6 keeps the Vias).
   */
  replaceTopVia(value: string): this {
    return this.replaceFirstValue(H.via, "replaceTopVia", toWire(value));
  }

  /**
   * Removes the `n` topmost Route values (RFC 3261 §16.4 / §16.12 loose routing), across lines
   * and comma-separated values alike.
   */
  removeTopRoutes(n: number): this {
    for (let k = 0; k < n; k++) this.removeFirstValue(H.route, "removeTopRoutes");
    return this;
  }

  /**
   * RFC 3261 §16.6 step 3: decrement Max-Forwards, or add it with 70 when absent.
   * Throws if the value is 0 (validation answers that with 483 before anything is forwarded).
   */
  decrementMaxForwards(): this {
    const i = this.firstLive(H.maxForwards);
    if (i < 0) return this.prependHeader("Max-Forwards", "70");
    const [text, start, end] = this.message.valueSpan(i);
    const n = parseUnsigned(text, start, end, 255, "Max-Forwards");
    if (n === 0) throw new SipError("decrementMaxForwards: Max-Forwards is already 0");
    this.replace(i, `${this.originalName(i)}: ${n - 1}`);
    return this;
  }

  /** Replaces every line of a header with one line holding `value`. */
  setHeader(name: string, value: string): this {
    const key = canonicalHeaderName(name);
    const first = this.firstLive(key);
    if (first < 0) return this.appendHeader(name, value);
    this.removeLines(key, first + 1);
    this.replace(first, line(name, value));
    return this;
  }

  removeHeader(name: string): this {
    this.removeLines(canonicalHeaderName(name), 0);
    return this;
  }

  /** Replaces the body; Content-Length (and Content-Type when given) follow. */
  setBody(body: Buffer | string, contentType?: string): this {
    this.newBody = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    if (contentType !== undefined) this.setHeader("Content-Type", contentType);
    else if (this.newBody.length === 0) this.removeHeader("Content-Type");
    return this;
  }

  /**
   * The edited message. Content-Length is written whenever the body changed or the original
   * had none (it is mandatory on stream transports, RFC 3261 §18.3, and recommended on UDP).
   */
  toBuffer(): Buffer {
    const m = this.message;
    const bodyLength = this.newBody === undefined ? m.bodyEnd - m.bodyStart : this.newBody.length;
    const { keys, offsets } = m.headerTable;
    let replaced = this.replaced;
    let appended = this.appended;
    const clLine = m.lineIndex(H.contentLength, 0);
    if (this.newBody !== undefined || clLine < 0) {
      if (clLine >= 0) {
        replaced = replaced.slice();
        for (let i = m.lineIndex(H.contentLength, clLine + 1); i >= 0; i = m.lineIndex(H.contentLength, i + 1)) {
          replaced[i] = null;
        }
        replaced[clLine] = `${this.originalName(clLine)}: ${bodyLength}`;
      } else appended = [...appended, `Content-Length: ${bodyLength}`];
    }
    // The output is put together as latin1 text (the received message is already held so, body
    // included, one char per byte) and encoded once: Buffer.copy makes a Uint8Array view per
    // call, which cost more than the copying, and the text of untouched runs is only referenced.
    const head = m.head;
    let out = this.startLine !== undefined ? this.startLine : head.slice(m.startLineStart, m.headersStart - 2);
    out += "\r\n";
    for (const l of this.prepended) out += l + "\r\n";
    // Runs of untouched lines are copied in one piece.
    let runStart = -1;
    for (let i = 0; i <= keys.length; i++) {
      const r = i < keys.length ? replaced[i] : null;
      if (r === undefined) {
        if (runStart < 0) runStart = offsets[i * 4] as number;
        continue;
      }
      if (runStart >= 0) {
        out += head.slice(runStart, offsets[(i - 1) * 4 + 3] as number) + "\r\n";
        runStart = -1;
      }
      if (r !== null && i < keys.length) out += r + "\r\n";
    }
    for (const l of appended) out += l + "\r\n";
    out += "\r\n";
    out += this.newBody === undefined ? head.slice(m.bodyStart, m.bodyEnd) : this.newBody.toString("latin1");
    return Buffer.from(out, "latin1");
  }

  private replace(line: number, text: string | null): void {
    this.replaced[line] = text;
  }

  private removeFirstValue(key: string, what: string): this {
    const [i, v] = this.firstValueLine(key, what);
    const comma = findUnquoted(v, 44 /* , */, 0);
    if (comma >= v.length) this.replace(i, null);
    else this.replace(i, `${this.originalName(i)}: ${v.slice(skipWs(v, comma + 1))}`);
    return this;
  }

  private replaceFirstValue(key: string, what: string, value: string): this {
    const [i, v] = this.firstValueLine(key, what);
    const comma = findUnquoted(v, 44 /* , */, 0);
    this.replace(i, `${this.originalName(i)}: ${value}${comma >= v.length ? "" : v.slice(comma)}`);
    return this;
  }

  /**
   * The first line of `key` that still holds a value, with that value as it stands after the
   * edits so far (a line already shortened by an earlier removal counts with what is left).
   */
  private firstValueLine(key: string, what: string): [line: number, value: string] {
    const m = this.message;
    for (let i = m.lineIndex(key, 0); i >= 0; i = m.lineIndex(key, i + 1)) {
      const r = this.replaced[i];
      if (r === null) continue;
      if (r === undefined) return [i, m.wireValue(i)];
      return [i, r.slice(skipWs(r, r.indexOf(":") + 1))];
    }
    throw new SipError(`${what}: no ${displayName(key)} header`);
  }

  private firstLive(key: string): number {
    const m = this.message;
    for (let i = m.lineIndex(key, 0); i >= 0; i = m.lineIndex(key, i + 1)) {
      if (this.replaced[i] === undefined) return i;
    }
    return -1;
  }

  private removeLines(key: string, from: number): void {
    const m = this.message;
    for (let i = m.lineIndex(key, from); i >= 0; i = m.lineIndex(key, i + 1)) this.replace(i, null);
  }

  /** The header name as spelled in line `i` (so `v:` stays compact when a value is rewritten). */
  private originalName(i: number): string {
    const m = this.message;
    const start = m.headerTable.offsets[i * 4] as number;
    let end = m.head.indexOf(":", start);
    while (end > start && (m.head.charCodeAt(end - 1) === 32 || m.head.charCodeAt(end - 1) === 9)) end--;
    return m.head.slice(start, end);
  }
}

/** Starts editing a message for forwarding or re-sending. */
export function editMessage(message: SipMessage): MessageEditor {
  return new MessageEditor(message);
}

/** A message's bytes as they would be sent with no edits (Content-Length added if missing). */
export function serializeMessage(message: SipMessage): Buffer {
  return message.has(H.contentLength) ? message.bytes : new MessageEditor(message).toBuffer();
}

function line(name: string, value: string): string {
  const key = canonicalHeaderName(name);
  return `${key === name ? displayName(key) : name}: ${toWire(value)}`;
}
