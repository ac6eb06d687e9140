import { ServerCredentials } from "@grpc/grpc-js";
import type { Meter, Tracer } from "@opentelemetry/api";
import type { Cluster, Redis } from "ioredis";
import { activeTracer, NOOP_METER } from "@sipfleet/telemetry";
import { MemoryCallSlots, type BindingStore, type CallSlotStore } from "@sipfleet/bindings";
import { ConfigError } from "./errors.js";
import { DEFAULT_LOCATION_SERVER_OPTIONS, createLocationServer } from "./location-server.js";
import { registerAorGauge } from "./location-metrics.js";
import { silentLogger, ThrottledLog, type Logger } from "./logger.js";
import { RedisBindingStore } from "./redis-binding-store.js";
import { RedisCallSlots } from "./redis-call-slots.js";

export interface LocationServiceOptions {
  /** `host:port` to listen on; port 0 takes a free one (see the returned address). */
  listen: string;
  /**
   * Where bindings live: a Redis URL (see parseRedisTarget), a Redis/Cluster connection the caller
   * owns, or any BindingStore (the caller closes it).
   */
  store: string | Redis | Cluster | BindingStore;
  /** With a URL: the URL lists Redis Cluster nodes. */
  redisCluster: boolean;
  logger: Logger;
  /** After SIGTERM/stop(): how long in-flight calls may take before the rest are cancelled. */
  shutdownGraceMs: number;
  /** Requests one Exchange stream may have running at once (see LocationServerOptions). */
  maxInFlightPerStream: number;
  /**
   * Where concurrent-call slots live. Default: in the same Redis as the bindings; with a
   * BindingStore given as `store` (tests, one replica), in this process's memory.
   */
  callSlots?: CallSlotStore;
  /** Operation counters and durations, and (with a Redis store) the AOR gauge. NOOP_METER: none. */
  meter: Meter;
  /** The AOR gauge counts (SCANs) at most once per this many ms. */
  aorCountIntervalMs: number;
  /** Spans for traced Exchange requests; default activeTracer() at start, undefined (given): none. */
  tracer?: Tracer | undefined;
}

export const DEFAULT_LOCATION_SERVICE_OPTIONS: Omit<LocationServiceOptions, "store"> = {
  listen: "127.0.0.1:50051",
  redisCluster: false,
  logger: silentLogger,
  shutdownGraceMs: 5000,
  maxInFlightPerStream: DEFAULT_LOCATION_SERVER_OPTIONS.maxInFlightPerStream,
  meter: NOOP_METER,
  aorCountIntervalMs: 30_000,
};

export interface RunningLocationService {
  /** The bound `host:port`. */
  readonly address: string;
  /** For readiness: true when the store's Redis answers PING now (always true for a BindingStore given as `store`). */
  ready(): Promise<boolean>;
  /** Stops accepting calls, lets in-flight ones finish (up to shutdownGraceMs), then closes the store it opened. */
  stop(): Promise<void>;
}

function isBindingStore(s: LocationServiceOptions["store"]): s is BindingStore {
  return typeof s === "object" && s !== null && "lookup" in s && "save" in s && typeof (s as BindingStore).list === "function";
}

/** Starts the location gRPC service: what main.ts, the embedded runner and the cluster runner call. */
export async function startLocationService(options: Partial<LocationServiceOptions> & Pick<LocationServiceOptions, "store">): Promise<RunningLocationService> {
  const o: LocationServiceOptions = { ...DEFAULT_LOCATION_SERVICE_OPTIONS, ...options };
  const { host, port } = listenAddress(o.listen);
  let store: BindingStore;
  let ownsStore = false;
  let callSlots = o.callSlots;
  let redis: Redis | Cluster | undefined;
  let countAors: (() => Promise<number>) | undefined;
  if (isBindingStore(o.store)) {
    store = o.store;
    callSlots ??= new MemoryCallSlots();
  } else if (typeof o.store === "string") {
    // An outage is logged, throttled (every reconnect attempt fails the same way).
    const redisErrors = new ThrottledLog(o.logger);
    const redisStore = new RedisBindingStore(o.store, { cluster: o.redisCluster, connection: { onError: (err) => redisErrors.warn({ err }, "redis connection error") } });
    callSlots ??= new RedisCallSlots(redisStore.connection);
    redis = redisStore.connection;
    store = redisStore;
    countAors = () => redisStore.countAors();
    ownsStore = true;
  } else {
    const redisStore = new RedisBindingStore(o.store);
    store = redisStore;
    countAors = () => redisStore.countAors();
    redis = o.store;
    callSlots ??= new RedisCallSlots(o.store);
  }
  const tracer = "tracer" in options ? options.tracer : activeTracer();
  const server = createLocationServer(store, { logger: o.logger, maxInFlightPerStream: o.maxInFlightPerStream, callSlots, meter: o.meter, tracer });
  let boundPort: number;
  try {
    boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host.includes(":") ? `[${host}]` : host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  } catch (err) {
    server.forceShutdown();
    if (ownsStore) await store.close();
    throw err;
  }
  const address = `${host.includes(":") ? `[${host}]` : host}:${boundPort}`;
  o.logger.info({ address }, "location service ready");
  const unregisterAorGauge = countAors === undefined || o.meter === NOOP_METER ? undefined : registerAorGauge(o.meter, countAors, { refreshMs: o.aorCountIntervalMs });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      unregisterAorGauge?.();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          o.logger.warn({ graceMs: o.shutdownGraceMs }, "location service: in-flight calls cancelled at the end of the grace period");
          server.forceShutdown();
          resolve();
        }, o.shutdownGraceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      if (ownsStore) await store.close();
      o.logger.info({ address }, "location service stopped");
    })());
  const ready = async (): Promise<boolean> => {
    if (redis === undefined) return true;
    try {
      // A Cluster's ping goes to one node; a node down shows in the calls' errors, not here.
      return (await redis.ping()) === "PONG";
    } catch {
      return false;
    }
  };
  return { address, ready, stop };
}

/** `host:port` (IPv6 in brackets) → parts; throws ConfigError naming LOCATION_LISTEN. */
export function listenAddress(text: string, what = "LOCATION_LISTEN"): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(text.trim());
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !(port >= 0 && port <= 65535)) throw new ConfigError(`${what}: expected host:port, got "${text}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}
