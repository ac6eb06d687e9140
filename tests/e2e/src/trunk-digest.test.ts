// Calls from a carrier trunk with inbound digest credentials (issue 5) through cluster mode: a sipp
// "gateway" sending from the trunk's source address calls one of the trunk's numbers, answers the
// proxy's 407 in the trunk's realm with the carrier's account, and the number's owner rings and
// answers; with a wrong password the answer is 403 and nobody rings.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { computeHa1 } from "@sipfleet/sip";
import { hasSipp } from "@sipfleet/testing";
import { as, runCallFlow } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN, NO_GATEWAY_PINGS, registerWithDigest } from "./fixtures.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

/** The trunk's source address (loopback; the phones all send from 127.0.0.1). */
const CARRIER_IP = "127.0.0.91";
const DID = "+4930123477";
const CALLER = "+4915112345678";
const REALM = "carrier.sipfleet.test";
const ACCOUNT = "carrier-in";
const PASSWORD = "carrier-inbound-secret";

const TRUNKS = `trunks:
  - name: digest-carrier
    gateways:
      - { host: 127.0.0.1, port: 5090, transport: udp }
    inbound:
      allow: [${CARRIER_IP}]
      credentials:
        username: ${ACCOUNT}
        realm: ${REALM}
        ha1:
          md5: "${computeHa1(ACCOUNT, REALM, PASSWORD, "MD5")}"
          sha256: "${computeHa1(ACCOUNT, REALM, PASSWORD, "SHA-256")}"
    numbers:
      - { number: "${DID}", owner: alice@${DIGEST_DOMAIN} }
`;

describe("calls from a trunk with inbound digest credentials (cluster mode)", { skip }, () => {
  let t: TestCluster;

  before(async () => {
    t = await startTestCluster({ edges: 2, registrars: 1, proxies: 1, locations: 1 }, { algorithms: ["MD5", "SHA-256"], extraYaml: TRUNKS, edgeYaml: NO_GATEWAY_PINGS });
  });
  after(async () => {
    await t?.stop();
  });

  it("the carrier's INVITE to a DID is challenged in the trunk's realm, answered, and rings the owner; BYE ends it", async () => {
    const edge1 = { host: "127.0.0.1", port: t.edgePorts[0] as number };
    const edge2 = { host: "127.0.0.1", port: t.edgePorts[1] as number };
    const result = await runCallFlow({
      proxy: edge1,
      uac: { scenario: "uac-trunk-call-digest.xml", user: CALLER, authUser: ACCOUNT, password: PASSWORD, callee: DID, pauseMs: 300, localIp: CARRIER_IP },
      uas: [{ ...as("alice", "uas-answer.xml", 300), via: edge2 }],
      timeoutMs: 15_000,
    });
    assert.ok(result.ok, `${result.report}\n--- cluster:\n${t.logs.slice(-60).join("\n")}`);
  });

  it("with a wrong password the answer is 403 while the owner is registered, and nothing is routed", async () => {
    const edge1 = { host: "127.0.0.1", port: t.edgePorts[0] as number };
    const [registered] = await registerWithDigest(`${edge1.host}:${edge1.port}`, "udp", [["alice", "alice-secret"]], { expires: 60 });
    assert.equal(registered?.exitCode, 0, registered?.stderr);
    const result = await runCallFlow({
      proxy: edge1,
      uac: { scenario: "uac-trunk-call-digest-forbidden.xml", user: CALLER, authUser: ACCOUNT, password: "guessed", callee: DID, localIp: CARRIER_IP },
      timeoutMs: 10_000,
    });
    assert.ok(result.ok, `${result.report}\n--- cluster:\n${t.logs.slice(-60).join("\n")}`);
    assert.ok(
      t.logs.some((l) => l.includes("trunk authentication failed") && l.includes("digest-carrier")),
      "the proxy logged the failed carrier credentials with the trunk's name",
    );
  });
});
