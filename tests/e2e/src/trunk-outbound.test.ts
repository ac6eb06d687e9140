// Calls to a carrier trunk (issue 5, outbound) through cluster mode: alice dials a national number
// as a local one (`0301234567`, the dial plan makes it +49301234567); the number route's trunk
// has two gateways, sipp on 127.0.0.91 and 127.0.0.92. Gateway 1 answering 503 moves the call to
// gateway 2, which answers; gateway 1 answering 486 is the callee's answer: it reaches alice and
// gateway 2 hears nothing. Gateway 1 silent: after proxy.gatewayProvisionalTimeoutMs gateway 2 is
// tried and answers. A premium-rate number (`0900...`, +49900) is refused with 403 before any
// gateway hears of it.
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { after, before, describe, it } from "node:test";
import { freePort, hasSipp, runSipp, type SippResult } from "@sipfleet/testing";
import { CALL_SCENARIOS } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN, NO_GATEWAY_PINGS } from "./fixtures.js";
import { waitForUdpPort } from "./udp-ports.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

const GATEWAY_1 = "127.0.0.91";
const GATEWAY_2 = "127.0.0.92";
const DIALLED = "0301234567";
/** +49900123456: premium rate, blocked for the domain although +49 is allowed. */
const PREMIUM = "0900123456";

describe("calls to a trunk over its number route (cluster mode)", { skip }, () => {
  let t: TestCluster;
  let port1: number;
  let port2: number;

  before(async () => {
    port1 = await freePort(GATEWAY_1);
    port2 = await freePort(GATEWAY_2);
    const trunks = `trunks:
  - name: test-carrier
    gateways:
      - { host: ${GATEWAY_1}, port: ${port1}, transport: udp, priority: 1 }
      - { host: ${GATEWAY_2}, port: ${port2}, transport: udp, priority: 2 }
    inbound:
      allow: [127.0.0.90]
numberRoutes:
  - prefix: "+49"
    trunks: [{ trunk: test-carrier }]
`;
    t = await startTestCluster(
      { edges: 1, registrars: 1, proxies: 1, locations: 1 },
      {
        algorithms: ["MD5", "SHA-256"],
        extraYaml: trunks,
        // Each sipp gateway here plays one call; gateway health is gateway-health.test.ts's.
        edgeYaml: NO_GATEWAY_PINGS,
        digestDomainYaml: `    dialPlan: [{ match: "00", replace: "+" }, { match: "0", replace: "+49" }]\n    blockedPrefixes: ["+", "+49900"]\n    allowedPrefixes: ["+49"]\n`,
      },
    );
  });
  after(async () => {
    await t?.stop();
  });

  /** Gateway sipps listening first, then alice's call; every sipp's result. */
  async function call(uac: string, gateways: (readonly [ip: string, port: number, scenario: string])[], dialled = DIALLED): Promise<SippResult[]> {
    const edge = `127.0.0.1:${t.edgePorts[0] as number}`;
    const answering = gateways.map(([ip, port, scenario]) => {
      let settled: string | undefined;
      const run = runSipp({ scenario: CALL_SCENARIOS + scenario, target: edge, calls: 1, localIp: ip, localPort: port, args: ["-d", "300"], timeoutMs: 20_000 });
      void run.then((r) => (settled = `exit ${r.exitCode}: ${r.stderr}`));
      run.catch(() => {});
      return { run, listening: waitForUdpPort(port, { timeoutMs: 10_000, what: `sipp ${scenario}`, gaveUp: () => settled }) };
    });
    await Promise.all(answering.map((a) => a.listening));
    const caller = await runSipp({
      scenario: CALL_SCENARIOS + uac,
      target: edge,
      inject: [["alice", DIGEST_DOMAIN, dialled]],
      calls: 1,
      localIp: "127.0.0.1",
      localPort: await freePort("127.0.0.1"),
      args: ["-au", "alice", "-ap", "alice-secret", "-auth_uri", `${dialled}@${DIGEST_DOMAIN}`, "-d", "300"],
      timeoutMs: 15_000,
    });
    return [caller, ...(await Promise.all(answering.map((a) => a.run)))];
  }

  function report(results: readonly SippResult[]): string {
    return `${results.map((r, i) => `--- sipp ${i}: exit ${r.exitCode}\n${r.stderr}`).join("\n")}\n--- cluster:\n${t.logs.slice(-60).join("\n")}`;
  }

  it("gateway 1 answers 503: the call fails over to gateway 2, which answers; BYE ends it", async () => {
    const results = await call("uac-call-bye.xml", [
      [GATEWAY_1, port1, "uas-gateway-unavailable.xml"],
      [GATEWAY_2, port2, "uas-answer.xml"],
    ]);
    assert.ok(results.every((r) => r.exitCode === 0), report(results));
  });

  it("gateway 1 is silent: after the provisional timeout the call fails over to gateway 2, which answers", async () => {
    // Gateway 1 hears the INVITE (and its retransmissions) and never answers.
    const heard: string[] = [];
    const silent: Socket = createSocket("udp4");
    silent.on("message", (m) => heard.push(m.toString("latin1").split("\r\n", 1)[0] ?? ""));
    await new Promise<void>((resolve) => silent.bind(port1, GATEWAY_1, resolve));
    try {
      const started = Date.now();
      const results = await call("uac-call-bye.xml", [[GATEWAY_2, port2, "uas-answer.xml"]]);
      assert.ok(results.every((r) => r.exitCode === 0), report(results));
      const invites = heard.filter((l) => l.startsWith("INVITE "));
      assert.ok(invites.length >= 1, `gateway 1 got the INVITE first: ${JSON.stringify(heard)}`);
      console.log(`# gateway 1 silent: ${invites.length} INVITE datagrams (with retransmissions) reached it before the failover; call answered by gateway 2, whole run ${Date.now() - started} ms`);
    } finally {
      silent.close();
    }
  });

  it("gateway 1 (checking the PAI it got, and that no Proxy-Authorization came) answers 486: the caller gets it and gateway 2 is not tried", async () => {
    const heard: Buffer[] = [];
    const listener: Socket = createSocket("udp4");
    listener.on("message", (m) => heard.push(m));
    await new Promise<void>((resolve) => listener.bind(port2, GATEWAY_2, resolve));
    try {
      const results = await call("uac-call-busy.xml", [[GATEWAY_1, port1, "uas-gateway-busy.xml"]]);
      assert.ok(results.every((r) => r.exitCode === 0), report(results));
      assert.deepEqual(heard.map((m) => m.toString("latin1").split("\r\n", 1)[0]), [], "gateway 2 received nothing");
    } finally {
      listener.close();
    }
  });

  it("a premium-rate number is refused with 403 once alice is authenticated, and no gateway hears of it", async () => {
    const heard: Buffer[] = [];
    const listeners: Socket[] = [];
    for (const [ip, port] of [[GATEWAY_1, port1], [GATEWAY_2, port2]] as const) {
      const l = createSocket("udp4");
      l.on("message", (m) => heard.push(m));
      await new Promise<void>((resolve) => l.bind(port, ip, resolve));
      listeners.push(l);
    }
    try {
      const results = await call("uac-call-refused-403.xml", [], PREMIUM);
      assert.ok(results.every((r) => r.exitCode === 0), report(results));
      assert.deepEqual(heard.map((m) => m.toString("latin1").split("\r\n", 1)[0]), [], "no gateway received anything");
      assert.ok(t.logs.some((l) => l.includes("destination not allowed") && l.includes("+49900123456")), "the refusal is logged with the number");
    } finally {
      for (const l of listeners) l.close();
    }
  });
});
