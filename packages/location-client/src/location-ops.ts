import { SpanKind, SpanStatusCode, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { ATTR_ERROR_TYPE, ATTR_OUTCOME, ATTR_RPC_METHOD, ATTR_RPC_SERVICE, ATTR_RPC_SYSTEM, ATTR_SIPFLEET_LOCATION_OP, locationSpanName } from "@sipfleet/telemetry";

export const LOCATION_RPC_SERVICE = "sipfleet.location.v1.LocationService";

/**
 * One LocationService operation as telemetry names it: the gRPC method, the
 * sipfleet.location.op value, and the attribute objects built once here rather than per request.
 */
export interface LocationOp {
  readonly rpcMethod: string;
  readonly op: string;
  readonly spanName: string;
  /** rpc.system, rpc.service, rpc.method, sipfleet.location.op: client and server spans. */
  readonly spanAttributes: Attributes;
  /** {sipfleet.location.op}: the duration histogram. */
  readonly opAttributes: Attributes;
  /** {rpc.method}: prefix of the failure counters' attributes. */
  readonly methodAttributes: Attributes;
}

function locationOp(rpcMethod: string, op: string): LocationOp {
  return Object.freeze({
    rpcMethod,
    op,
    spanName: locationSpanName(rpcMethod),
    spanAttributes: Object.freeze({ [ATTR_RPC_SYSTEM]: "grpc", [ATTR_RPC_SERVICE]: LOCATION_RPC_SERVICE, [ATTR_RPC_METHOD]: rpcMethod, [ATTR_SIPFLEET_LOCATION_OP]: op }),
    opAttributes: Object.freeze({ [ATTR_SIPFLEET_LOCATION_OP]: op }),
    methodAttributes: Object.freeze({ [ATTR_RPC_METHOD]: rpcMethod }),
  });
}

export const LOCATION_OPS = Object.freeze({
  save: locationOp("Save", "save"),
  lookup: locationOp("Lookup", "lookup"),
  useNonce: locationOp("UseNonce", "use_nonce"),
  remove: locationOp("Remove", "remove"),
  list: locationOp("List", "list"),
  acquireCallSlots: locationOp("AcquireCallSlots", "acquire_call_slots"),
  releaseCallSlots: locationOp("ReleaseCallSlots", "release_call_slots"),
});

/** How a location request failed, as error.type / outcome: from a gRPC status code. */
export type LocationFailure = "unavailable" | "deadline_exceeded" | "invalid_argument" | "internal";

export function failureOfCode(code: number): LocationFailure {
  // grpc-js `status`: 3 INVALID_ARGUMENT, 4 DEADLINE_EXCEEDED, 14 UNAVAILABLE; a closed client (1 CANCELLED) could not reach a replica either.
  if (code === 14 || code === 1) return "unavailable";
  if (code === 4) return "deadline_exceeded";
  if (code === 3) return "invalid_argument";
  return "internal";
}

/** Attribute sets keyed by failure, built once per op on first use: {rpc.method, error.type} or {sipfleet.location.op, outcome}. */
export class AttributesByOutcome {
  private readonly cache = new Map<string, Attributes>();

  constructor(private readonly key: typeof ATTR_ERROR_TYPE | typeof ATTR_OUTCOME) {}

  of(op: LocationOp, outcome: string): Attributes {
    const k = op.rpcMethod + "\u0000" + outcome;
    let a = this.cache.get(k);
    if (a === undefined) {
      a = Object.freeze({ ...(this.key === ATTR_ERROR_TYPE ? op.methodAttributes : op.opAttributes), [this.key]: outcome });
      this.cache.set(k, a);
    }
    return a;
  }
}

/** A location span (`location <Method>`) of `kind` under `parent`. */
export function startLocationSpan(tracer: Tracer, op: LocationOp, kind: SpanKind.CLIENT | SpanKind.SERVER, parent: Context): Span {
  return tracer.startSpan(op.spanName, { kind, attributes: op.spanAttributes }, parent);
}

/** Ends a location span, with ERROR status and error.type when `failure` is given. Never throws. */
export function endLocationSpan(span: Span, failure?: string, message?: string): void {
  try {
    if (failure !== undefined) {
      span.setAttribute(ATTR_ERROR_TYPE, failure);
      span.setStatus({ code: SpanStatusCode.ERROR, ...(message === undefined ? {} : { message }) });
    }
    span.end();
  } catch {
    // Telemetry never throws into the call path.
  }
}
