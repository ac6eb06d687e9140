// Calls from a carrier trunk (issue 5, inbound) through cluster mode: a sipp "gateway" sending from
// the trunk's source address calls one of the trunk's numbers, and the number's owner, registered
// on two devices through the other edge, rings on both; the same INVITE from an address no trunk
// allows is refused with 403 and reaches nobody.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readCallEvents, type StoredCallEvent } from "@sipfleet/call-events";
import { CallEvent_Ending, CallEvent_Kind } from "@sipfleet/proto";
import { hasSipp } from "@sipfleet/testing";
import { connect } from "nats";
import { as, runCallFlow } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN, NO_GATEWAY_PINGS, registerWithDigest } from "./fixtures.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

/** The trunk's source address (loopback; the phones all send from 127.0.0.1). */
const CARRIER_IP = "127.0.0.90";
const DID = "+4930123400";
const CALLER = "+4915112345678";

const TRUNKS = `trunks:
  - name: test-carrier
    gateways:
      - { host: 127.0.0.1, port: 5090, transport: udp }
    inbound:
      allow: [${CARRIER_IP}]
    numbers:
      - { number: "${DID}", owner: alice@${DIGEST_DOMAIN} }
`;

describe("calls from a trunk to its numbers (cluster mode)", { skip }, () => {
  let t: TestCluster;

  before(async () => {
    t = await startTestCluster({ edges: 2, registrars: 1, proxies: 1, locations: 1 }, { algorithms: ["MD5", "SHA-256"], extraYaml: TRUNKS, edgeYaml: NO_GATEWAY_PINGS });
  });
  after(async () => {
    await t?.stop();
  });

  it("the carrier's INVITE to a DID rings both of the owner's devices without a challenge; one answers, the other is cancelled, BYE ends it", async () => {
    const edge1 = { host: "127.0.0.1", port: t.edgePorts[0] as number };
    const edge2 = { host: "127.0.0.1", port: t.edgePorts[1] as number };
    const result = await runCallFlow({
      proxy: edge1,
      uac: { scenario: "uac-trunk-call-bye.xml", user: CALLER, callee: DID, pauseMs: 300, localIp: CARRIER_IP },
      uas: [
        { ...as("alice", "uas-answer.xml", 500), via: edge2 },
        { ...as("alice", "uas-ring-cancelled.xml"), via: edge2 },
      ],
      timeoutMs: 15_000,
    });
    assert.ok(result.ok, `${result.report}\n--- cluster:\n${t.logs.slice(-60).join("\n")}`);
    assert.equal(result.runs.length, 1 + 3 * 2);
  });

  it("the same INVITE from an address no trunk allows gets 403 while the owner is registered, and is routed nowhere", async () => {
    const edge1 = { host: "127.0.0.1", port: t.edgePorts[0] as number };
    const [registered] = await registerWithDigest(`${edge1.host}:${edge1.port}`, "udp", [["alice", "alice-secret"]], { expires: 60 });
    assert.equal(registered?.exitCode, 0, registered?.stderr);
    const result = await runCallFlow({
      proxy: edge1,
      uac: { scenario: "uac-trunk-call-forbidden.xml", user: CALLER, callee: DID, localIp: "127.0.0.1" },
      timeoutMs: 10_000,
    });
    assert.ok(result.ok, `${result.report}\n--- cluster:\n${t.logs.slice(-60).join("\n")}`);
    assert.ok(
      t.logs.some((l) => l.includes("request for a number from a source no trunk allows")),
      "the proxy logged the refusal",
    );
  });

  it("the call events show the trunk's call only: attempted, answered and ended by BYE; nothing for the refused one", async () => {
    let events: StoredCallEvent["event"][] = [];
    // The edge publishes as the messages go out: the BYE's event may still be on its way.
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      events = await allEvents();
      if (events.some((e) => e.kind === CallEvent_Kind.KIND_ENDED)) break;
    }
    const attempted = events.filter((e) => e.kind === CallEvent_Kind.KIND_ATTEMPTED);
    assert.equal(attempted.length, 1, JSON.stringify(events));
    assert.ok(attempted[0]!.callId.endsWith(`@${CARRIER_IP}`), attempted[0]!.callId);
    assert.equal(events.filter((e) => e.kind === CallEvent_Kind.KIND_ANSWERED).length, 1);
    const ended = events.filter((e) => e.kind === CallEvent_Kind.KIND_ENDED);
    assert.equal(ended.length, 1);
    assert.equal(ended[0]!.ending, CallEvent_Ending.ENDING_BYE);
    assert.ok(events.every((e) => e.callId === attempted[0]!.callId), "no event for the refused INVITE");
  });

  async function allEvents(): Promise<StoredCallEvent["event"][]> {
    const nc = await connect({ servers: t.nats.url });
    try {
      const events: StoredCallEvent["event"][] = [];
      for await (const e of readCallEvents(nc)) events.push(e.event);
      return events;
    } finally {
      await nc.close();
    }
  }
});
