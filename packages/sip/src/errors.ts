/**
 * Every error the SIP library throws is one of these. Code above the library tells a
 * malformed message from its own bug with `instanceof SipError`.
 */
export class SipError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ParseErrorDetails {
  /** Byte offset in the message (or character offset in the parsed text) where the problem was found. */
  offset?: number;
  /**
   * The response status an edge should answer a request with (RFC 3261 §21.4). 400 unless the
   * problem has its own code: 505 version, 416 URI scheme, 413 too large, 483 too many hops.
   */
  status?: number;
}

/** Input from the network (or a caller) that does not follow the SIP grammar. */
export class ParseError extends SipError {
  readonly offset: number | undefined;
  readonly status: number;
  constructor(message: string, details: ParseErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.offset = details.offset;
    this.status = details.status ?? 400;
  }
}

/**
 * Re-throws a ParseError with `what` in front of its message (e.g. "Via: ..."), keeping offset and
 * status. Anything that is not a ParseError is a bug and goes through unchanged.
 */
export function rethrowWithContext(what: string, e: unknown): never {
  if (e instanceof ParseError) throw new ParseError(`${what}: ${e.message}`, { offset: e.offset, status: e.status }, { cause: e });
  throw e;
}

/** A message bigger than the configured limit for its path (datagram, stream, WebSocket frame). */
export class MessageTooLargeError extends ParseError {
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(`message of ${size} bytes exceeds the limit of ${limit}`, { status: 513 });
    this.limit = limit;
  }
}

/** A transaction-layer rule broken by a caller (the TU), e.g. sending a response in a terminated state. */
export class TransactionError extends SipError {}
