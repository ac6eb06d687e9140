// Gateway health (issue 5) through cluster mode, sipp as the carrier: the edge pings the trunk's
// two gateways (127.0.0.95, 127.0.0.96) with OPTIONS every second; two failed pings in a row mark
// one down. Gateway 1's sipp answers two pings and stops; a silent socket takes its port: it is
// marked down, and alice's call skips it to gateway 2 (gateway 1 hears no INVITE). Then a sipp on
// gateway 1's port answers again: it is marked up and the next call goes to it.
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { after, before, describe, it } from "node:test";
import { freePort, hasSipp, runSipp, type SippResult } from "@sipfleet/testing";
import { CALL_SCENARIOS } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { aliceDials, GERMAN_DIAL_PLAN, listeningSipp, sippReport } from "./sipp-runs.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

const GATEWAY_1 = "127.0.0.95";
const GATEWAY_2 = "127.0.0.96";
const DIALLED = "0301234567";
const INTERVAL_MS = 1000;
const FAILURES = 2;

/** A gateway that is down: its port bound, nothing answered; the first line of everything it hears. */
class SilentGateway {
  readonly heard: string[] = [];
  private constructor(private readonly socket: Socket) {}

  static async bind(ip: string, port: number): Promise<SilentGateway> {
    const socket = createSocket("udp4");
    const g = new SilentGateway(socket);
    socket.on("message", (m) => g.heard.push(m.toString("latin1").split("\r\n", 1)[0] ?? ""));
    await new Promise<void>((resolve) => socket.bind(port, ip, resolve));
    return g;
  }

  count(method: string): number {
    return this.heard.filter((l) => l.startsWith(`${method} `)).length;
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

describe("gateway health from OPTIONS pings (cluster mode)", { skip }, () => {
  let t: TestCluster;
  let port1: number;
  let port2: number;

  before(async () => {
    port1 = await freePort(GATEWAY_1);
    port2 = await freePort(GATEWAY_2);
    const trunks = `trunks:
  - name: pinged-carrier
    gateways:
      - { host: ${GATEWAY_1}, port: ${port1}, transport: udp, priority: 1 }
      - { host: ${GATEWAY_2}, port: ${port2}, transport: udp, priority: 2 }
    inbound:
      allow: [127.0.0.97]
numberRoutes:
  - prefix: "+49"
    trunks: [{ trunk: pinged-carrier }]
`;
    t = await startTestCluster(
      { edges: 1, registrars: 1, proxies: 1, locations: 1 },
      {
        algorithms: ["MD5", "SHA-256"],
        extraYaml: trunks,
        edgeYaml: `  gatewayPing: { intervalMs: ${INTERVAL_MS}, failuresBeforeDown: ${FAILURES} }\n`,
        digestDomainYaml: GERMAN_DIAL_PLAN,
      },
    );
  });
  after(async () => {
    await t?.stop();
  });

  const edge = (): string => `127.0.0.1:${t.edgePorts[0] as number}`;

  /** The edge's last logged state change for a gateway: "down", "up", or undefined (none yet). */
  function logged(ip: string, port: number): "down" | "up" | undefined {
    let state: "down" | "up" | undefined;
    for (const l of t.logs) {
      if (!l.includes(`udp|${ip}|${port}`)) continue;
      if (l.includes("gateway down")) state = "down";
      else if (l.includes("gateway up")) state = "up";
    }
    return state;
  }

  /** The edge's last state-change log line for a gateway, parsed. */
  function lastChange(ip: string, port: number): { pings?: number; failures?: number } | undefined {
    const l = t.logs.filter((x) => x.includes(`udp|${ip}|${port}`) && x.includes("gateway ")).at(-1);
    if (l === undefined) return undefined;
    try {
      return JSON.parse(l.slice(l.indexOf("{"))) as { pings?: number; failures?: number };
    } catch {
      return undefined;
    }
  }

  async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${t.logs.slice(-40).join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** A sipp gateway on ip:port that answers pings, and the one INVITE, then exits; resolves once it listens. */
  function aliveGateway(ip: string, port: number): Promise<{ readonly run: Promise<SippResult> }> {
    const run = { scenario: CALL_SCENARIOS + "uas-gateway-options-answer.xml", target: edge(), calls: 10_000, localIp: ip, localPort: port, args: ["-d", "300"], timeoutMs: 60_000 };
    return listeningSipp(run, `sipp gateway on ${ip}`);
  }

  it("a dead gateway is marked down by OPTIONS and skipped, then used again when it returns", async () => {
    // Gateway 2 alive throughout the first call; gateway 1 answers two pings, then its sipp stops.
    const gw2 = await aliveGateway(GATEWAY_2, port2);
    const first = await runSipp({
      scenario: CALL_SCENARIOS + "uas-gateway-options.xml",
      target: edge(),
      calls: 2,
      localIp: GATEWAY_1,
      localPort: port1,
      timeoutMs: 20_000,
    });
    assert.equal(first.exitCode, 0, `gateway 1 answered two pings: ${first.stderr}`);
    assert.equal(first.successfulCalls, 2);

    // Its answers brought it up, if the pings before its sipp listened had marked it down.
    await waitFor(() => logged(GATEWAY_1, port1) !== "down", 10_000, "gateway 1 up while its sipp answered");
    // Dead: the port is bound (so what reaches it is seen) but nothing answers.
    let dead = await SilentGateway.bind(GATEWAY_1, port1);
    const deadSince = Date.now();
    try {
      await waitFor(() => logged(GATEWAY_1, port1) === "down", 20_000, "gateway 1 marked down");
      const line = lastChange(GATEWAY_1, port1);
      console.log(
        `# gateway 1 marked down ${Date.now() - deadSince} ms after its sipp stopped: ${dead.count("OPTIONS")} OPTIONS datagrams unanswered ` +
          `(retransmissions included); the edge logged failures=${line?.failures} pings=${line?.pings} (sent since start; interval ${INTERVAL_MS} ms, failuresBeforeDown ${FAILURES})`,
      );
      await waitFor(() => logged(GATEWAY_2, port2) !== "down", 10_000, "gateway 2 not down");
      const caller = await aliceDials(edge(), DIALLED);
      const results = [caller, await gw2.run];
      assert.ok(results.every((r) => r.exitCode === 0), sippReport(results, t.logs));
      assert.equal(dead.count("INVITE"), 0, `gateway 1 (down) got no INVITE: ${JSON.stringify(dead.heard)}`);
    } finally {
      await dead.close();
    }

    // Gateway 1 returns (a sipp on its port again); gateway 2's sipp has exited: a silent socket
    // takes its port, to see that the next call does not go there.
    const gw1 = await aliveGateway(GATEWAY_1, port1);
    const returnedAt = Date.now();
    dead = await SilentGateway.bind(GATEWAY_2, port2);
    try {
      await waitFor(() => logged(GATEWAY_1, port1) === "up", 20_000, "gateway 1 marked up");
      console.log(`# gateway 1 marked up ${Date.now() - returnedAt} ms after its sipp returned`);
      const caller = await aliceDials(edge(), DIALLED);
      const results = [caller, await gw1.run];
      assert.ok(results.every((r) => r.exitCode === 0), sippReport(results, t.logs));
      assert.equal(dead.count("INVITE"), 0, `gateway 2 got no INVITE: ${JSON.stringify(dead.heard)}`);
    } finally {
      await dead.close();
    }
  });
});
