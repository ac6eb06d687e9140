// Calls under faults in cluster mode (issue 4): a steady call load through 2 edges, 2 proxy
// workers, 2 registrars and 2 location replicas while a proxy worker is killed and restarted, then
// while the NATS server restarts. The load runs in back-to-back phases (one sipp run each), so the
// failed calls are counted per phase: only calls a fault caught may fail, the phase after each
// fault must be clean, and every failed call is reported.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, describe, it, type TestContext } from "node:test";
import { join } from "node:path";
import { freePort, hasSipp, runSipp, type SippResult } from "@sipfleet/testing";
import { CALL_SCENARIOS } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { OPEN_DOMAIN, sleep } from "./fixtures.js";
import { waitForUdpPort } from "./udp-ports.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

/** Calls started per second: steady, well below what two proxy workers carry on a small machine. */
const RATE = 15;
/** Talk time of each call (sipp -d), ms: the calls are short, so many are set up and torn down. */
const TALK_MS = 100;
const CALLER = "load-caller";
const CALLEE = "load-callee";

interface Phase {
  readonly name: string;
  readonly result: SippResult;
}

function line(p: Phase): string {
  const r = p.result;
  const calls = r.successfulCalls + r.failedCalls;
  return `${p.name}: ${calls} calls, ${r.successfulCalls} completed, ${r.failedCalls} failed (exit ${r.exitCode}, ${r.retransmissions} retransmissions)`;
}

/**
 * Answers every call to CALLEE: registers a free port through the second edge, then one sipp
 * answers there until killed. Spawned here rather than with runSipp: it must run for the whole
 * suite and be stopped by its PID when the suite ends.
 */
async function startCallee(t: TestCluster): Promise<ChildProcess> {
  const port = await freePort();
  const edge2 = `127.0.0.1:${t.edgePorts[1]}`;
  const registered = await runSipp({
    scenario: join(CALL_SCENARIOS, "register.xml"),
    target: edge2,
    inject: [[CALLEE, OPEN_DOMAIN, "3600"]],
    calls: 1,
    localPort: port,
    timeoutMs: 10_000,
  });
  assert.equal(registered.exitCode, 0, `the callee registers: ${registered.stderr}`);
  const child = spawn(
    "sipp",
    [edge2, "-sf", join(CALL_SCENARIOS, "uas-load-answer.xml"), "-t", "u1", "-i", "127.0.0.1", "-p", String(port), "-nostdin", "-m", "1000000"],
    { stdio: ["ignore", "ignore", "ignore"] },
  );
  let ended: string | undefined;
  child.once("exit", (code) => (ended = `exit ${code}`));
  child.once("error", (e) => (ended = e.message));
  await waitForUdpPort(port, { timeoutMs: 10_000, what: "the callee's sipp", gaveUp: () => ended });
  return child;
}

/** `calls` calls from the first edge at RATE per second; `during` runs alongside (the fault). */
async function phase(t: TestCluster, name: string, seconds: number, during?: () => Promise<void>): Promise<Phase> {
  const running = runSipp({
    scenario: join(CALL_SCENARIOS, "uac-load-call.xml"),
    target: `127.0.0.1:${t.edgePorts[0]}`,
    inject: [[CALLER, OPEN_DOMAIN, CALLEE]],
    calls: RATE * seconds,
    rate: RATE,
    args: ["-d", String(TALK_MS)],
    timeoutMs: seconds * 1_000 + 20_000,
  });
  running.catch(() => {}); // awaited below, after the fault
  await during?.();
  return { name, result: await running };
}

/** Milliseconds until one call through the first edge completes again (a probe every 250 ms). */
async function timeToCall(t: TestCluster, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    const r = await runSipp({
      scenario: join(CALL_SCENARIOS, "uac-load-call.xml"),
      target: `127.0.0.1:${t.edgePorts[0]}`,
      inject: [[`probe-${CALLER}`, OPEN_DOMAIN, CALLEE]],
      calls: 1,
      args: ["-d", "0"],
      timeoutMs: 10_000,
    });
    if (r.exitCode === 0) return Date.now() - started;
    await sleep(250);
  }
  throw new Error(`no call completed within ${limitMs} ms`);
}

/**
 * One line per phase; for a phase with failed calls, also how they failed, from sipp's error log
 * (a sample: runSipp keeps its first 8 KiB).
 */
function report(ctx: TestContext, phases: readonly Phase[]): void {
  for (const p of phases) {
    ctx.diagnostic(line(p));
    if (p.result.failedCalls === 0) continue;
    const reasons = new Map<string, number>();
    for (const l of p.result.stderr.split("\n")) {
      const got = /while expecting '([^']+)'.*received '(?:SIP\/2\.0 )?(\S+)/.exec(l);
      const reason = got !== null ? `expected ${got[1]}, received ${got[2]}` : /timeout/i.test(l) ? l.replace(/^.*?(timeout)/i, "$1").replace(/\d{4,}/g, "N") : undefined;
      if (reason !== undefined) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    for (const [reason, n] of reasons) ctx.diagnostic(`  sample of sipp's errors: ${n} x ${reason}`);
  }
}

/** Clean: every call of the phase completed. */
function assertClean(p: Phase, t: TestCluster): void {
  assert.equal(p.result.failedCalls, 0, `${line(p)}\n${p.result.stderr.slice(0, 2000)}\n--- cluster:\n${t.logs.slice(-40).join("\n")}`);
  assert.equal(p.result.exitCode, 0, line(p));
  assert.ok(p.result.successfulCalls > 0, line(p));
}

/**
 * The fault's phase: calls complete around the fault, and only those it caught fail: the ones
 * started while the platform could not route (`outageMs`) and the ones in flight when it began
 * (a second's worth: a call lasts a few hundred ms).
 */
function assertBounded(p: Phase, outageMs: number): void {
  const r = p.result;
  const bound = Math.ceil(RATE * (outageMs / 1_000 + 1));
  assert.ok(r.successfulCalls > 0, line(p));
  assert.ok(r.failedCalls <= bound, `at most ${bound} calls fail (${outageMs} ms without service): ${line(p)}\n${r.stderr.slice(0, 2000)}`);
}

describe("calls under faults (cluster mode)", { skip }, () => {
  let t: TestCluster;
  let callee: ChildProcess | undefined;

  before(async () => {
    // A short decision timeout: a request held by a killed worker is re-asked sooner.
    t = await startTestCluster({ edges: 2, proxies: 2, registrars: 2, locations: 2 }, { decisionTimeoutMs: 1_000 });
    callee = await startCallee(t);
  });
  after(async () => {
    if (callee?.pid !== undefined && callee.exitCode === null) process.kill(callee.pid, "SIGKILL");
    await t?.stop();
  });

  it("completes calls while a proxy worker is killed and restarted, then NATS restarts, and counts every failed call", async (ctx) => {
    const pids = t.cluster.processes.map((p) => p.pid);
    const phases: Phase[] = [];
    // From NATS stopping until a call completes again.
    let natsOutage = 0;
    try {
      phases.push(await phase(t, "steady", 4));

      const proxy = t.cluster.processes.find((p) => p.tier === "proxy")!;
      phases.push(
        await phase(t, "proxy worker killed", 8, async () => {
          await sleep(2_000);
          const killed = Date.now();
          await proxy.kill("SIGKILL");
          await sleep(3_000);
          await proxy.restart();
          const back = await timeToCall(t, 10_000);
          ctx.diagnostic(`proxy worker killed, restarted after ${Date.now() - killed - back} ms; a call completed ${back} ms later`);
        }),
      );
      phases.push(await phase(t, "after the proxy worker restart", 4));

      phases.push(
        await phase(t, "NATS restarted", 8, async () => {
          await sleep(2_000);
          const stopped = Date.now();
          await t.nats.stop(true);
          await sleep(1_000);
          await t.nats.restart();
          const restarted = Date.now();
          // Throws when no call completes within 10 s: the platform must recover by itself.
          const back = await timeToCall(t, 10_000);
          natsOutage = restarted + back - stopped;
          ctx.diagnostic(`NATS down for ${restarted - stopped} ms; a call completed ${back} ms after it was back`);
        }),
      );
      phases.push(await phase(t, "after the NATS restart", 4));
    } finally {
      report(ctx, phases);
    }

    const [steady, proxyKilled, afterProxy, natsRestarted, afterNats] = phases as [Phase, Phase, Phase, Phase, Phase];
    const failed = phases.reduce((n, p) => n + p.result.failedCalls, 0);
    const total = phases.reduce((n, p) => n + p.result.successfulCalls + p.result.failedCalls, 0);
    ctx.diagnostic(`overall: ${total} calls, ${total - failed} completed, ${failed} failed`);

    assertClean(steady, t);
    // The other worker carries the calls while one is dead: only its in-flight ones may fail.
    assertBounded(proxyKilled, 0);
    assertClean(afterProxy, t);
    assertBounded(natsRestarted, natsOutage);
    assertClean(afterNats, t);
    assert.ok(failed < total * 0.1, `at most 10% of all calls fail: ${failed} of ${total}`);
    // Nothing crashed: every process still runs as the same PID, but the restarted proxy worker.
    for (const [i, p] of t.cluster.processes.entries()) {
      assert.ok(p.running, `${p.name} is running`);
      if (p.tier !== "proxy" || i !== t.cluster.processes.findIndex((q) => q.tier === "proxy")) {
        assert.equal(p.pid, pids[i], `${p.name} was not restarted`);
      }
    }
  });
});
