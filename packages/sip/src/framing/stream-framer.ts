import { MessageTooLargeError, ParseError } from "../errors.js";

/** Receives what a stream carries; owned by the transport that feeds the framer. */
export interface StreamFrameHandler {
  /** One complete message: header section, blank line and exactly Content-Length body bytes. */
  onMessage(bytes: Buffer): void;
  /** RFC 5626 §4.4.1: a CRLFCRLF ping; the transport answers with `KEEP_ALIVE_PONG`. */
  onPing(): void;
  /** A lone CRLF: the pong to a ping this side sent. */
  onPong?(): void;
}

export interface StreamFramerOptions {
  /** Largest message (header section plus body) accepted, in bytes. */
  maxMessageSize: number;
  /** Largest header section accepted before its blank line arrives, in bytes. */
  maxHeaderSize: number;
}

export const DEFAULT_STREAM_FRAMER_OPTIONS: StreamFramerOptions = { maxMessageSize: 65535, maxHeaderSize: 16384 };

const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");

/**
 * Splits a byte stream (TCP, TLS) into SIP messages. RFC 3261 §18.3: on a stream the
 * Content-Length header is mandatory and is the only way to find where a message ends, so a
 * message without one, or with an invalid one, loses the framing: `push` then throws a
 * `ParseError` and the transport must close the connection.
 */
export class StreamFramer {
  private pending: Buffer | undefined;
  private readonly options: StreamFramerOptions;
  /** A lone CRLF was the last thing seen: a CRLF right after it makes a ping split in two. */
  private afterCrlf = false;
  private failed: ParseError | undefined;

  constructor(
    private readonly handler: StreamFrameHandler,
    options?: Partial<StreamFramerOptions>,
  ) {
    this.options = { ...DEFAULT_STREAM_FRAMER_OPTIONS, ...options };
  }

  /** Bytes received but not yet delivered: a half-sent message, if non-zero. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }

  push(chunk: Buffer): void {
    if (this.failed !== undefined) throw this.failed;
    const data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let at = 0;
    try {
      while (at < data.length) {
        const c = data[at];
        if (c === 13 || c === 10) {
          at = this.keepAlive(data, at);
          if (at < 0) {
            // An incomplete CRLF sequence: wait for the rest.
            this.pending = data.subarray(-at - 1);
            return;
          }
          continue;
        }
        this.afterCrlf = false;
        const end = this.messageEnd(data, at);
        if (end < 0) break;
        this.handler.onMessage(data.subarray(at, end));
        at = end;
      }
    } catch (e) {
      if (e instanceof ParseError) this.failed = e;
      throw e;
    }
    if (at < data.length) this.pending = at === 0 ? data : data.subarray(at);
  }

  /**
   * Consumes CR/LF bytes at `at`: CRLFCRLF is a ping, a lone CRLF a pong. Returns the offset after
   * them, or -(offset+1) when the bytes end inside a CRLF sequence that may still grow.
   */
  private keepAlive(data: Buffer, at: number): number {
    if (this.afterCrlf && data.length - at >= 2 && data[at] === 13 && data[at + 1] === 10) {
      // The second half of a ping whose first CRLF ended the previous chunk.
      this.afterCrlf = false;
      this.handler.onPing();
      return at + 2;
    }
    if (data.length - at >= 4 && data[at] === 13 && data[at + 1] === 10 && data[at + 2] === 13 && data[at + 3] === 10) {
      this.afterCrlf = false;
      this.handler.onPing();
      return at + 4;
    }
    if (data.length - at >= 2 && data[at] === 13 && data[at + 1] === 10) {
      if (data.length - at === 2 || data[at + 2] !== 13) {
        // A lone CRLF: a pong — or the first half of a ping, completed by the next CRLF.
        this.afterCrlf = true;
        this.handler.onPong?.();
        return at + 2;
      }
      if (data.length - at === 3) return -(at + 1);
    }
    if (data.length - at === 1 && data[at] === 13) return -(at + 1);
    // A stray LF or CR outside a CRLF: tolerated like the CRLFs of RFC 3261 §7.5.
    this.afterCrlf = false;
    return at + 1;
  }

  /** Offset just past the message starting at `at`, or -1 if it has not fully arrived. */
  private messageEnd(data: Buffer, at: number): number {
    const headEnd = data.indexOf(CRLFCRLF, at);
    if (headEnd < 0) {
      if (data.length - at > this.options.maxHeaderSize) {
        throw new ParseError(`header section longer than ${this.options.maxHeaderSize} bytes`, { status: 513 });
      }
      return -1;
    }
    const length = contentLength(data, at, headEnd);
    const end = headEnd + 4 + length;
    if (end - at > this.options.maxMessageSize) throw new MessageTooLargeError(end - at, this.options.maxMessageSize);
    return end <= data.length ? end : -1;
  }
}

/**
 * The Content-Length of the header section `data[start, headEnd)`, by a byte scan that needs no
 * decoding. Long form `Content-Length` or compact `l`, case-insensitive (RFC 3261 §7.3.3).
 */
function contentLength(data: Buffer, start: number, headEnd: number): number {
  let found = -1;
  let line = data.indexOf(10, start) + 1; // skip the start line
  while (line > 0 && line < headEnd) {
    const nameEnd = headerNameEnd(data, line, headEnd);
    if (nameEnd > 0) {
      const value = readDigits(data, nameEnd, headEnd);
      if (value < 0) throw new ParseError("Content-Length is not a number: the stream cannot be framed");
      if (found >= 0 && found !== value) throw new ParseError("conflicting Content-Length headers on a stream");
      found = value;
    }
    line = data.indexOf(10, line) + 1;
  }
  if (found < 0) throw new ParseError("missing Content-Length: mandatory on stream transports (RFC 3261 §18.3)");
  return found;
}

const CONTENT_LENGTH = Buffer.from("content-length", "latin1");

/** If the line at `i` is a Content-Length header, the offset just past its colon; else -1. */
function headerNameEnd(data: Buffer, i: number, limit: number): number {
  let j = i;
  const first = (data[i] as number) | 0x20;
  if (first === 0x6c /* l */ && (data[i + 1] === 58 || data[i + 1] === 32 || data[i + 1] === 9)) {
    j = i + 1;
  } else if (first === 0x63 /* c */) {
    if (i + CONTENT_LENGTH.length > limit) return -1;
    for (let k = 0; k < CONTENT_LENGTH.length; k++) {
      if (((data[i + k] as number) | 0x20) !== CONTENT_LENGTH[k] && data[i + k] !== CONTENT_LENGTH[k]) return -1;
    }
    j = i + CONTENT_LENGTH.length;
  } else return -1;
  while (j < limit && (data[j] === 32 || data[j] === 9)) j++;
  return data[j] === 58 /* : */ ? j + 1 : -1;
}

function readDigits(data: Buffer, i: number, limit: number): number {
  while (i < limit && (data[i] === 32 || data[i] === 9)) i++;
  let n = 0;
  let digits = 0;
  while (i < limit && (data[i] as number) >= 0x30 && (data[i] as number) <= 0x39) {
    n = n * 10 + ((data[i] as number) - 0x30);
    i++;
    if (++digits > 9) return -1;
  }
  while (i < limit && (data[i] === 32 || data[i] === 9)) i++;
  return digits > 0 && (i >= limit || data[i] === 13) ? n : -1;
}
