// `pnpm cluster -- --edges 2 --registrars 2 --proxies 2 --locations 2`: every tier as its own processes on
// this machine against the NATS and Redis at NATS_URL / REDIS_URL. Ctrl-C stops them all.
// --health: every process serves /livez, /readyz and /metrics on a free loopback port (logged).
// --admin: the Admin API on ADMIN_LISTEN (default 127.0.0.1:8080) with ADMIN_TOKENS; without
// ADMIN_TOKENS, one random admin token made for this run and logged in "cluster ready" (local use only).
import { randomBytes } from "node:crypto";
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
    admin: { type: "boolean", default: false },
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

const adminToken = process.env["ADMIN_TOKENS"] === undefined ? randomBytes(24).toString("base64url") : undefined;
const admin = values.admin === true ? { listen: process.env["ADMIN_LISTEN"] ?? "127.0.0.1:8080", tokens: process.env["ADMIN_TOKENS"] ?? `${adminToken}:admin` } : undefined;

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
    ...(admin === undefined ? {} : { admin }),
  });
  logger.info(
    {
      edges: cluster.edgeListen,
      locations: cluster.locationAddresses,
      pids: cluster.processes.map((p) => `${p.name}:${p.pid}`),
      ...(admin === undefined ? {} : { admin: admin.listen, ...(adminToken === undefined ? {} : { adminToken }) }),
      ...(values.health === true ? { health: cluster.processes.map((p) => `${p.name}:${p.healthAddress}`) } : {}),
    },
    "cluster ready",
  );
  return cluster;
});
