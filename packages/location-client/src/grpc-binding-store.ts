import { isIPv4, isIPv6 } from "node:net";
import { Metadata, credentials as grpcCredentials, status, type CallOptions, type ChannelCredentials, type ChannelOptions, type ServiceError } from "@grpc/grpc-js";
import type { AcquireCallSlots, AcquireCallSlotsResult, Binding, BindingStore, CallSlotStore, ListPage, SaveBindings, SaveResult, UseNonce, UseNonceResult } from "@sipfleet/bindings";
import { LocationServiceClient, type AcquireCallSlotsResponse, type ExchangeRequest, type ReleaseCallSlotsResponse, type ListResponse, type LookupResponse, type RemoveResponse, type SaveResponse, type UseNonceResponse } from "@sipfleet/proto";
import { context, SpanKind, trace, type Meter, type Span, type Tracer } from "@opentelemetry/api";
import { activeTracer, NOOP_METER, traceCarrier } from "@sipfleet/telemetry";
import { LocationClientMetrics, failureOf } from "./client-metrics.js";
import { LocationRequestError, LocationUnavailableError } from "./errors.js";
import { ExchangeBalancer, type ExchangeResult } from "./exchange-balancer.js";
import { endLocationSpan, LOCATION_OPS, startLocationSpan, type LocationOp } from "./location-ops.js";
import { bindingFromWire, listPageFromWire, saveResultFromWire, saveToWire, useNonceResultFromWire, useNonceToWire } from "./wire.js";

export interface GrpcBindingStoreOptions {
  /** Per call, retries included. */
  deadlineMs: number;
  /** Attempts per call when a replica answers UNAVAILABLE (or never got it), each on the next replica. */
  maxAttempts: number;
  /**
   * HTTP/2 PING interval and how long to wait for its ack: a replica that died without closing
   * its connections (host gone, network cut) is taken out of the rotation within about
   * keepaliveTimeMs + keepaliveTimeoutMs rather than the TCP timeout of minutes.
   */
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** Reconnect backoff towards a replica that went away, so a restarted one is back in the rotation soon. */
  initialReconnectBackoffMs: number;
  maxReconnectBackoffMs: number;
  credentials: ChannelCredentials;
  /** Extra grpc-js channel options, applied last. */
  channelOptions: Partial<ChannelOptions>;
  /**
   * "stream": Save/Lookup/Remove over one Exchange stream per replica address (the default; see
   * ExchangeBalancer). "unary": one unary RPC each, balanced by grpc-js round_robin. A single
   * resolver target (`dns:///name:port`, `ipv4:…`) always takes the unary path: grpc-js keeps
   * re-resolving it as replicas come and go, which a fixed set of streams would not.
   */
  transport: "stream" | "unary";
  /**
   * Spans for Exchange requests (`location <Method>`, kind CLIENT) made inside a recording span,
   * their context carried in the request. Default: activeTracer() when the store is made;
   * undefined (given as such): none. Unary calls are the grpc-js instrumentation's.
   */
  tracer?: Tracer | undefined;
  /** Where METRIC_GRPC_ERRORS is counted (NOOP_METER: nowhere). */
  meter: Meter;
}

export const DEFAULT_GRPC_BINDING_STORE_OPTIONS: GrpcBindingStoreOptions = {
  deadlineMs: 2000,
  maxAttempts: 3,
  keepaliveTimeMs: 5000,
  keepaliveTimeoutMs: 2000,
  initialReconnectBackoffMs: 200,
  maxReconnectBackoffMs: 2000,
  credentials: grpcCredentials.createInsecure(),
  channelOptions: {},
  transport: "stream",
  meter: NOOP_METER,
};

const SERVICE_NAME = "sipfleet.location.v1.LocationService";

/**
 * The grpc-js target for a set of location replicas: one entry is used as it is (`host:port`,
 * `dns:///location.sipfleet.svc:50051` — DNS gives every replica); several must be IP:port entries
 * (`ipv4:` / `ipv6:` address lists: grpc-js resolves no list of names).
 */
export function locationTarget(addresses: readonly string[] | string): string {
  const list = typeof addresses === "string" ? addresses.split(",").map((a) => a.trim()).filter((a) => a !== "") : addresses;
  if (list.length === 0) throw new Error("location addresses: none given");
  if (list.length === 1) return list[0]!;
  if (list.every((a) => isIPv4(hostOf(a)))) return "ipv4:" + list.join(",");
  if (list.every((a) => isIPv6(hostOf(a).replace(/^\[|\]$/g, "")))) return "ipv6:" + list.join(",");
  throw new Error(`location addresses: a list must be all IPv4 or all IPv6 host:port entries (got ${list.join(", ")}); for names use one dns:///name:port target`);
}

function hostOf(address: string): string {
  const colon = address.lastIndexOf(":");
  return colon < 0 ? address : address.slice(0, colon);
}

/**
 * The grpc-js service config: round_robin across every replica the target resolves to, and a
 * retry policy for UNAVAILABLE, which grpc-js sends to the next replica the balancer picks.
 * Retrying a Save is safe: a retried Save whose first attempt reached Redis finds its own
 * Call-ID and CSeq stored and its nonce count recorded, which the store takes as a
 * retransmission (saved, nothing changed) — see the equal-CSeq rule of the BindingStore.
 */
export function locationServiceConfig(maxAttempts: number): string {
  return JSON.stringify({
    loadBalancingConfig: [{ round_robin: {} }],
    methodConfig: [
      {
        name: [{ service: SERVICE_NAME }],
        retryPolicy: {
          maxAttempts: Math.max(2, maxAttempts),
          initialBackoff: "0.01s",
          maxBackoff: "0.2s",
          backoffMultiplier: 2,
          retryableStatusCodes: ["UNAVAILABLE"],
        },
      },
    ],
  });
}

type Callback<T> = (error: ServiceError | null, response: T) => void;

function addressList(addresses: readonly string[] | string): string[] {
  return typeof addresses === "string" ? addresses.split(",").map((a) => a.trim()).filter((a) => a !== "") : [...addresses];
}

/** `dns:///name:port`, `ipv4:a,b`, `unix:path`…: a target grpc-js resolves itself, not one host:port. */
export function isResolverTarget(address: string): boolean {
  return /^[a-z][a-z0-9+.-]*:(?!\d+$)/i.test(address) && !/^\[/.test(address);
}

/**
 * BindingStore over the location service's gRPC API: what registrar and proxy workers use in
 * cluster mode. Save, Lookup and Remove go over one long-lived Exchange stream per replica (a
 * unary call costs an HTTP/2 stream setup each; see docs/architecture.md), List stays unary.
 * Failures reach the caller as LocationUnavailableError (retry later, 503) or
 * LocationRequestError (the request was malformed).
 */
export class GrpcBindingStore implements BindingStore, CallSlotStore {
  private readonly options: GrpcBindingStoreOptions;
  /** Unary mode: one round_robin channel over every replica. */
  private readonly unary: LocationServiceClient | undefined;
  /** Stream mode: a channel and a stream per replica. */
  private readonly streams: ExchangeBalancer | undefined;
  private readonly tracer: Tracer | undefined;
  private readonly metrics: LocationClientMetrics | undefined;

  constructor(addresses: readonly string[] | string, options: Partial<GrpcBindingStoreOptions> = {}) {
    this.options = { ...DEFAULT_GRPC_BINDING_STORE_OPTIONS, ...options };
    const o = this.options;
    this.tracer = "tracer" in options ? options.tracer : activeTracer();
    this.metrics = LocationClientMetrics.create(o.meter);
    const list = addressList(addresses);
    const channelOptions: Partial<ChannelOptions> = {
      // Our config, not one from DNS TXT records.
      "grpc.service_config_disable_resolution": 1,
      "grpc.keepalive_time_ms": o.keepaliveTimeMs,
      "grpc.keepalive_timeout_ms": o.keepaliveTimeoutMs,
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.initial_reconnect_backoff_ms": o.initialReconnectBackoffMs,
      "grpc.max_reconnect_backoff_ms": o.maxReconnectBackoffMs,
    };
    if (o.transport === "unary" || (list.length === 1 && isResolverTarget(list[0]!))) {
      this.unary = new LocationServiceClient(locationTarget(list), o.credentials, {
        ...channelOptions,
        "grpc.service_config": locationServiceConfig(o.maxAttempts),
        ...o.channelOptions,
      });
    } else {
      if (list.length === 0) throw new Error("location addresses: none given");
      const clients = list.map((address) => ({ address, client: new LocationServiceClient(address, o.credentials, { ...channelOptions, ...o.channelOptions }) }));
      this.streams = new ExchangeBalancer(clients, o);
    }
  }

  save(request: SaveBindings): Promise<SaveResult> {
    if (this.streams !== undefined) return this.exchange(LOCATION_OPS.save, { $case: "save", value: saveToWire(request) }) as Promise<SaveResult>;
    return this.counted(LOCATION_OPS.save, this.unarySave(request));
  }

  private async unarySave(request: SaveBindings): Promise<SaveResult> {
    const response = await this.call<SaveResponse>((md, opts, cb) => this.unary!.save(saveToWire(request), md, opts, cb));
    const result = saveResultFromWire(response, Date.now());
    if (typeof result === "string") throw new LocationUnavailableError(`location Save: ${result}`, status.INTERNAL);
    return result;
  }

  /** Retried like a Save: a retried use whose first attempt was recorded is the same Call-ID and CSeq, accepted again. */
  useNonce(request: UseNonce): Promise<UseNonceResult> {
    if (this.streams !== undefined) return this.exchange(LOCATION_OPS.useNonce, { $case: "useNonce", value: useNonceToWire(request) }) as Promise<UseNonceResult>;
    return this.counted(
      LOCATION_OPS.useNonce,
      this.call<UseNonceResponse>((md, opts, cb) => this.unary!.useNonce(useNonceToWire(request), md, opts, cb)).then(useNonceResultFromWire),
    );
  }

  /**
   * For readiness probes: true when a lookup of an AOR no one registers gets an answer, one read
   * through gRPC and the location service's Redis, the path every request of a worker takes.
   * Never rejects.
   */
  reachable(): Promise<boolean> {
    return this.lookup("sip:readiness-probe@sipfleet.invalid").then(
      () => true,
      () => false,
    );
  }

  lookup(aor: string): Promise<Binding[]> {
    if (this.streams !== undefined) return this.exchange(LOCATION_OPS.lookup, { $case: "lookup", value: { aor } }) as Promise<Binding[]>;
    return this.counted(
      LOCATION_OPS.lookup,
      this.call<LookupResponse>((md, opts, cb) => this.unary!.lookup({ aor }, md, opts, cb)).then((response) => {
        const now = Date.now();
        return response.bindings.map((b) => bindingFromWire(b, now));
      }),
    );
  }

  remove(aor: string, keys: readonly string[]): Promise<number> {
    if (this.streams !== undefined) return this.exchange(LOCATION_OPS.remove, { $case: "remove", value: { aor, keys: [...keys] } }) as Promise<number>;
    return this.counted(LOCATION_OPS.remove, this.call<RemoveResponse>((md, opts, cb) => this.unary!.remove({ aor, keys: [...keys] }, md, opts, cb)).then((r) => r.removed));
  }

  list(pageSize: number, pageToken: string | undefined): Promise<ListPage> {
    const request = { pageSize: Math.max(0, Math.floor(pageSize)), pageToken: pageToken ?? "" };
    return this.counted(
      LOCATION_OPS.list,
      this.unaryCall<ListResponse>((client, md, opts, cb) => client.list(request, md, opts, cb)).then((r) => listPageFromWire(r, Date.now())),
    );
  }

  /**
   * One request over the Exchange streams. Traced only when a tracer is set and the caller is in
   * a recording span (a worker's decision): readiness probes and untraced requests make no span
   * and carry no context.
   */
  private exchange(op: LocationOp, request: ExchangeRequest["op"]): Promise<ExchangeResult> {
    const span = this.tracer === undefined ? undefined : clientSpan(this.tracer, op);
    if (span === undefined) return this.counted(op, this.streams!.send(request));
    // send() never throws: a failure (client closed, no replica) is a rejection.
    const promise = this.streams!.send(request, traceCarrier(trace.setSpan(context.active(), span)));
    promise.then(
      () => endLocationSpan(span),
      (err: unknown) => endLocationSpan(span, failureOf(err), err instanceof Error ? err.message : undefined),
    );
    return this.counted(op, promise);
  }

  private counted<T>(op: LocationOp, promise: Promise<T>): Promise<T> {
    return this.metrics === undefined ? promise : this.metrics.counted(op, promise);
  }

  /**
   * Unary (slots are taken once per call, not at a rate worth a stream op). Retried like a Save:
   * the same attempt asked again keeps the slot it took.
   */
  acquireCallSlots(request: AcquireCallSlots): Promise<AcquireCallSlotsResult> {
    return this.counted(LOCATION_OPS.acquireCallSlots, this.unaryAcquireCallSlots(request));
  }

  private async unaryAcquireCallSlots(request: AcquireCallSlots): Promise<AcquireCallSlotsResult> {
    const wire = {
      callId: request.callId,
      inviteCseq: request.inviteCseq,
      claims: request.claims.map((c) => ({ key: c.key, limit: c.limit })),
      ttlMs: request.ttlMs,
    };
    const response = await this.unaryCall<AcquireCallSlotsResponse>((client, md, opts, cb) => client.acquireCallSlots(wire, md, opts, cb));
    return response.acquired ? { acquired: true } : { acquired: false, fullKey: response.fullKey };
  }

  /** Idempotent, so retried freely. */
  releaseCallSlots(callId: string, upToCseq: number): Promise<number> {
    return this.counted(
      LOCATION_OPS.releaseCallSlots,
      this.unaryCall<ReleaseCallSlotsResponse>((client, md, opts, cb) => client.releaseCallSlots({ callId, upToCseq }, md, opts, cb)).then((r) => r.released),
    );
  }

  /** A unary RPC: over the round_robin channel, or (stream mode) each replica's channel in turn, the next one on UNAVAILABLE, within one deadline. */
  private async unaryCall<T>(invoke: (client: LocationServiceClient, md: Metadata, options: Partial<CallOptions>, callback: Callback<T>) => void): Promise<T> {
    if (this.unary !== undefined) return this.call<T>((md, opts, cb) => invoke(this.unary!, md, opts, cb));
    const deadline = Date.now() + this.options.deadlineMs;
    const clients = this.streams!.clientsInTurn().slice(0, Math.max(1, this.options.maxAttempts));
    let last: unknown;
    for (const client of clients) {
      try {
        return await this.call<T>((md, opts, cb) => invoke(client, md, opts, cb), deadline);
      } catch (err) {
        last = err;
        if (!(err instanceof LocationUnavailableError) || err.code !== status.UNAVAILABLE || Date.now() >= deadline) break;
      }
    }
    throw last;
  }

  async close(): Promise<void> {
    this.unary?.close();
    this.streams?.close();
  }

  private call<T>(invoke: (md: Metadata, options: Partial<CallOptions>, callback: Callback<T>) => void, deadline = Date.now() + this.options.deadlineMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      invoke(new Metadata(), { deadline }, (error, response) => {
        if (error === null) resolve(response);
        else reject(toLocationError(error));
      });
    });
  }
}

function toLocationError(error: ServiceError): Error {
  if (error.code === status.INVALID_ARGUMENT) return new LocationRequestError(`location service: ${error.details}`, { cause: error });
  return new LocationUnavailableError(`location service unavailable: ${status[error.code] ?? error.code}: ${error.details}`, error.code, { cause: error });
}

/** A CLIENT span under the caller's span, when there is a recording one; else none. */
function clientSpan(tracer: Tracer, op: LocationOp): Span | undefined {
  const parent = context.active();
  const caller = trace.getSpan(parent);
  if (caller === undefined || !caller.isRecording()) return undefined;
  return startLocationSpan(tracer, op, SpanKind.CLIENT, parent);
}
