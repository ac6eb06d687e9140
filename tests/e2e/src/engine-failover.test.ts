// The engines at production shape (issue 7): every tier in cluster mode on a 3-node NATS cluster
// (NATS_URL lists the three nodes) and the location service on a 3-master Redis Cluster with one
// replica per master (REDIS_URL redis+cluster://...). A steady load of REGISTERs (a new AOR each)
// and calls runs in back-to-back phases while a Redis master is killed and its replica promoted,
// then while a NATS node is killed. Failed requests are counted per phase and reported: only the
// fault's phase may have any, within a bound of its outage; the phase after it must be clean; and
// every AOR the platform acknowledged is still registered at the end. The same load also runs on
// Redis with Sentinel (REDIS_URL redis+sentinel://...) while its master is killed.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { get } from "node:http";
import { after, before, describe, it, type TestContext } from "node:test";
import { join } from "node:path";
import { GrpcBindingStore } from "@sipfleet/location-client";
import { startCluster, type Cluster } from "@sipfleet/local";
import { CALL_EVENTS_STREAM } from "@sipfleet/proto";
import {
  freePort,
  freePortRun,
  hasBinary,
  hasSipp,
  runSipp,
  startNatsCluster,
  startNatsServer,
  startRedisCluster,
  startRedisSentinel,
  type EngineProcess,
  type NatsCluster,
  type RedisSentinelSet,
  type RedisCluster,
  type SippResult,
} from "@sipfleet/testing";
import { CALL_SCENARIOS } from "./call-flows.js";
import { listenOn, OPEN_DOMAIN, SCENARIOS, sleep, writeTestConfig } from "./fixtures.js";
import { waitForUdpPort } from "./udp-ports.js";

const skip = !hasSipp()
  ? "sipp is not installed (Debian package sip-tester)"
  : !hasBinary("redis-cli")
    ? "redis-cli is not installed (Debian package redis-tools)"
    : false;

/** REGISTERs (each a new AOR) and calls started per second, steady, during every phase. */
const REGISTER_RATE = 20;
const CALL_RATE = 10;
const TALK_MS = 100;
const CALLER = "engine-caller";
const CALLEE = "engine-callee";

interface Phase {
  readonly name: string;
  /** AORs of this phase's REGISTERs: `sip:<prefix><n>@domain`. */
  readonly prefix: string;
  readonly registers: SippResult;
  readonly calls: SippResult;
}

interface Platform {
  readonly cluster: Cluster;
  readonly edgePorts: readonly number[];
  readonly client: GrpcBindingStore;
  readonly logs: string[];
}

async function startPlatform(natsUrl: string, redisUrl: string): Promise<Platform> {
  const base = await freePortRun(2);
  const locationPorts = [await freePort(), await freePort()];
  const logs: string[] = [];
  try {
    const cluster = await startCluster({
      edges: 2,
      proxies: 2,
      registrars: 2,
      locations: 2,
      natsUrl,
      redisUrl,
      // A short decision timeout: a request lost with a NATS node is re-asked sooner.
      configPath: writeTestConfig({ decisionTimeoutMs: 1_000 }),
      listen: listenOn(base),
      locationPorts,
      env: { SIPFLEET_LOG_LEVEL: "info" },
      onLog: (name, line) => {
        if (logs.length < 5000) logs.push(`[${name}] ${line}`);
      },
    });
    return { cluster, edgePorts: [base, base + 1], client: new GrpcBindingStore([...cluster.locationAddresses]), logs };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${logs.slice(-40).join("\n")}`);
  }
}

/** Answers every call to CALLEE: registered through the second edge, one sipp until killed by PID. */
async function startCallee(p: Platform): Promise<ChildProcess> {
  const port = await freePort();
  const edge2 = `127.0.0.1:${p.edgePorts[1]}`;
  const registered = await runSipp({ scenario: join(CALL_SCENARIOS, "register.xml"), target: edge2, inject: [[CALLEE, OPEN_DOMAIN, "3600"]], calls: 1, localPort: port, timeoutMs: 10_000 });
  assert.equal(registered.exitCode, 0, `the callee registers: ${registered.stderr}`);
  const child = spawn("sipp", [edge2, "-sf", join(CALL_SCENARIOS, "uas-load-answer.xml"), "-t", "u1", "-i", "127.0.0.1", "-p", String(port), "-nostdin", "-m", "1000000"], {
    stdio: ["ignore", "ignore", "ignore"],
  });
  let ended: string | undefined;
  child.once("exit", (code) => (ended = `exit ${code}`));
  child.once("error", (e) => (ended = e.message));
  await waitForUdpPort(port, { timeoutMs: 10_000, what: "the callee's sipp", gaveUp: () => ended });
  return child;
}

/** `seconds` of REGISTERs (new AORs `<prefix>N`) and calls from the first edge; `during` runs alongside (the fault). */
async function phase(p: Platform, name: string, prefix: string, seconds: number, during?: () => Promise<void>): Promise<Phase> {
  const target = `127.0.0.1:${p.edgePorts[0]}`;
  const registers = runSipp({
    scenario: join(SCENARIOS, "register-open.xml"),
    target,
    inject: Array.from({ length: REGISTER_RATE * seconds }, (_, i) => [`${prefix}${i}`, OPEN_DOMAIN, "3600"]),
    calls: REGISTER_RATE * seconds,
    rate: REGISTER_RATE,
    timeoutMs: seconds * 1_000 + 30_000,
  });
  const calls = runSipp({
    scenario: join(CALL_SCENARIOS, "uac-load-call.xml"),
    target,
    inject: [[CALLER, OPEN_DOMAIN, CALLEE]],
    calls: CALL_RATE * seconds,
    rate: CALL_RATE,
    args: ["-d", String(TALK_MS)],
    timeoutMs: seconds * 1_000 + 30_000,
  });
  registers.catch(() => {});
  calls.catch(() => {});
  await during?.();
  return { name, prefix, registers: await registers, calls: await calls };
}

function counts(r: SippResult): string {
  return `${r.successfulCalls + r.failedCalls} sent, ${r.failedCalls} failed`;
}

function line(ph: Phase): string {
  return `${ph.name}: REGISTER ${counts(ph.registers)}; calls ${counts(ph.calls)}`;
}

/** How sipp says the failed ones failed (a sample: runSipp keeps its first 8 KiB of errors). */
function reasons(r: SippResult): string[] {
  const seen = new Map<string, number>();
  for (const l of r.stderr.split("\n")) {
    const got = /while expecting '([^']+)'.*received '(?:SIP\/2\.0 )?(\S+)/.exec(l);
    const reason = got !== null ? `expected ${got[1]}, received ${got[2]}` : /timeout/i.test(l) ? l.replace(/^.*?(timeout)/i, "$1").replace(/\d{4,}/g, "N") : undefined;
    if (reason !== undefined) seen.set(reason, (seen.get(reason) ?? 0) + 1);
  }
  return [...seen].map(([reason, n]) => `${n} x ${reason}`);
}

function report(ctx: TestContext, phases: readonly Phase[]): void {
  for (const ph of phases) {
    ctx.diagnostic(line(ph));
    for (const [what, r] of [["REGISTER", ph.registers], ["calls", ph.calls]] as const) {
      if (r.failedCalls > 0) for (const x of reasons(r)) ctx.diagnostic(`  ${what}, sample of sipp's errors: ${x}`);
    }
  }
}

function assertClean(ph: Phase, p: Platform): void {
  for (const r of [ph.registers, ph.calls]) {
    assert.equal(r.failedCalls, 0, `${line(ph)}\n${r.stderr.slice(0, 2000)}\n--- cluster:\n${p.logs.slice(-40).join("\n")}`);
    assert.ok(r.successfulCalls > 0, line(ph));
  }
}

/** Only what the fault caught may fail: what started during `outageMs` and what was in flight (a second and a half's worth). */
function assertBounded(ph: Phase, outageMs: number): void {
  for (const [r, rate] of [[ph.registers, REGISTER_RATE], [ph.calls, CALL_RATE]] as const) {
    const bound = Math.ceil(rate * (outageMs / 1_000 + 1.5));
    assert.ok(r.successfulCalls > 0, line(ph));
    assert.ok(r.failedCalls <= bound, `at most ${bound} fail (${outageMs} ms outage): ${line(ph)}\n${r.stderr.slice(0, 2000)}`);
  }
}

/** AORs of the prefix in the location service (listed through the gRPC API, over every master). */
async function countAors(p: Platform, prefix: string): Promise<number> {
  let n = 0;
  let token: string | undefined;
  do {
    const page = await p.client.list(500, token);
    n += page.entries.filter((e) => e.aor.startsWith(`sip:${prefix}`)).length;
    token = page.nextPageToken;
  } while (token !== undefined);
  return n;
}

/** Every REGISTER the platform acknowledged (200) left its AOR registered; reports any lost. */
async function assertRegistered(ctx: TestContext, p: Platform, phases: readonly Phase[]): Promise<void> {
  for (const ph of phases) {
    const present = await countAors(p, ph.prefix);
    const acknowledged = ph.registers.successfulCalls;
    ctx.diagnostic(`${ph.name}: ${present} AORs registered, ${acknowledged} REGISTERs acknowledged`);
    assert.ok(present >= acknowledged, `${ph.name}: ${acknowledged - present} acknowledged registrations lost (${present} of ${acknowledged} AORs registered)`);
  }
}

/** Milliseconds until a call through the first edge completes again (a probe every 250 ms). */
async function timeToCall(p: Platform, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    const r = await runSipp({ scenario: join(CALL_SCENARIOS, "uac-load-call.xml"), target: `127.0.0.1:${p.edgePorts[0]}`, inject: [[`probe-${CALLER}`, OPEN_DOMAIN, CALLEE]], calls: 1, args: ["-d", "0"], timeoutMs: 10_000 });
    if (r.exitCode === 0) return Date.now() - started;
    await sleep(250);
  }
  throw new Error(`no call completed within ${limitMs} ms`);
}

/** The Redis master holding the callee's binding (its keys are hash-tagged per AOR: one slot, one master). */
async function masterOfCallee(redis: RedisCluster): Promise<number> {
  const masters = await redis.masters();
  const i = masters.findIndex((m) => execFileSync("redis-cli", ["-p", String(m.port), "--scan", "--pattern", `*${CALLEE}*`], { encoding: "utf8" }).trim() !== "");
  assert.ok(i >= 0, `the callee's keys are on a master (${masters.map((m) => m.port).join(", ")})`);
  return i;
}

function monitor(httpPort: number, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port: httpPort, path }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(JSON.parse(body)));
    }).on("error", reject);
  });
}

/**
 * The NATS node to kill: the one most clients are connected to (the most reconnects). The
 * call-event stream has one replica (the edge's default), so the node holding it may be this one:
 * then call events cannot be stored until it is back, while calls go on (the edge records events
 * off the call path). The report says where the stream was.
 */
async function natsNodeToKill(nats: NatsCluster): Promise<{ index: number; clients: number; streamOn: string }> {
  const nodes = await Promise.all(
    nats.nodes.map(async (n) => {
      const jsz = (await monitor(n.httpPort, "/jsz?streams=true")) as { account_details?: { stream_detail?: { name: string }[] }[] };
      const connz = (await monitor(n.httpPort, "/connz")) as { num_connections: number };
      const holdsStream = (jsz.account_details ?? []).some((a) => (a.stream_detail ?? []).some((s) => s.name === CALL_EVENTS_STREAM));
      return { name: n.name, holdsStream, clients: connz.num_connections };
    }),
  );
  const streamOn = nodes.find((n) => n.holdsStream)?.name ?? "none";
  let index = 0;
  for (const [i, n] of nodes.entries()) if (n.clients > nodes[index]!.clients) index = i;
  return { index, clients: nodes[index]!.clients, streamOn };
}

/**
 * What a UA does after a 503: registers again. Afterwards every AOR of the phase is registered,
 * whether or not its first REGISTER was caught by the fault.
 */
async function reregister(p: Platform, ph: Phase): Promise<void> {
  const n = ph.registers.successfulCalls + ph.registers.failedCalls;
  const r = await runSipp({
    scenario: join(SCENARIOS, "register-open.xml"),
    target: `127.0.0.1:${p.edgePorts[0]}`,
    inject: Array.from({ length: n }, (_, i) => [`${ph.prefix}${i}`, OPEN_DOMAIN, "3600"]),
    calls: n,
    rate: REGISTER_RATE * 4,
    timeoutMs: 30_000,
  });
  assert.equal(r.failedCalls, 0, `re-registering ${ph.name}: ${counts(r)}\n${r.stderr.slice(0, 2000)}`);
  assert.equal(await countAors(p, ph.prefix), n, `${ph.name}: every AOR registered after the retry`);
}

async function stopPlatform(p: Platform | undefined, callee: ChildProcess | undefined): Promise<void> {
  if (callee?.pid !== undefined && callee.exitCode === null) process.kill(callee.pid, "SIGKILL");
  await p?.client.close();
  await p?.cluster.stop();
}

describe("the engines at production shape: Redis Cluster and NATS cluster failover under load (cluster mode)", { skip }, () => {
  let redis: RedisCluster | undefined;
  let nats: NatsCluster | undefined;
  let p: Platform;
  let callee: ChildProcess | undefined;

  before(async () => {
    [redis, nats] = await Promise.all([startRedisCluster({ masters: 3, replicasPerMaster: 1 }), startNatsCluster({ nodes: 3, jetstream: true })]);
    p = await startPlatform(nats.url, redis.url);
    callee = await startCallee(p);
  });
  after(async () => {
    await stopPlatform(p, callee);
    await Promise.all([redis?.stop(), nats?.stop()]);
  });

  it("keeps registering and calling while a Redis master fails over to its replica, and reports every failed request", async (ctx) => {
    const phases: Phase[] = [];
    let outageMs = 0;
    try {
      phases.push(await phase(p, "steady", "rf-steady-", 3));
      const master = await masterOfCallee(redis!);
      phases.push(
        await phase(p, "Redis master killed", "rf-failover-", 8, async () => {
          await sleep(2_000);
          const killedAt = Date.now();
          const f = await redis!.failover(master);
          const back = await timeToCall(p, 15_000);
          outageMs = Date.now() - killedAt;
          ctx.diagnostic(`Redis master ${f.killed.port} (the callee's) killed; replica ${f.promoted.port} promoted after ${f.tookMs} ms; a call completed ${back} ms later`);
        }),
      );
      phases.push(await phase(p, "after the failover", "rf-after-", 4));
    } finally {
      report(ctx, phases);
    }
    const [steady, failover, afterwards] = phases as [Phase, Phase, Phase];
    assertClean(steady, p);
    assertBounded(failover, outageMs);
    assertClean(afterwards, p);
    await assertRegistered(ctx, p, phases);
    await reregister(p, failover);
  });

  it("keeps registering and calling while a NATS node is killed, clients failing over to the others, and reports every failed request", async (ctx) => {
    const phases: Phase[] = [];
    let outageMs = 0;
    const victim = await natsNodeToKill(nats!);
    try {
      phases.push(await phase(p, "steady", "nf-steady-", 3));
      phases.push(
        await phase(p, "NATS node killed", "nf-failover-", 8, async () => {
          await sleep(2_000);
          const killedAt = Date.now();
          await nats!.kill(victim.index);
          const back = await timeToCall(p, 15_000);
          outageMs = Date.now() - killedAt;
          ctx.diagnostic(`NATS node ${nats!.nodes[victim.index]!.name} killed (${victim.clients} client connections; call-event stream on ${victim.streamOn}); a call completed ${back} ms later`);
        }),
      );
      phases.push(await phase(p, "with the node down", "nf-down-", 4));
      await nats!.restart(victim.index);
      phases.push(await phase(p, "after the node's restart", "nf-after-", 3));
    } finally {
      report(ctx, phases);
    }
    const [steady, killed, down, afterwards] = phases as [Phase, Phase, Phase, Phase];
    assertClean(steady, p);
    assertBounded(killed, outageMs);
    assertClean(down, p);
    assertClean(afterwards, p);
    await assertRegistered(ctx, p, phases);
    await reregister(p, killed);
    // Nothing crashed: every process rode the failover out.
    for (const proc of p.cluster.processes) assert.ok(proc.running, `${proc.name} is running`);
  });
});

describe("the engines at production shape: Redis with Sentinel failover under load (cluster mode)", { skip }, () => {
  let sentinel: RedisSentinelSet | undefined;
  let nats: EngineProcess | undefined;
  let p: Platform;
  let callee: ChildProcess | undefined;

  before(async () => {
    [sentinel, nats] = await Promise.all([startRedisSentinel({ replicas: 1, sentinels: 3 }), startNatsServer()]);
    p = await startPlatform(nats.url, sentinel.url);
    callee = await startCallee(p);
  });
  after(async () => {
    await stopPlatform(p, callee);
    await Promise.all([sentinel?.stop(), nats?.stop()]);
  });

  it("keeps registering and calling while the sentinels promote the replica of a killed master, and reports every failed request", async (ctx) => {
    const phases: Phase[] = [];
    let outageMs = 0;
    try {
      phases.push(await phase(p, "steady", "sf-steady-", 3));
      phases.push(
        await phase(p, "Redis master killed", "sf-failover-", 8, async () => {
          await sleep(2_000);
          const killedAt = Date.now();
          const f = await sentinel!.failover();
          const back = await timeToCall(p, 15_000);
          outageMs = Date.now() - killedAt;
          ctx.diagnostic(`Redis master ${f.killed.port} killed; the sentinels promoted ${f.promoted.port} after ${f.tookMs} ms; a call completed ${back} ms later`);
        }),
      );
      phases.push(await phase(p, "after the failover", "sf-after-", 3));
    } finally {
      report(ctx, phases);
    }
    const [steady, failover, afterwards] = phases as [Phase, Phase, Phase];
    assertClean(steady, p);
    assertBounded(failover, outageMs);
    assertClean(afterwards, p);
    await assertRegistered(ctx, p, phases);
    await reregister(p, failover);
  });
});
