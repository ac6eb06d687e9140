import { isIPv4, isIPv6 } from "node:net";
import { Metadata, credentials as grpcCredentials, status, type CallOptions, type ChannelCredentials, type ChannelOptions, type ServiceError } from "@grpc/grpc-js";
import type { Binding, BindingStore, ListPage, SaveBindings, SaveResult } from "@sipfleet/bindings";
import { LocationServiceClient, type ListResponse, type LookupResponse, type RemoveResponse, type SaveResponse } from "@sipfleet/proto";
import { LocationRequestError, LocationUnavailableError } from "./errors.js";
import { bindingFromWire, listPageFromWire, saveResultFromWire, saveToWire } from "./wire.js";

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

/**
 * BindingStore over the location service's gRPC API: what registrar and proxy workers use in
 * cluster mode. Failures reach the caller as LocationUnavailableError (retry later, 503) or
 * LocationRequestError (the request was malformed).
 */
export class GrpcBindingStore implements BindingStore {
  private readonly client: LocationServiceClient;
  private readonly options: GrpcBindingStoreOptions;

  constructor(addresses: readonly string[] | string, options: Partial<GrpcBindingStoreOptions> = {}) {
    this.options = { ...DEFAULT_GRPC_BINDING_STORE_OPTIONS, ...options };
    const o = this.options;
    this.client = new LocationServiceClient(locationTarget(addresses), o.credentials, {
      "grpc.service_config": locationServiceConfig(o.maxAttempts),
      // Our config, not one from DNS TXT records.
      "grpc.service_config_disable_resolution": 1,
      "grpc.keepalive_time_ms": o.keepaliveTimeMs,
      "grpc.keepalive_timeout_ms": o.keepaliveTimeoutMs,
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.initial_reconnect_backoff_ms": o.initialReconnectBackoffMs,
      "grpc.max_reconnect_backoff_ms": o.maxReconnectBackoffMs,
      ...o.channelOptions,
    });
  }

  async save(request: SaveBindings): Promise<SaveResult> {
    const response = await this.call<SaveResponse>((md, opts, cb) => this.client.save(saveToWire(request), md, opts, cb));
    const result = saveResultFromWire(response, Date.now());
    if (typeof result === "string") throw new LocationUnavailableError(`location Save: ${result}`, status.INTERNAL);
    return result;
  }

  async lookup(aor: string): Promise<Binding[]> {
    const response = await this.call<LookupResponse>((md, opts, cb) => this.client.lookup({ aor }, md, opts, cb));
    const now = Date.now();
    return response.bindings.map((b) => bindingFromWire(b, now));
  }

  async remove(aor: string, keys: readonly string[]): Promise<number> {
    const response = await this.call<RemoveResponse>((md, opts, cb) => this.client.remove({ aor, keys: [...keys] }, md, opts, cb));
    return response.removed;
  }

  async list(pageSize: number, pageToken: string | undefined): Promise<ListPage> {
    const response = await this.call<ListResponse>((md, opts, cb) =>
      this.client.list({ pageSize: Math.max(0, Math.floor(pageSize)), pageToken: pageToken ?? "" }, md, opts, cb),
    );
    return listPageFromWire(response, Date.now());
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private call<T>(invoke: (md: Metadata, options: Partial<CallOptions>, callback: Callback<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      invoke(new Metadata(), { deadline: Date.now() + this.options.deadlineMs }, (error, response) => {
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
