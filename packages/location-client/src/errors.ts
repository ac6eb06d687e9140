import { status } from "@grpc/grpc-js";

/**
 * The location service could not answer: no replica reachable, the deadline passed, or the
 * service failed (its Redis is down). The caller answers 503 and lets the UA retry.
 */
export class LocationUnavailableError extends Error {
  /** The gRPC status code (`@grpc/grpc-js` `status`). */
  readonly code: number;

  constructor(message: string, code: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LocationUnavailableError";
    this.code = code;
  }
}

/** The location service refused the request as malformed (INVALID_ARGUMENT): a bug in the caller. */
export class LocationRequestError extends Error {
  readonly code: number = status.INVALID_ARGUMENT;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LocationRequestError";
  }
}
