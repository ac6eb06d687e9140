/**
 * Errors the edge raises itself. Network input never becomes an exception: it becomes a SIP
 * response or a logged drop. These are for the operator (bad options) and for the transport
 * adapter (a send on a flow that is gone).
 */
export class EdgeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An edge option or configuration value cannot be used; the message names the key. */
export class EdgeConfigError extends EdgeError {}

/** A response could not be written: the connection it belongs to has closed (RFC 3261 §18.2.2). */
export class FlowClosedError extends EdgeError {}
