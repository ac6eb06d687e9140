import { createRedisConnection, parseRedisTarget, redisClusterFlag } from "@sipfleet/redis-connection";
import type { Cluster, Redis } from "ioredis";
import type { EdgeLogger } from "./logger.js";

/**
 * The edge's Redis connection for its abuse limits, from the environment as the location service
 * reads it (@sipfleet/redis-connection: REDIS_URL, REDIS_CLUSTER). Undefined without REDIS_URL:
 * each edge keeps its own counts. Fails fast (no offline queue, one retry, a short command
 * timeout): an abuse check must never hold up a request; the limits then fail open
 * (abuse-guard.ts).
 */
export function redisFromEnv(env: NodeJS.ProcessEnv, logger: EdgeLogger): Redis | Cluster | undefined {
  const url = (env["REDIS_URL"] ?? "").trim();
  if (url === "") return undefined;
  const target = parseRedisTarget(url, redisClusterFlag(env));
  // The guard logs the outage once; further errors until the next "ready" would repeat it.
  let logged = false;
  const connection = createRedisConnection(target, {
    commandTimeoutMs: 500,
    maxReconnectDelayMs: 1000,
    offlineQueue: false,
    onError: (err) => {
      if (!logged) logger.warn({ err }, "redis connection error (abuse limits fail open; further errors not logged)");
      logged = true;
    },
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
