// A carrier that challenges the platform (issue 5, outbound credentials) through cluster mode:
// alice dials a national number; the trunk's only gateway (sipp on 127.0.0.93) answers the
// INVITE with a 407; the edge answers it with the trunk's credentials (username in the YAML, the
// password from an environment variable), the carrier checks CSeq numbers through the whole
// dialog (uas-gateway-challenge.xml: the re-sent INVITE one above, then the caller's ACK and BYE
// shifted by the `cso` Record-Route parameter) and logs the Proxy-Authorization, which this test
// verifies with the trunk's password; alice checks the 200 for her BYE carries her own CSeq.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { computeHa1, parseCredentials, verifyCredentials } from "@sipfleet/sip";
import { freePort, hasSipp } from "@sipfleet/testing";
import { CALL_SCENARIOS } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { NO_GATEWAY_PINGS } from "./fixtures.js";
import { aliceDials, GERMAN_DIAL_PLAN, listeningSipp, sippReport } from "./sipp-runs.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

const GATEWAY = "127.0.0.93";
const DIALLED = "0301234567";
const TRUNK_USER = "acme-outbound";
const TRUNK_PASSWORD = "carrier-pw-5e1f";
const CARRIER_REALM = "carrier.test";

describe("a carrier's 407 answered with the trunk's outbound credentials (cluster mode)", { skip }, () => {
  let t: TestCluster;
  let port: number;
  let dir: string;

  before(async () => {
    port = await freePort(GATEWAY);
    dir = mkdtempSync(join(tmpdir(), "sipfleet-carrier-auth-"));
    const trunks = `trunks:
  - name: challenging-carrier
    gateways:
      - { host: ${GATEWAY}, port: ${port}, transport: udp, priority: 1 }
    inbound:
      allow: [127.0.0.90]
    outbound:
      credentials: { username: ${TRUNK_USER}, passwordEnv: CARRIER_TRUNK_PASSWORD }
numberRoutes:
  - prefix: "+49"
    trunks: [{ trunk: challenging-carrier }]
`;
    t = await startTestCluster(
      { edges: 1, registrars: 1, proxies: 1, locations: 1 },
      {
        algorithms: ["MD5", "SHA-256"],
        extraYaml: trunks,
        // The carrier sipp plays one call; gateway pings are gateway-health.test.ts's.
        edgeYaml: NO_GATEWAY_PINGS,
        digestDomainYaml: GERMAN_DIAL_PLAN,
      },
      { env: { CARRIER_TRUNK_PASSWORD: TRUNK_PASSWORD } },
    );
  });
  after(async () => {
    await t?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("the carrier's 407 is answered, the call is answered, the caller's ACK and BYE reach the carrier with the CSeq it expects and the BYE's 200 comes back with the caller's", async () => {
    const edge = `127.0.0.1:${t.edgePorts[0] as number}`;
    const logFile = join(dir, "carrier.log");
    const carrier = await listeningSipp(
      { scenario: CALL_SCENARIOS + "uas-gateway-challenge.xml", target: edge, calls: 1, localIp: GATEWAY, localPort: port, args: ["-trace_logs", "-log_file", logFile], timeoutMs: 25_000 },
      "sipp carrier",
    );
    const caller = await aliceDials(edge, DIALLED);
    const results = [caller, await carrier.run];
    assert.ok(results.every((r) => r.exitCode === 0), sippReport(results, t.logs));

    // What the carrier received in Proxy-Authorization, checked as the carrier would.
    const logged = /proxy-authorization=(.*)/.exec(readFileSync(logFile, "latin1"));
    assert.ok(logged?.[1] !== undefined, "the carrier logged the Proxy-Authorization it received");
    const value = logged[1].trim();
    const creds = parseCredentials(value);
    assert.equal(creds.username, TRUNK_USER);
    assert.equal(creds.qop, "auth");
    const verdict = verifyCredentials({ credentials: value, method: "INVITE", realm: CARRIER_REALM, ha1: { MD5: computeHa1(TRUNK_USER, CARRIER_REALM, TRUNK_PASSWORD, "MD5") } });
    assert.ok(verdict.ok, `the carrier accepts the trunk's credentials: ${JSON.stringify(verdict)}`);
    assert.ok(!t.logs.some((l) => l.includes(TRUNK_PASSWORD)), "the password never appears in a log");
  });
});
