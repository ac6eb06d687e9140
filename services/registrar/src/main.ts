// Cluster mode: one registrar worker process. NATS from NATS_URL, the location service's replicas
// from LOCATION_ADDRESSES (comma-separated host:port, or a dns:/// target).
import { NatsBus } from "@sipfleet/bus";
import { loadConfig } from "@sipfleet/config";
import { GrpcBindingStore } from "@sipfleet/location-client";
import { createLogger, runService } from "@sipfleet/runtime";
import { startRegistrar } from "./start-registrar.js";

const logger = createLogger("registrar");

await runService(logger, async () => {
  const config = loadConfig({ env: process.env });
  if (config.auth.nonceSecretSource === "random") {
    throw new Error("auth.nonceSecret: a cluster needs one secret shared by every registrar; set auth.nonceSecret or SIPFLEET_NONCE_SECRET");
  }
  const locations = (process.env["LOCATION_ADDRESSES"] ?? "127.0.0.1:50051").split(",").map((s) => s.trim()).filter((s) => s !== "");
  const store = new GrpcBindingStore(locations);
  const bus = await NatsBus.connect({ servers: process.env["NATS_URL"] ?? "nats://127.0.0.1:4222", name: "registrar", logger });
  const service = startRegistrar({ bus, store, settings: config, logger });
  // Over NATS a subscription is live once the server has it: only then is this worker ready.
  await bus.flush?.();
  logger.info({ locations, nats: process.env["NATS_URL"] ?? "nats://127.0.0.1:4222" }, "registrar ready");
  return {
    async stop() {
      await service.stop();
      await bus.drain();
      await store.close();
    },
  };
});
