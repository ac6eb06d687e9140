// Faults under load in cluster mode: workers and replicas die, Redis and NATS restart.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { hasSipp, runSipp, type SippResult } from "@sipfleet/testing";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { OPEN_DOMAIN, SCENARIOS, sleep } from "./fixtures.js";
import { openRegister, statusOf, UdpSipClient } from "./sip-udp-client.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

function load(t: TestCluster, prefix: string, calls: number, rate: number, edge = 0): Promise<SippResult> {
  const users = Array.from({ length: calls }, (_, i) => [`${prefix}${i}`, OPEN_DOMAIN, "3600"]);
  return runSipp({
    scenario: join(SCENARIOS, "register-open.xml"),
    target: `127.0.0.1:${t.edgePorts[edge]}`,
    inject: users,
    calls,
    rate,
    timeoutMs: 90_000,
  });
}

async function countAors(t: TestCluster, prefix: string): Promise<number> {
  let n = 0;
  let token: string | undefined;
  do {
    const page = await t.client.list(500, token);
    n += page.entries.filter((e) => e.aor.startsWith(`sip:${prefix}`)).length;
    token = page.nextPageToken;
  } while (token !== undefined);
  return n;
}

/** Milliseconds until a REGISTER through the edge gets 200 again (polling every 200 ms). */
async function timeToServe(t: TestCluster, user: string, limitMs: number): Promise<number> {
  const client = await UdpSipClient.open();
  const started = Date.now();
  try {
    for (let cseq = 1; Date.now() - started < limitMs; cseq++) {
      try {
        const r = await client.request(t.edgePorts[0]!, openRegister(user, OPEN_DOMAIN, `probe-${user}`, cseq, 5000, 600), 1_000);
        if (statusOf(r) === 200) return Date.now() - started;
      } catch {
        // no answer yet
      }
      await sleep(200);
    }
    throw new Error(`${user}: no 200 within ${limitMs} ms`);
  } finally {
    client.close();
  }
}

function assertAllRunning(t: TestCluster, pids: readonly number[]): void {
  for (const [i, p] of t.cluster.processes.entries()) {
    assert.ok(p.running, `${p.name} is running`);
    assert.equal(p.pid, pids[i], `${p.name} was not restarted`);
  }
}

describe("faults under load (cluster mode)", { skip }, () => {
  let t: TestCluster;

  before(async () => {
    // A short decision timeout: a REGISTER held by a killed worker is re-asked sooner.
    t = await startTestCluster({ edges: 2, registrars: 2, locations: 2 }, { decisionTimeoutMs: 1_000 });
  });
  after(async () => {
    await t.stop();
  });

  it("loses no REGISTER and no binding when a registrar worker and a location replica are killed", async () => {
    const calls = 600;
    const running = load(t, "kill", calls, 60);
    await sleep(3_000);
    const registrar = t.cluster.processes.find((p) => p.tier === "registrar")!;
    const location = t.cluster.processes.find((p) => p.tier === "location")!;
    await Promise.all([registrar.kill("SIGKILL"), location.kill("SIGKILL")]);
    const result = await running;
    assert.equal(result.exitCode, 0, `${result.failedCalls} failed: ${result.stderr.slice(0, 2000)}`);
    assert.equal(result.successfulCalls, calls);
    assert.equal(await countAors(t, "kill"), calls, "every registered AOR is stored");
    await Promise.all([registrar.restart(), location.restart()]);
  });

  for (const engine of ["redis", "nats"] as const) {
    it(`serves again within seconds after ${engine} restarts under load, and nothing crashes`, async () => {
      const pids = t.cluster.processes.map((p) => p.pid);
      const edge = engine === "redis" ? 0 : 1;
      const running = load(t, engine, 400, 40, edge);
      await sleep(2_000);
      await t[engine].stop(true);
      await sleep(1_000);
      await t[engine].restart();
      // Throws when no REGISTER is answered 200 within 10 s.
      await timeToServe(t, `after-${engine}`, 10_000);
      const during = await running;
      assert.ok(during.successfulCalls > 0);
      const afterwards = await load(t, `post-${engine}`, 100, 100, edge);
      assert.equal(afterwards.exitCode, 0, afterwards.stderr.slice(0, 2000));
      assertAllRunning(t, pids);
    });
  }
});
