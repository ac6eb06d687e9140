import { Cluster, Redis, type RedisOptions } from "ioredis";
import { EdgeConfigError } from "./errors.js";
import type { EdgeLogger } from "./logger.js";

/**
 * The edge's Redis connection for its abuse limits, from the environment as the location service
 * reads it (services/location/src/main.ts): REDIS_URL `redis://host:port` (or `rediss://`), or a
 * Redis Cluster as `redis+cluster://host1:port1,host2:port2` or a node list with REDIS_CLUSTER=1.
 * Undefined without REDIS_URL: each edge keeps its own counts. Fails fast (no offline queue, one
 * retry, a short command timeout): an abuse check must never hold up a request; the limits then
 * fail open (abuse-guard.ts).
 */
export function redisFromEnv(env: NodeJS.ProcessEnv, logger: EdgeLogger): Redis | Cluster | undefined {
  const url = (env["REDIS_URL"] ?? "").trim();
  if (url === "") return undefined;
  const flag = (env["REDIS_CLUSTER"] ?? "").trim().toLowerCase();
  if (!["", "0", "1", "true", "false"].includes(flag)) throw new EdgeConfigError(`REDIS_CLUSTER: expected 1 or 0, got "${env["REDIS_CLUSTER"]}"`);
  const options: RedisOptions = {
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2000,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
  };
  let connection: Redis | Cluster;
  const clusterScheme = /^rediss?\+cluster:\/\//i.exec(url);
  if (clusterScheme !== null || flag === "1" || flag === "true") {
    const tls = /^rediss/i.test(url);
    const nodes = url
      .replace(/^rediss?(\+cluster)?:\/\//i, "")
      .split(",")
      .map((n) => {
        const m = /^(?:rediss?:\/\/)?(?:[^@]*@)?(\[[0-9a-fA-F:.]+\]|[^:[\]/,]+):(\d{1,5})\/?$/.exec(n.trim());
        if (m === null) throw new EdgeConfigError(`REDIS_URL: expected host:port nodes, got "${n}"`);
        return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
      });
    connection = new Cluster(nodes, { enableAutoPipelining: true, enableOfflineQueue: false, redisOptions: { ...options, ...(tls ? { tls: {} } : {}) } });
  } else {
    if (!/^rediss?:\/\//i.test(url)) throw new EdgeConfigError(`REDIS_URL: expected redis://host:port, got "${url}"`);
    connection = new Redis(url, options);
  }
  // ioredis prints every connection error without a listener; the guard logs the outage once.
  let logged = false;
  connection.on("error", (err: unknown) => {
    if (!logged) logger.warn({ err }, "redis connection error (abuse limits fail open; further errors not logged)");
    logged = true;
  });
  connection.on("ready", () => (logged = false));
  return connection;
}

/** Resolves once the connection is ready, or after `ms` whatever its state. */
export function redisReady(connection: Redis | Cluster, ms: number): Promise<void> {
  if (connection.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      connection.off("ready", done);
      resolve();
    }
    connection.once("ready", done);
  });
}
