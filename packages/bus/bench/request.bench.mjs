// Request/reply throughput over NATS: NatsBus (publish + one wildcard reply inbox) against
// nats.js nc.request() (defaults, and with noAsyncTraces), side by side in one run.
//
//   node packages/bus/bench/request.bench.mjs [--inflight 256] [--seconds 3] [--runs 3] [--size 900]
//
// Needs nats-server on PATH and a built package (npx tsc -b packages/bus). Starts its own
// nats-server on a free port; the responder (a plain nats.js echo) runs in a child process so the
// requester's CPU per request is measured on its own. Prints the median of the runs per mode.
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect } from "nats";
import { startNatsServer } from "@sipfleet/testing";
import { NatsBus } from "../dist/index.js";

const SUBJECT = "bench.echo";

if (process.argv[2] === "responder") {
  // Child: echo every request, report own CPU when asked.
  const nc = await connect({ servers: process.argv[3], noAsyncTraces: true, name: "bench-responder" });
  nc.subscribe(SUBJECT, { callback: (_err, msg) => msg.respond(msg.data) });
  await nc.flush();
  process.on("message", (m) => {
    if (m === "cpu") process.send?.(process.cpuUsage());
    if (m === "exit") void nc.close().then(() => process.exit(0));
  });
  process.send?.("ready");
} else {
  await main();
}

async function main() {
  const { values } = parseArgs({
    options: {
      inflight: { type: "string", default: "256" },
      seconds: { type: "string", default: "3" },
      runs: { type: "string", default: "3" },
      size: { type: "string", default: "900" },
    },
  });
  const inflight = Number(values.inflight);
  const seconds = Number(values.seconds);
  const runs = Number(values.runs);
  const payload = new Uint8Array(Number(values.size)).fill(0x41);

  const server = await startNatsServer();
  const responder = fork(fileURLToPath(import.meta.url), ["responder", server.url]);
  await new Promise((resolve) => responder.once("message", resolve));
  const responderCpu = () =>
    new Promise((resolve) => {
      responder.once("message", resolve);
      responder.send("cpu");
    });

  const bus = await NatsBus.connect({ servers: server.url, name: "bench-bus", logger: { warn() {}, error() {} } });
  const ncTraces = await connect({ servers: server.url, name: "bench-request-defaults" });
  const ncNoTraces = await connect({ servers: server.url, name: "bench-request-notraces", noAsyncTraces: true });
  const modes = [
    { name: "NatsBus.request (publish + wildcard inbox)", call: () => bus.request(SUBJECT, payload, { timeoutMs: 5000 }) },
    { name: "nc.request() defaults", call: () => ncTraces.request(SUBJECT, payload, { timeout: 5000 }) },
    { name: "nc.request() noAsyncTraces", call: () => ncNoTraces.request(SUBJECT, payload, { timeout: 5000 }) },
  ];

  const results = new Map(modes.map((m) => [m.name, []]));
  const serverCpu = () => procCpuUs(server.pid);
  for (const m of modes) await measure(m.call, inflight, 0.5, responderCpu, serverCpu); // warm-up
  for (let r = 0; r < runs; r++) {
    for (const m of modes) results.get(m.name).push(await measure(m.call, inflight, seconds, responderCpu, serverCpu));
  }

  console.log(`request/reply, ${payload.length}-byte payload echoed, ${inflight} in flight, ${seconds} s per run, median of ${runs} runs`);
  console.log(`node ${process.version}, nats.js client, nats-server on 127.0.0.1:${server.port}`);
  console.log("");
  console.log("| mode | ops/s | CPU µs/op: requester | responder | nats-server | total | runs (ops/s) |");
  console.log("|---|---|---|---|---|---|---|");
  for (const m of modes) {
    const rs = results.get(m.name);
    const med = (f) => median(rs.map(f));
    console.log(
      `| ${m.name} | ${Math.round(med((x) => x.opsPerSec)).toLocaleString("en")} | ${med((x) => x.requesterUs).toFixed(1)} | ${med((x) => x.responderUs).toFixed(1)} | ${med((x) => x.serverUs).toFixed(1)} | ${med((x) => x.requesterUs + x.responderUs + x.serverUs).toFixed(1)} | ${rs.map((x) => Math.round(x.opsPerSec)).join(", ")} |`,
    );
  }

  await bus.close();
  await ncTraces.close();
  await ncNoTraces.close();
  responder.send("exit");
  await new Promise((resolve) => responder.once("exit", resolve));
  await server.stop();
}

/** Keeps `inflight` requests going for `seconds`; returns ops/s and CPU per op on both sides. */
async function measure(call, inflight, seconds, responderCpu, serverCpu) {
  const cpu0 = process.cpuUsage();
  const rcpu0 = await responderCpu();
  const scpu0 = serverCpu();
  const t0 = process.hrtime.bigint();
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await call();
      done++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const rcpu1 = await responderCpu();
  const serverUs = serverCpu() - scpu0;
  const rUs = rcpu1.user + rcpu1.system - rcpu0.user - rcpu0.system;
  return {
    opsPerSec: done / elapsedS,
    requesterUs: (cpu.user + cpu.system) / done,
    responderUs: rUs / done,
    serverUs: serverUs / done,
  };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** CPU time (user + system) of another process from /proc, in µs (resolution: one clock tick, 10 ms). */
function procCpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11], fields[12] are utime, stime (fields 14 and 15 of proc(5)), in clock ticks (USER_HZ = 100).
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
