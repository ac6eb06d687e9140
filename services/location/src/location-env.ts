import { parseRedisTarget, redisClusterFlag } from "@sipfleet/redis-connection";
import { ConfigError } from "./errors.js";
import { DEFAULT_LOCATION_SERVICE_OPTIONS, listenAddress, type LocationServiceOptions } from "./location-service.js";

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
