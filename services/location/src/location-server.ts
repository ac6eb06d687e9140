import { Server, type ServerOptions, type ServiceError, type sendUnaryData } from "@grpc/grpc-js";
import type { Meter, Tracer } from "@opentelemetry/api";
import type { BindingStore, CallSlotStore } from "@sipfleet/bindings";
import { activeTracer, NOOP_METER } from "@sipfleet/telemetry";
import { LocationServiceService, type LocationServiceServer } from "@sipfleet/proto";
import { ExchangeStream } from "./exchange-stream.js";
import { LocationMetrics } from "./location-metrics.js";
import { LocationOperations, OperationError } from "./location-operations.js";
import { silentLogger, type Logger } from "./logger.js";

export interface LocationServerOptions {
  logger: Logger;
  now: () => number;
  /** Page size for a List that asks for 0, and the most any page holds. */
  defaultPageSize: number;
  maxPageSize: number;
  /** Requests one Exchange stream may have running at once; beyond that they are answered UNAVAILABLE "overloaded". */
  maxInFlightPerStream: number;
  serverOptions: ServerOptions;
  /** Where concurrent-call slots live; without it AcquireCallSlots/ReleaseCallSlots answer UNIMPLEMENTED. */
  callSlots?: CallSlotStore;
  /**
   * SERVER spans for Exchange requests that carry a trace context. Default: activeTracer() when
   * the server is made; undefined (given as such): none. Unary RPCs are the grpc-js
   * instrumentation's: their handlers run in its context, so the store's Redis spans nest.
   */
  tracer?: Tracer | undefined;
  /** METRIC_LOCATION_OPERATIONS and _DURATION (NOOP_METER: none). */
  meter: Meter;
}

export const DEFAULT_LOCATION_SERVER_OPTIONS: LocationServerOptions = {
  logger: silentLogger,
  now: Date.now,
  defaultPageSize: 100,
  maxPageSize: 1000,
  maxInFlightPerStream: 1024,
  meter: NOOP_METER,
  serverOptions: {
    // Notice clients that vanished without closing (their streams and sockets are freed).
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 10_000,
  },
};

function reply<T>(promise: Promise<T>, callback: sendUnaryData<T>): void {
  promise.then(
    (response) => callback(null, response),
    (err: OperationError) => callback({ code: err.code, details: err.message } satisfies Partial<ServiceError>, null),
  );
}

/**
 * A grpc-js Server whose graceful shutdown also ends the open Exchange streams: grpc-js's
 * tryShutdown waits for every call to finish, and a long-lived stream only finishes when one
 * side ends it. Each stream answers what it has in flight, then ends.
 */
export class LocationServer extends Server {
  private readonly streams = new Set<ExchangeStream>();
  private shuttingDown = false;

  override tryShutdown(callback: (error?: Error) => void): void {
    this.shuttingDown = true;
    super.tryShutdown(callback);
    for (const stream of [...this.streams]) stream.drain();
  }

  /** @internal the Exchange handler's bookkeeping */
  track(stream: ExchangeStream): void {
    this.streams.add(stream);
    if (this.shuttingDown) stream.drain();
  }

  /** @internal */
  untrack(stream: ExchangeStream): void {
    this.streams.delete(stream);
  }
}

/**
 * The LocationService handlers over a BindingStore (not bound: the caller binds and starts it).
 * Unary RPCs and Exchange both run LocationOperations: malformed requests get INVALID_ARGUMENT
 * naming the field; a store failure (Redis down or slow) gets UNAVAILABLE, which clients retry on
 * another replica and then report; no request can throw out of a handler.
 */
export function createLocationServer(store: BindingStore, options: Partial<LocationServerOptions> = {}): LocationServer {
  const o = { ...DEFAULT_LOCATION_SERVER_OPTIONS, ...options };
  const operations = new LocationOperations(store, o, o.callSlots, LocationMetrics.create(o.meter));
  const tracer = "tracer" in options ? options.tracer : activeTracer();
  const server = new LocationServer(o.serverOptions);
  const untrack = (stream: ExchangeStream) => server.untrack(stream);

  const handlers: LocationServiceServer = {
    save: (call, callback) => reply(operations.save(call.request), callback),
    useNonce: (call, callback) => reply(operations.useNonce(call.request), callback),
    lookup: (call, callback) => reply(operations.lookup(call.request), callback),
    remove: (call, callback) => reply(operations.remove(call.request), callback),
    list: (call, callback) => reply(operations.list(call.request), callback),
    acquireCallSlots: (call, callback) => reply(operations.acquireCallSlots(call.request), callback),
    releaseCallSlots: (call, callback) => reply(operations.releaseCallSlots(call.request), callback),
    exchange: (call) => server.track(new ExchangeStream(call, operations, o.maxInFlightPerStream, untrack, tracer)),
  };

  server.addService(LocationServiceService, handlers);
  return server;
}
