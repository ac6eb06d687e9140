import type { Counter, Meter } from "@opentelemetry/api";
import { ATTR_ERROR_TYPE, METRIC_GRPC_ERRORS, NOOP_METER } from "@sipfleet/telemetry";
import { LocationRequestError, LocationUnavailableError } from "./errors.js";
import { AttributesByOutcome, failureOfCode, type LocationFailure, type LocationOp } from "./location-ops.js";

/** The failure a location request ended in, as error.type. */
export function failureOf(err: unknown): LocationFailure {
  if (err instanceof LocationRequestError) return "invalid_argument";
  if (err instanceof LocationUnavailableError) return failureOfCode(err.code);
  return "internal";
}

/**
 * The location client's instruments: METRIC_GRPC_ERRORS {rpc.method, error.type}, the location
 * requests of this worker that failed (retries that then succeeded are not failures). Its
 * rejection handlers are made once per operation, so a request costs no closure.
 */
export class LocationClientMetrics {
  private readonly errors: Counter;
  private readonly attributes = new AttributesByOutcome(ATTR_ERROR_TYPE);
  private readonly handlers = new Map<LocationOp, (err: unknown) => never>();

  private constructor(meter: Meter) {
    this.errors = meter.createCounter(METRIC_GRPC_ERRORS, { description: "Location requests that failed, by gRPC method and error type" });
  }

  /** Undefined for the no-op meter: then nothing is counted, and no handler is attached at all. */
  static create(meter: Meter): LocationClientMetrics | undefined {
    return meter === NOOP_METER ? undefined : new LocationClientMetrics(meter);
  }

  /** `promise`, with its failure counted. */
  counted<T>(op: LocationOp, promise: Promise<T>): Promise<T> {
    let handler = this.handlers.get(op);
    if (handler === undefined) {
      handler = (err: unknown): never => {
        try {
          this.errors.add(1, this.attributes.of(op, failureOf(err)));
        } catch {
          // Telemetry never throws into the call path.
        }
        throw err;
      };
      this.handlers.set(op, handler);
    }
    return promise.catch(handler);
  }
}
