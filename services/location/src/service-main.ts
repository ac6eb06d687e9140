/**
 * The location service process (`node dist/main.js` starts it through the tracing launcher), configured by environment:
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
import { createLogger, healthServerFromEnv, runService, withHealth } from "@sipfleet/runtime";
import { metricsFromEnv, metricsRoutes } from "@sipfleet/telemetry";
import { locationOptionsFromEnv } from "./location-env.js";
import { startLocationService } from "./location-service.js";

const logger = createLogger("location");
// The Prometheus /metrics rides on the health server (HEALTH_LISTEN); without one, instruments are no-ops.
const metrics = metricsFromEnv(process.env, "sipfleet-location");
// runService: a start-up error (a ConfigError naming the variable) is logged and exits 1;
// SIGTERM/SIGINT call stop() and exit 0.
void runService(logger, async () => {
  const service = await startLocationService({ ...locationOptionsFromEnv(process.env), logger, ...(metrics === undefined ? {} : { meter: metrics.meter }) });
  try {
    return withHealth(service, await healthServerFromEnv(process.env, { redis: () => service.ready() }, logger, metricsRoutes(metrics)));
  } catch (err) {
    await service.stop();
    throw err;
  }
});
