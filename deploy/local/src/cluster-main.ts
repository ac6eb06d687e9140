// `pnpm cluster -- --edges 2 --registrars 2 --proxies 2 --locations 2`: every tier as its own processes on
// this machine against the NATS and Redis at NATS_URL / REDIS_URL. Ctrl-C stops them all.
// --health: every process serves /livez, /readyz and /metrics on a free loopback port (logged).
import { parseArgs } from "node:util";
import { createLogger, runService } from "@sipfleet/runtime";
import { startCluster } from "./cluster.js";
import { DEFAULT_CONFIG_PATH } from "./config-path.js";

const logger = createLogger("cluster");

const { values } = parseArgs({
  options: {
    edges: { type: "string", default: "1" },
    registrars: { type: "string", default: "1" },
    locations: { type: "string", default: "1" },
    proxies: { type: "string", default: "1" },
    "location-port": { type: "string", default: "50051" },
    health: { type: "boolean", default: false },
  },
});

function count(key: keyof typeof values, min: number, max = 64): number {
  const raw = values[key];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    logger.fatal({}, `--${key}: must be an integer from ${min} to ${max}, got "${String(raw)}"`);
    process.exit(2);
  }
  return n;
}

const edges = count("edges", 1);
const registrars = count("registrars", 1);
const locations = count("locations", 1);
const proxies = count("proxies", 1);
// Replica k listens on this port + k: every one of them must be a port.
const locationPort = count("location-port", 1, 65536 - locations);

await runService(logger, async () => {
  const cluster = await startCluster({
    edges,
    registrars,
    proxies,
    locations,
    natsUrl: process.env["NATS_URL"] ?? "nats://127.0.0.1:4222",
    redisUrl: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379",
    configPath: process.env["SIPFLEET_CONFIG"] ?? DEFAULT_CONFIG_PATH,
    listen: process.env["SIPFLEET_LISTEN"] ?? "udp:127.0.0.1:5060,tcp:127.0.0.1:5060",
    locationPorts: Array.from({ length: locations }, (_, k) => locationPort + k),
    ...(process.env["SIPFLEET_NONCE_SECRET"] === undefined ? {} : { nonceSecret: process.env["SIPFLEET_NONCE_SECRET"] }),
    healthServers: values.health === true,
  });
  logger.info(
    {
      edges: cluster.edgeListen,
      locations: cluster.locationAddresses,
      pids: cluster.processes.map((p) => `${p.name}:${p.pid}`),
      ...(values.health === true ? { health: cluster.processes.map((p) => `${p.name}:${p.healthAddress}`) } : {}),
    },
    "cluster ready",
  );
  return cluster;
});
