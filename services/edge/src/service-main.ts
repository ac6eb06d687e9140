// Cluster mode: one edge process. Configuration from SIPFLEET_CONFIG (default
// deploy/local/sipfleet.yaml; SIPFLEET_LISTEN overrides the listen addresses), NATS from
// NATS_URL, the edge id from SIPFLEET_EDGE_ID (default: host name + random suffix), the Redis the
// edges share their abuse limits through from REDIS_URL (and REDIS_CLUSTER), as the location
// service reads them; without REDIS_URL each edge limits on its own counts.
// HEALTH_LISTEN (host:port, unset: none) serves GET /livez and /readyz (ready: NATS connected).
// SIGTERM/SIGINT: /readyz turns 503, graceful edge stop, then bus drain, then exit 0.
import { NatsBus } from "@sipfleet/bus";
import { JetStreamCallEvents } from "@sipfleet/call-events";
import { configSourceFromEnv } from "@sipfleet/config-k8s";
import { createLogger, healthServerFromEnv, runService, withHealth, type Stoppable } from "@sipfleet/runtime";
import { metricsFromEnv, metricsRoutes, NOOP_METER } from "@sipfleet/telemetry";
import { startEdge } from "./edge.js";
import { RedisAbuseStore } from "./redis-abuse-store.js";
import { redisFromEnv, redisReady } from "./redis-connection.js";

const logger = createLogger("edge");
// The Prometheus /metrics rides on the health server (HEALTH_LISTEN); without one, instruments are no-ops.
const metrics = metricsFromEnv(process.env, "sipfleet-edge");

await runService(logger, async () => {
  // SIPFLEET_CONFIG_SOURCE=kubernetes: domains, users, trunks and routes from the custom resources, applied as they change.
  const configSource = await configSourceFromEnv(process.env, "sipfleet-edge", logger);
  const config = configSource.current();
  if (config.auth.nonceSecretSource === "random" && config.trunks.length > 0) {
    // Topology hiding: the edge masks users' Contacts toward carriers with a key the proxies
    // derive from the same secret to restore them; a secret of this process alone breaks every
    // in-dialog request a carrier sends to a masked Contact.
    throw new Error("auth.nonceSecret: with trunks configured, every edge and proxy needs one shared secret (topology hiding); set auth.nonceSecret or SIPFLEET_NONCE_SECRET");
  }
  const servers = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
  const bus = await NatsBus.connect({ servers, name: "edge", logger });
  // Call events (CDR material) on the JetStream stream SIPFLEET_CALLS, created if missing.
  const callEvents = await JetStreamCallEvents.start(bus.connection, { logger, bus, ...callEventReplicasFromEnv(process.env) });
  const redis = redisFromEnv(process.env, logger);
  if (redis === undefined) logger.warn({}, "no REDIS_URL: rate limits and bans count this edge only");
  // The bans in force are read before the edge listens; a Redis not up by then is not waited
  // for (fail open): the guard reads them once it is.
  else await redisReady(redis, 3000);
  const abuseStore = redis === undefined ? undefined : new RedisAbuseStore(redis);
  const edge = await startEdge({ bus, config: config.edge, domains: new Set(config.domains.keys()), logger, callEvents, trunks: config.trunks, abuseStore, sharedSecret: config.auth.nonceSecret, sipMessageLog: config.logging.sipMessages, meter: metrics?.meter ?? NOOP_METER });
  logger.info({ edgeId: edge.id, addresses: edge.addresses, nats: servers }, "edge ready");
  // Domains and trunks (sources, credentials, gateway pings, carrier registrations) follow the
  // configuration as it changes; the edge section (listen addresses, TLS, timers) needs a restart.
  configSource.onConfig((next) => {
    if (next.auth.nonceSecretSource === "random" && next.trunks.length > 0) {
      // As at start (above): masks no proxy could restore. Nothing of the change is applied.
      logger.error({}, "configuration change not applied by the edge: trunks configured without a shared auth.nonceSecret (topology hiding)");
      return;
    }
    if (JSON.stringify(next.logging.sipMessages) !== JSON.stringify(config.logging.sipMessages)) {
      logger.warn({ changed: ["logging.sipMessages"] }, "configuration changed: these settings take effect at the edge's next start (restart it)");
    }
    try {
      edge.applyConfig({ domains: next.domains.keys(), trunks: next.trunks, config: next.edge }).catch((err: unknown) => logger.error({ err }, "applying the carrier registrations of a new configuration failed"));
    } catch (err) {
      logger.error({ err }, "configuration change not applied by the edge");
    }
  });
  const service: Stoppable = {
    async stop() {
      await edge.stop();
      await configSource.stop();
      redis?.disconnect();
      await callEvents.close();
      await bus.drain();
    },
  };
  // Redis is not a readiness condition: the abuse guard fails open without it (see above). A
  // stopping edge is "not ready" through draining, which runService sets before stop().
  try {
    return withHealth(service, await healthServerFromEnv(process.env, { nats: () => bus.connected() }, logger, metricsRoutes(metrics)));
  } catch (err) {
    await service.stop();
    throw err;
  }
});

/**
 * SIPFLEET_CALL_EVENTS_REPLICAS: replicas of the call-event stream (3 on a NATS cluster, so the
 * node holding it can die without losing call events); unset: the stream's default, 1.
 */
function callEventReplicasFromEnv(env: NodeJS.ProcessEnv): { replicas?: number } {
  const text = env["SIPFLEET_CALL_EVENTS_REPLICAS"];
  if (text === undefined || text === "") return {};
  const replicas = Number(text);
  if (!(Number.isInteger(replicas) && replicas >= 1 && replicas <= 5)) throw new Error(`SIPFLEET_CALL_EVENTS_REPLICAS: expected 1 to 5 replicas, got "${text}"`);
  return { replicas };
}
