/**
 * The admin API process (`node dist/main.js` starts it through the tracing launcher), configured by environment:
 *   ADMIN_LISTEN        host:port to serve HTTP on (default 127.0.0.1:8080)
 *   ADMIN_TOKENS        bearer tokens as token:role entries (comma, space or newline separated), role read or admin
 *   ADMIN_TOKENS_FILE   the same list in a file (one entry a line, # comments); set one of the two
 *   LOCATION_ADDRESSES  location replicas, comma-separated host:port or a dns:/// target (default 127.0.0.1:50051)
 *   HEALTH_LISTEN       host:port for GET /livez, /readyz (ready: the location service answers) and /metrics; unset: none
 * No token configured, or a setting that cannot be used: exit 1 with a log line naming the variable.
 * SIGTERM/SIGINT: stop serving, close the location client, exit 0. Logs: JSON lines on stderr; "admin api ready" once it serves.
 */
import { GrpcBindingStore } from "@sipfleet/location-client";
import { createLogger, healthServerFromEnv, runService, withHealth } from "@sipfleet/runtime";
import { metricsFromEnv, metricsRoutes } from "@sipfleet/telemetry";
import { adminOptionsFromEnv } from "./admin-env.js";
import { startAdminServer } from "./admin-server.js";

const logger = createLogger("admin");
const metrics = metricsFromEnv(process.env, "sipfleet-admin");

void runService(logger, async () => {
  const { listen, tokens, locations } = adminOptionsFromEnv(process.env);
  const store = new GrpcBindingStore(locations, metrics === undefined ? {} : { meter: metrics.meter });
  let server: Awaited<ReturnType<typeof startAdminServer>> | undefined;
  try {
    server = await startAdminServer({ listen, tokens, store, logger });
    const running = server;
    const service = {
      stop: async () => {
        await running.stop();
        await store.close();
      },
    };
    const ready = async () => {
      await store.lookup("sip:readiness@admin.invalid");
      return true;
    };
    const health = await healthServerFromEnv(process.env, { location: ready }, logger, metricsRoutes(metrics));
    logger.info({ address: server.address, tokens: tokens.size, locations }, "admin api ready");
    return withHealth(service, health);
  } catch (err) {
    await server?.stop();
    await store.close();
    throw err;
  }
});
