import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { ConfigError } from "./errors.js";
import { ThrottledLog, type Logger } from "./logger.js";

/**
 * Where the location service's Redis is:
 * - `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS): one server;
 * - `redis+cluster://[user:password@]host1:port1,host2:port2,...` (or `rediss+cluster://`): a
 *   Redis Cluster, the nodes being seeds for discovering the rest;
 * - with REDIS_CLUSTER=1, the same node list written as `host1:port1,host2:port2` or as
 *   comma-separated `redis://` URLs.
 */
export type RedisTarget =
  | { readonly kind: "standalone"; readonly url: string }
  | {
      readonly kind: "cluster";
      readonly nodes: readonly { readonly host: string; readonly port: number }[];
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly tls: boolean;
    };

/** `what` names the setting in errors (e.g. "REDIS_URL"). */
export function parseRedisTarget(text: string, cluster = false, what = "REDIS_URL"): RedisTarget {
  const value = text.trim();
  if (value === "") throw new ConfigError(`${what}: empty`);
  const scheme = /^([a-z+]+):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === "redis+cluster" || scheme === "rediss+cluster") {
    const rest = value.slice(scheme.length + 3);
    const at = rest.lastIndexOf("@");
    const auth = at < 0 ? undefined : rest.slice(0, at);
    const hosts = (at < 0 ? rest : rest.slice(at + 1)).replace(/\/.*$/, "");
    const { username, password } = splitAuth(auth);
    return { kind: "cluster", nodes: hosts.split(",").map((h) => hostPort(h, what)), username, password, tls: scheme === "rediss+cluster" };
  }
  const entries = value.split(",").map((e) => e.trim());
  if (cluster) {
    let username: string | undefined;
    let password: string | undefined;
    let tls = false;
    const nodes = entries.map((entry) => {
      if (!/^rediss?:\/\//i.test(entry)) return hostPort(entry, what);
      const u = parseUrl(entry, what);
      if (u.username !== "" || u.password !== "") ({ username, password } = { username: dec(u.username), password: dec(u.password) });
      tls ||= u.protocol === "rediss:";
      return hostPort(u.host, what);
    });
    return { kind: "cluster", nodes, username, password, tls };
  }
  if (entries.length > 1) throw new ConfigError(`${what}: several nodes need REDIS_CLUSTER=1 or a redis+cluster:// URL`);
  if (scheme === undefined) {
    hostPort(value, what);
    return { kind: "standalone", url: `redis://${value}` };
  }
  if (scheme !== "redis" && scheme !== "rediss") throw new ConfigError(`${what}: unknown scheme "${scheme}://" (redis://, rediss://, redis+cluster://)`);
  parseUrl(value, what);
  return { kind: "standalone", url: value };
}

function parseUrl(text: string, what: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new ConfigError(`${what}: not a URL: "${text}"`);
  }
}

function dec(s: string): string | undefined {
  return s === "" ? undefined : decodeURIComponent(s);
}

function splitAuth(auth: string | undefined): { username: string | undefined; password: string | undefined } {
  if (auth === undefined) return { username: undefined, password: undefined };
  const colon = auth.indexOf(":");
  if (colon < 0) return { username: undefined, password: dec(auth) };
  return { username: dec(auth.slice(0, colon)), password: dec(auth.slice(colon + 1)) };
}

function hostPort(text: string, what: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/]+):(\d{1,5})$/.exec(text.trim());
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !(port >= 1 && port <= 65535)) throw new ConfigError(`${what}: expected host:port, got "${text}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

/**
 * Connection behaviour for a store that must fail fast and heal by itself: a command waits
 * through at most one reconnect attempt (maxRetriesPerRequest 1) and for at most
 * commandTimeoutMs, reconnect attempts back off up to half a second, and auto-pipelining batches the
 * concurrent scripts of many requests into one write.
 */
export interface RedisConnectionOptions {
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  maxReconnectDelayMs: number;
  logger: Logger | undefined;
}

export const DEFAULT_REDIS_CONNECTION_OPTIONS: RedisConnectionOptions = {
  commandTimeoutMs: 1000,
  connectTimeoutMs: 2000,
  maxReconnectDelayMs: 500,
  logger: undefined,
};

export function createRedisConnection(target: RedisTarget, options: Partial<RedisConnectionOptions> = {}): Redis | Cluster {
  const o = { ...DEFAULT_REDIS_CONNECTION_OPTIONS, ...options };
  const common: RedisOptions = {
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: o.commandTimeoutMs,
    connectTimeout: o.connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(times * 100, o.maxReconnectDelayMs),
  };
  let connection: Redis | Cluster;
  if (target.kind === "standalone") {
    connection = new Redis(target.url, common);
  } else {
    const clusterOptions: ClusterOptions = {
      enableAutoPipelining: true,
      scaleReads: "master",
      clusterRetryStrategy: (times: number) => Math.min(times * 100, o.maxReconnectDelayMs),
      redisOptions: {
        ...common,
        ...(target.username === undefined ? {} : { username: target.username }),
        ...(target.password === undefined ? {} : { password: target.password }),
        ...(target.tls ? { tls: {} } : {}),
      },
    };
    connection = new Cluster(target.nodes.map((n) => ({ host: n.host, port: n.port })), clusterOptions);
  }
  // Without a listener ioredis prints every connection error; an outage is logged, throttled.
  const log = o.logger === undefined ? undefined : new ThrottledLog(o.logger);
  connection.on("error", (err: unknown) => log?.warn({ err }, "redis connection error"));
  return connection;
}
