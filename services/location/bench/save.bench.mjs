// Saves/s and lookups/s straight on RedisBindingStore and through the gRPC client
// (GrpcBindingStore → location service process → Redis), once with a unary RPC per operation and
// once over the Exchange stream (the default), 256 in flight, median of 3 runs. Not a test.
//   pnpm --filter @sipfleet/location build && node services/location/bench/save.bench.mjs [ops]
// Uses a redis-server and a location service process of its own on free loopback ports.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, startRedisServer } from "@sipfleet/testing";
import { GrpcBindingStore } from "@sipfleet/location-client";
import { RedisBindingStore } from "../dist/index.js";

const OPS = Number(process.argv[2] ?? 20_000);
const IN_FLIGHT = 256;
const RUNS = 3;
const AORS = 5_000;

const FLOW = { edgeId: "edge-1", connectionId: "udp:127.0.0.1:5060/127.0.0.2:5070", transport: "udp", remote: { ip: "127.0.0.2", port: 5070 }, local: { ip: "127.0.0.1", port: 5060 } };
let cseq = 0;

function saveRequest(i) {
  const n = i % AORS;
  return {
    aor: `sip:user${n}@bench.test`,
    callId: `call-${n}`,
    cseq: ++cseq,
    changes: [
      {
        key: `sip:user${n}@127.0.0.2:5070`,
        contact: `<sip:user${n}@127.0.0.2:5070;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-${String(n).padStart(12, "0")}>"`,
        qMillis: 1000,
        instanceId: "",
        regId: 0,
        path: ["<sip:edge-1@127.0.0.1:5060;lr;ob>"],
        flow: FLOW,
        userAgent: "bench/1.0",
        lifetimeMs: 600_000,
      },
    ],
    removeAll: false,
    maxBindings: 10,
    nowMs: Date.now(),
  };
}

/** Runs `total` operations with IN_FLIGHT at a time; returns ops/s. */
async function measure(op, total) {
  let next = 0;
  let failed = 0;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      try {
        await op(i);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (failed > 0) console.error(`  ${failed} operations failed`);
  return total / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bench(name, store) {
  const save = (i) => store.save(saveRequest(i));
  const lookup = (i) => store.lookup(`sip:user${i % AORS}@bench.test`);
  await measure(save, Math.min(OPS, 5_000)); // warm-up: JIT, connections, every AOR present
  const saves = [];
  const lookups = [];
  for (let r = 0; r < RUNS; r++) {
    saves.push(await measure(save, OPS));
    lookups.push(await measure(lookup, OPS));
  }
  const row = { store: name, "saves/s": Math.round(median(saves)), "lookups/s": Math.round(median(lookups)), runs: `saves ${saves.map(Math.round).join(", ")} | lookups ${lookups.map(Math.round).join(", ")}` };
  console.error(`${name}: ${JSON.stringify(row)}`);
  return row;
}

const redis = await startRedisServer();
const port = await freePort();
const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const service = spawn(process.execPath, [main], { env: { ...process.env, REDIS_URL: redis.url, LOCATION_LISTEN: `127.0.0.1:${port}` }, stdio: ["ignore", "ignore", "inherit"] });
const rows = [];
try {
  const direct = new RedisBindingStore(redis.url);
  rows.push(await bench("RedisBindingStore (this process → Redis)", direct));
  await direct.close();

  for (const transport of ["unary", "stream"]) {
    const grpc = new GrpcBindingStore(`127.0.0.1:${port}`, { deadlineMs: 10_000, transport });
    for (let i = 0; ; i++) {
      try {
        await grpc.lookup("sip:warmup@bench.test");
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    rows.push(await bench(`GrpcBindingStore ${transport} (this process → location process → Redis)`, grpc));
    await grpc.close();
  }
} finally {
  service.kill("SIGTERM");
  await new Promise((r) => service.once("exit", r));
  await redis.stop();
}
console.log(`\n${OPS} operations per run, ${IN_FLIGHT} in flight, median of ${RUNS} runs, ${AORS} AORs, node ${process.version}`);
console.table(rows);
