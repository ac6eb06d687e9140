import { Metadata, status, type ServerDuplexStream } from "@grpc/grpc-js";
import { context, SpanKind, trace, type Tracer } from "@opentelemetry/api";
import { endLocationSpan, LOCATION_OPS, startLocationSpan, type LocationOp } from "@sipfleet/location-client/location-ops";
import { ExchangeError_Code, type ExchangeRequest, type ExchangeResponse } from "@sipfleet/proto";
import { contextFromCarrier } from "@sipfleet/telemetry";
import { OperationError, type LocationOperations } from "./location-operations.js";

type ExchangeCall = ServerDuplexStream<ExchangeRequest, ExchangeResponse>;

/** gRPC status of a failed operation → the ExchangeError code the client maps back. */
function errorCode(code: number): ExchangeError_Code {
  if (code === status.INVALID_ARGUMENT) return ExchangeError_Code.CODE_INVALID_ARGUMENT;
  if (code === status.UNAVAILABLE) return ExchangeError_Code.CODE_UNAVAILABLE;
  return ExchangeError_Code.CODE_INTERNAL;
}

/** error.type of an ExchangeError, for the server span. */
function failureOf(code: ExchangeError_Code): string {
  if (code === ExchangeError_Code.CODE_INVALID_ARGUMENT) return "invalid_argument";
  if (code === ExchangeError_Code.CODE_UNAVAILABLE) return "unavailable";
  return "internal";
}

/** The operation a request asks for, for its span's name and attributes. */
function opOf(request: ExchangeRequest): LocationOp | undefined {
  const op = request.op?.$case;
  return op === undefined ? undefined : (LOCATION_OPS as Record<string, LocationOp | undefined>)[op];
}

function hasEntries(map: Readonly<Record<string, string>> | undefined): boolean {
  for (const _ in map) return true;
  return false;
}

function errorResponse(id: number, code: ExchangeError_Code, message: string): ExchangeResponse {
  return { id, result: { $case: "error", value: { code, message } } };
}

/**
 * One Exchange call on the server: each request goes through LocationOperations, the same path
 * as the unary RPC of its name, and its response is written when it completes (so out of order).
 * At most `maxInFlight` requests run at once; one beyond that is answered UNAVAILABLE
 * "overloaded" at once, so a stream never queues without bound. The call ends (OK) once the
 * client has half-closed, or the server is draining, and nothing is in flight.
 *
 * A request that carries a trace context (a traced worker's) gets a SERVER span `location <Op>`
 * under it, and its operation runs in that span's context, so the store's Redis commands (the
 * ioredis instrumentation) nest under it. Requests without one make no span.
 */
export class ExchangeStream {
  private inFlight = 0;
  private clientDone = false;
  private draining = false;
  private closed = false;

  constructor(
    private readonly call: ExchangeCall,
    private readonly operations: LocationOperations,
    private readonly maxInFlight: number,
    private readonly onClosed: (stream: ExchangeStream) => void,
    private readonly tracer: Tracer | undefined,
  ) {
    // Headers at once: the client takes them as "this replica is up" before any response.
    call.sendMetadata(new Metadata());
    call.on("data", (request: ExchangeRequest) => this.receive(request));
    call.on("end", () => {
      this.clientDone = true;
      this.endIfIdle();
    });
    call.on("cancelled", () => this.close());
    call.on("error", () => this.close());
  }

  /** Server shutting down: answer what is in flight, refuse the rest (the client retries elsewhere), then end the call. */
  drain(): void {
    this.draining = true;
    this.endIfIdle();
  }

  private receive(request: ExchangeRequest): void {
    if (this.closed) return;
    if (this.draining) return this.write(errorResponse(request.id, ExchangeError_Code.CODE_UNAVAILABLE, "shutting down"));
    if (this.inFlight >= this.maxInFlight) return this.write(errorResponse(request.id, ExchangeError_Code.CODE_UNAVAILABLE, "overloaded"));
    this.inFlight++;
    void this.answer(request);
  }

  private async answer(request: ExchangeRequest): Promise<void> {
    const response = this.tracer !== undefined && hasEntries(request.traceContext) ? await this.tracedRespond(this.tracer, request) : await this.respond(request);
    this.inFlight--;
    this.write(response);
    this.endIfIdle();
  }

  private async tracedRespond(tracer: Tracer, request: ExchangeRequest): Promise<ExchangeResponse> {
    const parent = contextFromCarrier(request.traceContext);
    const op = opOf(request);
    if (op === undefined || trace.getSpanContext(parent) === undefined) return this.respond(request);
    const span = startLocationSpan(tracer, op, SpanKind.SERVER, parent);
    const response = await context.with(trace.setSpan(parent, span), () => this.respond(request));
    const result = response.result;
    if (result?.$case === "error") endLocationSpan(span, failureOf(result.value.code), result.value.message);
    else endLocationSpan(span);
    return response;
  }

  /** The response to one request; never rejects. */
  private async respond(request: ExchangeRequest): Promise<ExchangeResponse> {
    const id = request.id;
    let response: ExchangeResponse;
    try {
      const op = request.op;
      switch (op?.$case) {
        case "save":
          response = { id, result: { $case: "save", value: await this.operations.save(op.value) } };
          break;
        case "lookup":
          response = { id, result: { $case: "lookup", value: await this.operations.lookup(op.value) } };
          break;
        case "useNonce":
          response = { id, result: { $case: "useNonce", value: await this.operations.useNonce(op.value) } };
          break;
        case "remove":
          response = { id, result: { $case: "remove", value: await this.operations.remove(op.value) } };
          break;
        case undefined:
          response = errorResponse(id, ExchangeError_Code.CODE_INVALID_ARGUMENT, "op is required");
          break;
        default:
          throw new Error(`unknown op ${(op as { $case: string }).$case}`);
      }
    } catch (err) {
      response =
        err instanceof OperationError ? errorResponse(id, errorCode(err.code), err.message) : errorResponse(id, ExchangeError_Code.CODE_INTERNAL, String(err));
    }
    return response;
  }

  private write(response: ExchangeResponse): void {
    // The in-flight bound also bounds what one stream can have buffered here for a slow reader.
    if (!this.closed) this.call.write(response);
  }

  private endIfIdle(): void {
    if (this.closed || this.inFlight > 0 || !(this.clientDone || this.draining)) return;
    this.closed = true;
    this.call.end();
    this.onClosed(this);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed(this);
  }
}
