/**
 * The location service process: `node dist/main.js`, configured by environment:
 *   REDIS_URL        redis://host:port (default redis://127.0.0.1:6379); a cluster as
 *                    redis+cluster://host1:port1,host2:port2 or a node list with REDIS_CLUSTER=1
 *   REDIS_CLUSTER    1 (or true): REDIS_URL lists Redis Cluster nodes
 *   LOCATION_LISTEN  host:port to serve gRPC on (default 127.0.0.1:50051)
 *   LOCATION_SHUTDOWN_GRACE_MS  how long SIGTERM waits for in-flight calls (default 5000)
 *   HEALTH_LISTEN    host:port for GET /livez and /readyz (ready: Redis answers PING); unset: none
 * SIGTERM/SIGINT: stop accepting calls, finish those in flight, close Redis, exit 0. A setting
 * that cannot be used: exit 1 with a log line naming the variable. Logs: JSON lines on stderr
 * (@sipfleet/runtime); "location service ready" once it serves.
 */
import { pathToFileURL } from "node:url";
import { parseRedisTarget, redisClusterFlag } from "@sipfleet/redis-connection";
import { createLogger, healthServerFromEnv, runService, withHealth } from "@sipfleet/runtime";
import { ConfigError } from "./errors.js";
import { DEFAULT_LOCATION_SERVICE_OPTIONS, startLocationService, listenAddress, type LocationServiceOptions } from "./location-service.js";


export { startLocationService } from "./location-service.js";

/** The service options the environment gives; throws ConfigError naming the variable. */
export function locationOptionsFromEnv(env: NodeJS.ProcessEnv): Pick<LocationServiceOptions, "listen" | "store" | "redisCluster" | "shutdownGraceMs"> {
  const listen = env.LOCATION_LISTEN ?? DEFAULT_LOCATION_SERVICE_OPTIONS.listen;
  listenAddress(listen);
  const redisCluster = redisClusterFlag(env);
  const redisUrl = env.REDIS_URL ?? "redis://127.0.0.1:6379";
  parseRedisTarget(redisUrl, redisCluster);
  const graceText = env.LOCATION_SHUTDOWN_GRACE_MS ?? String(DEFAULT_LOCATION_SERVICE_OPTIONS.shutdownGraceMs);
  const shutdownGraceMs = Number(graceText);
  if (!(Number.isInteger(shutdownGraceMs) && shutdownGraceMs >= 0)) throw new ConfigError(`LOCATION_SHUTDOWN_GRACE_MS: expected milliseconds, got "${graceText}"`);
  return { listen, store: redisUrl, redisCluster, shutdownGraceMs };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const logger = createLogger("location");
  // runService: a start-up error (a ConfigError naming the variable) is logged and exits 1;
  // SIGTERM/SIGINT call stop() and exit 0.
  void runService(logger, async () => {
    const service = await startLocationService({ ...locationOptionsFromEnv(process.env), logger });
    try {
      return withHealth(service, await healthServerFromEnv(process.env, { redis: () => service.ready() }, logger));
    } catch (err) {
      await service.stop();
      throw err;
    }
  });
}
