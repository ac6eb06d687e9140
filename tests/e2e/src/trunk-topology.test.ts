// Topology hiding toward carriers (issue 5) through cluster mode: the user's sipp binds a
// distinctive address, 127.0.0.77, and the carrier's sipp records every message it receives
// (-trace_msg); nothing it receives may name 127.0.0.77: not the Via (only the edge's reaches the
// carrier), not the Contact (masked on the edge's address), not the Call-ID (the sipps here write
// one without an address, -cid_str: a proxy cannot rewrite it) nor the SDP (written with the media
// address, -mi: the platform does not touch media). Outbound: alice calls a number out over the
// trunk, the carrier answers and hangs up: its BYE to the masked Contact reaches alice. Inbound:
// the carrier calls a DID of alice's, who answers from 127.0.0.77; the carrier hangs up.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort, hasSipp, runSipp, type SippResult } from "@sipfleet/testing";
import { CALL_SCENARIOS } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN, NO_GATEWAY_PINGS, SCENARIOS } from "./fixtures.js";
import { waitForUdpPort } from "./udp-ports.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

const USER_IP = "127.0.0.77";
const GATEWAY = "127.0.0.91";
const CARRIER_IP = "127.0.0.90";
const DID = "+4930123400";
const DIALLED = "0301234567";
const TRUNK_SCENARIOS = join(SCENARIOS, "trunks/");
/** Call-IDs without the local address (sipp's default is `%u-%p@%s`, %s the local IP). */
const CALL_ID = ["-cid_str", "%u-%p@topology.test"];
/** SDP with a media address other than the signalling one. */
const MEDIA = ["-mi", "127.0.0.1"];

describe("topology hiding toward carriers (cluster mode)", { skip }, () => {
  let t: TestCluster;
  let gatewayPort: number;
  let traces: string;

  before(async () => {
    traces = mkdtempSync(join(tmpdir(), "sipfleet-topology-"));
    gatewayPort = await freePort(GATEWAY);
    const trunks = `trunks:
  - name: test-carrier
    gateways:
      - { host: ${GATEWAY}, port: ${gatewayPort}, transport: udp }
    inbound:
      allow: [${CARRIER_IP}]
    numbers:
      - { number: "${DID}", owner: alice@${DIGEST_DOMAIN} }
numberRoutes:
  - prefix: "+49"
    trunks: [{ trunk: test-carrier }]
`;
    t = await startTestCluster(
      { edges: 1, registrars: 1, proxies: 1, locations: 1 },
      {
        algorithms: ["MD5", "SHA-256"],
        extraYaml: trunks,
        edgeYaml: NO_GATEWAY_PINGS,
        digestDomainYaml: `    dialPlan: [{ match: "0", replace: "+49" }]\n    allowedPrefixes: ["+49"]\n`,
      },
    );
  });
  after(async () => {
    await t?.stop();
    rmSync(traces, { recursive: true, force: true });
  });

  const edge = (): string => `127.0.0.1:${t.edgePorts[0] as number}`;

  function report(results: readonly SippResult[], trace: string): string {
    let received: string;
    try {
      received = readFileSync(trace, "latin1").slice(-6000);
    } catch {
      received = "(no trace)";
    }
    return `${results.map((r, i) => `--- sipp ${i}: exit ${r.exitCode}\n${r.stderr}`).join("\n")}\n--- carrier trace:\n${received}\n--- cluster:\n${t.logs.slice(-60).join("\n")}`;
  }

  /** A sipp in server mode, listening before the call starts (its run in an object: an async function would wait for it). */
  async function listening(scenario: string, ip: string, port: number, args: string[]): Promise<{ run: Promise<SippResult> }> {
    let settled: string | undefined;
    const run = runSipp({ scenario, target: edge(), calls: 1, localIp: ip, localPort: port, args: ["-d", "300", ...args], timeoutMs: 20_000 });
    void run.then((r) => (settled = `exit ${r.exitCode}: ${r.stderr}`));
    run.catch(() => {});
    await waitForUdpPort(port, { timeoutMs: 10_000, what: `sipp ${scenario}`, gaveUp: () => settled });
    return { run };
  }

  /** What the carrier received: the message parts of sipp's -trace_msg log. */
  function received(trace: string): string[] {
    const text = readFileSync(trace, "latin1");
    return text.split(/^-{10,}.*$/m).filter((part) => /message received/.test(part));
  }

  function assertNoTrace(messages: readonly string[]): void {
    assert.ok(messages.length > 0, "the carrier received nothing");
    for (const m of messages) {
      assert.ok(!m.includes(USER_IP), `the carrier saw the user's address:\n${m}`);
      // Nor inside a token the platform wrote (Record-Route `ft`, Contact `ct`): base64url is no hiding.
      for (const [, name, token] of m.matchAll(/;(ft|ct)=([A-Za-z0-9_-]+)/g)) {
        assert.ok(!Buffer.from(token!, "base64url").toString("latin1").includes(USER_IP), `the ${name} token ${token} holds the user's address:\n${m}`);
      }
    }
  }

  it("a call out to the carrier: one Via, a masked Contact, no trace of the caller's address; the carrier's BYE reaches the caller", async () => {
    const trace = join(traces, "outbound-carrier.log");
    const carrier = await listening(CALL_SCENARIOS + "uas-answer-then-bye.xml", GATEWAY, gatewayPort, ["-trace_msg", "-message_file", trace]);
    const caller = await runSipp({
      scenario: TRUNK_SCENARIOS + "uac-hidden-callee-bye.xml",
      target: edge(),
      inject: [["alice", DIGEST_DOMAIN, DIALLED]],
      calls: 1,
      localIp: USER_IP,
      localPort: await freePort(USER_IP),
      args: ["-au", "alice", "-ap", "alice-secret", "-auth_uri", `${DIALLED}@${DIGEST_DOMAIN}`, "-d", "300", ...CALL_ID, ...MEDIA],
      timeoutMs: 15_000,
    });
    const results = [caller, await carrier.run];
    assert.ok(results.every((r) => r.exitCode === 0), report(results, trace));
    const messages = received(trace);
    assertNoTrace(messages);
    const invite = messages.find((m) => /^\s*INVITE /m.test(m));
    assert.ok(invite !== undefined, "the carrier got the INVITE");
    assert.equal(invite.match(/^Via:/gim)?.length, 1, `one Via only:\n${invite}`);
    assert.match(invite, /^Contact: <sip:127\.0\.0\.1:\d+;ct=[A-Za-z0-9_-]+>\r?$/m, "the Contact is masked on the edge's address");
  });

  it("a call in from the carrier: the user's answer reaches the carrier without the user's address; the carrier's BYE ends it", async () => {
    const trace = join(traces, "inbound-carrier.log");
    const userPort = await freePort(USER_IP);
    const registered = await runSipp({
      scenario: CALL_SCENARIOS + "register.xml",
      target: edge(),
      inject: [["alice", DIGEST_DOMAIN, "60"]],
      calls: 1,
      localIp: USER_IP,
      localPort: userPort,
      args: ["-au", "alice", "-ap", "alice-secret", "-auth_uri", DIGEST_DOMAIN, ...CALL_ID],
      timeoutMs: 10_000,
    });
    assert.equal(registered.exitCode, 0, registered.stderr);
    const user = await listening(TRUNK_SCENARIOS + "uas-hidden-answer.xml", USER_IP, userPort, MEDIA);
    const carrier = await runSipp({
      scenario: CALL_SCENARIOS + "uac-trunk-call-bye.xml",
      target: edge(),
      inject: [["+4915112345678", DIGEST_DOMAIN, DID]],
      calls: 1,
      localIp: CARRIER_IP,
      localPort: await freePort(CARRIER_IP),
      args: ["-d", "300", "-trace_msg", "-message_file", trace],
      timeoutMs: 15_000,
    });
    const results = [carrier, await user.run];
    assert.ok(results.every((r) => r.exitCode === 0), report(results, trace));
    const messages = received(trace);
    assertNoTrace(messages);
    const ok = messages.find((m) => /^\s*SIP\/2\.0 200 OK/m.test(m) && /CSeq: 1 INVITE/.test(m));
    assert.ok(ok !== undefined, "the carrier got the 200");
    assert.match(ok, /^Contact: <sip:127\.0\.0\.1:\d+;ct=[A-Za-z0-9_-]+>\r?$/m, "the user's Contact is masked on the edge's address");
  });
});
