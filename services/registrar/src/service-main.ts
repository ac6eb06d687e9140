// Cluster mode: one registrar worker process. NATS from NATS_URL, the location service's replicas
// from LOCATION_ADDRESSES (comma-separated host:port, or a dns:/// target). HEALTH_LISTEN
// (host:port, unset: none) serves GET /livez and /readyz (ready: NATS connected and the location
// service answers a lookup).
import { NatsBus } from "@sipfleet/bus";
import { configSourceFromEnv } from "@sipfleet/config-k8s";
import { GrpcBindingStore } from "@sipfleet/location-client";
import { createLogger, healthServerFromEnv, runService, withHealth, type Stoppable } from "@sipfleet/runtime";
import { metricsFromEnv, metricsRoutes } from "@sipfleet/telemetry";
import { startRegistrar } from "./start-registrar.js";

const logger = createLogger("registrar");
// The Prometheus /metrics rides on the health server (HEALTH_LISTEN); without one, instruments are no-ops.
const metrics = metricsFromEnv(process.env, "sipfleet-registrar");

await runService(logger, async () => {
  // SIPFLEET_CONFIG_SOURCE=kubernetes: domains, users, trunks and routes from the custom resources, applied as they change.
  const configSource = await configSourceFromEnv(process.env, "sipfleet-registrar", logger);
  const config = configSource.current();
  if (config.auth.nonceSecretSource === "random") {
    throw new Error("auth.nonceSecret: a cluster needs one secret shared by every registrar; set auth.nonceSecret or SIPFLEET_NONCE_SECRET");
  }
  const locations = (process.env["LOCATION_ADDRESSES"] ?? "127.0.0.1:50051").split(",").map((s) => s.trim()).filter((s) => s !== "");
  const store = new GrpcBindingStore(locations, metrics === undefined ? {} : { meter: metrics.meter });
  const bus = await NatsBus.connect({ servers: process.env["NATS_URL"] ?? "nats://127.0.0.1:4222", name: "registrar", logger });
  const service = startRegistrar({ bus, store, settings: config, logger, onConfig: configSource.onConfig, ...(metrics === undefined ? {} : { telemetry: { meter: metrics.meter } }) });
  // Over NATS a subscription is live once the server has it: only then is this worker ready.
  await bus.flush?.();
  logger.info({ locations, nats: process.env["NATS_URL"] ?? "nats://127.0.0.1:4222" }, "registrar ready");
  const running: Stoppable = {
    async stop() {
      await service.stop();
      await configSource.stop();
      await bus.drain();
      await store.close();
    },
  };
  const checks = { nats: () => bus.connected(), location: () => store.reachable() };
  try {
    return withHealth(running, await healthServerFromEnv(process.env, checks, logger, metricsRoutes(metrics)));
  } catch (err) {
    await running.stop();
    throw err;
  }
});
