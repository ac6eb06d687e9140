import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";

/** A setting that does not say where Redis is; the message names the variable. */
export class RedisConfigError extends Error {
  override readonly name = "RedisConfigError";
}

/**
 * Where a service's Redis is (REDIS_URL):
 * - `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS): one server;
 * - `redis+cluster://[user:password@]host1:port1,host2:port2,...` (or `rediss+cluster://`): a
 *   Redis Cluster, the nodes being seeds for discovering the rest;
 * - with REDIS_CLUSTER=1, the same node list written as `host1:port1,host2:port2` or as
 *   comma-separated `redis://` URLs;
 * - `redis+sentinel://[user:password@]host1:port1,host2:port2,.../master-name[/db]` (or
 *   `rediss+sentinel://`): the master Redis Sentinel names `master-name`, asked of the sentinels
 *   listed (the credentials and TLS are the Redis servers'; the sentinels take none).
 */
export type RedisTarget =
  | { readonly kind: "standalone"; readonly url: string }
  | {
      readonly kind: "cluster";
      readonly nodes: readonly { readonly host: string; readonly port: number }[];
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly tls: boolean;
    }
  | {
      readonly kind: "sentinel";
      readonly sentinels: readonly { readonly host: string; readonly port: number }[];
      readonly masterName: string;
      readonly db: number;
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly tls: boolean;
    };

/** `what` names the setting in errors (e.g. "REDIS_URL"). */
export function parseRedisTarget(text: string, cluster = false, what = "REDIS_URL"): RedisTarget {
  const value = text.trim();
  if (value === "") throw new RedisConfigError(`${what}: empty`);
  const scheme = /^([a-z+]+):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === "redis+cluster" || scheme === "rediss+cluster") {
    const rest = value.slice(scheme.length + 3);
    const at = rest.lastIndexOf("@");
    const auth = at < 0 ? undefined : rest.slice(0, at);
    const hosts = (at < 0 ? rest : rest.slice(at + 1)).replace(/\/.*$/, "");
    const { username, password } = splitAuth(auth);
    return { kind: "cluster", nodes: hosts.split(",").map((h) => hostPort(h, what)), username, password, tls: scheme === "rediss+cluster" };
  }
  if (scheme === "redis+sentinel" || scheme === "rediss+sentinel") {
    const rest = value.slice(scheme.length + 3);
    const slash = rest.indexOf("/");
    const [masterName, dbText, ...extra] = slash < 0 ? [] : rest.slice(slash + 1).split("/");
    if (masterName === undefined || masterName === "" || extra.length > 0) throw new RedisConfigError(`${what}: expected ${scheme}://host:port,.../master-name[/db]`);
    const db = dbText === undefined || dbText === "" ? 0 : Number(dbText);
    if (!Number.isInteger(db) || db < 0) throw new RedisConfigError(`${what}: database "${dbText}" is not a number`);
    const hostsAndAuth = rest.slice(0, slash);
    const at = hostsAndAuth.lastIndexOf("@");
    const { username, password } = splitAuth(at < 0 ? undefined : hostsAndAuth.slice(0, at));
    const sentinels = hostsAndAuth.slice(at + 1).split(",").map((h) => hostPort(h, what));
    return { kind: "sentinel", sentinels, masterName: decodeURIComponent(masterName), db, username, password, tls: scheme === "rediss+sentinel" };
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
  if (entries.length > 1) throw new RedisConfigError(`${what}: several nodes need REDIS_CLUSTER=1 or a redis+cluster:// URL`);
  if (scheme === undefined) {
    hostPort(value, what);
    return { kind: "standalone", url: `redis://${value}` };
  }
  if (scheme !== "redis" && scheme !== "rediss") throw new RedisConfigError(`${what}: unknown scheme "${scheme}://" (redis://, rediss://, redis+cluster://, redis+sentinel://)`);
  parseUrl(value, what);
  return { kind: "standalone", url: value };
}

function parseUrl(text: string, what: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new RedisConfigError(`${what}: not a URL: "${text}"`);
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
  if (m === null || !(port >= 1 && port <= 65535)) throw new RedisConfigError(`${what}: expected host:port, got "${text}"`);
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
  /**
   * Queue commands while disconnected (ioredis' offline queue). Off for a caller whose command
   * must never wait for a reconnect (the edge's abuse checks, which fail open instead).
   */
  offlineQueue: boolean;
  /** Connection errors (ioredis prints every one of them without a listener); none: ignored. */
  onError: ((err: unknown) => void) | undefined;
}

export const DEFAULT_REDIS_CONNECTION_OPTIONS: RedisConnectionOptions = {
  commandTimeoutMs: 1000,
  connectTimeoutMs: 2000,
  maxReconnectDelayMs: 500,
  offlineQueue: true,
  onError: undefined,
};

/** REDIS_CLUSTER: 1/true (REDIS_URL lists Redis Cluster nodes) or 0/false/unset. */
export function redisClusterFlag(env: NodeJS.ProcessEnv): boolean {
  const flag = (env["REDIS_CLUSTER"] ?? "").trim().toLowerCase();
  if (!["", "0", "1", "true", "false"].includes(flag)) throw new RedisConfigError(`REDIS_CLUSTER: expected 1 or 0, got "${env["REDIS_CLUSTER"]}"`);
  return flag === "1" || flag === "true";
}

export function createRedisConnection(target: RedisTarget, options: Partial<RedisConnectionOptions> = {}): Redis | Cluster {
  const o = { ...DEFAULT_REDIS_CONNECTION_OPTIONS, ...options };
  const common: RedisOptions = {
    enableAutoPipelining: true,
    enableOfflineQueue: o.offlineQueue,
    maxRetriesPerRequest: 1,
    commandTimeout: o.commandTimeoutMs,
    connectTimeout: o.connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(times * 100, o.maxReconnectDelayMs),
  };
  let connection: Redis | Cluster;
  if (target.kind === "standalone") {
    connection = new Redis(target.url, common);
  } else if (target.kind === "sentinel") {
    // The client asks the sentinels for the master at every (re)connect: a killed master's
    // connection drops and the client retries until the sentinels name its promoted replica; a
    // master demoted in place answers READONLY, which makes the client reconnect too. (ioredis'
    // failoverDetector is left off: its sentinel subscriptions outlive quit() and keep a process
    // from exiting.)
    connection = new Redis({
      ...common,
      sentinels: target.sentinels.map((n) => ({ host: n.host, port: n.port })),
      name: target.masterName,
      db: target.db,
      sentinelRetryStrategy: (times: number) => Math.min(times * 100, o.maxReconnectDelayMs),
      reconnectOnError: (err: Error) => (err.message.startsWith("READONLY") ? 2 : false),
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
      ...(target.tls ? { tls: {} } : {}),
    });
  } else {
    const clusterOptions: ClusterOptions = {
      enableAutoPipelining: true,
      enableOfflineQueue: o.offlineQueue,
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
  // Without a listener ioredis prints every connection error.
  const onError = o.onError ?? ((): void => {});
  connection.on("error", onError);
  return connection;
}
