// Calls through cluster mode (issue 4): 2 edges, 2 proxy workers, 2 registrars and 2 location
// replicas on a test-owned NATS and Redis. The RFC 3665 §3 flows the Kamailio reference carries
// (call-scenarios.test.ts) must pass through Sipfleet unchanged, with every callee registered
// through the second edge and every caller calling through the first: the call crosses edges
// (architecture invariant 1) in both directions.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readCallEvents, type StoredCallEvent } from "@sipfleet/call-events";
import { CallEvent_Ending, CallEvent_Kind, CallEvent_Party } from "@sipfleet/proto";
import { hasSipp } from "@sipfleet/testing";
import { connect } from "nats";
import { as, CALL_FLOWS, runCallFlow } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

describe("call flows through cluster mode (RFC 3665 §3)", { skip }, () => {
  let t: TestCluster;

  before(async () => {
    t = await startTestCluster({ edges: 2, registrars: 2, proxies: 2, locations: 2 }, { algorithms: ["MD5", "SHA-256"] });
  });
  after(async () => {
    await t?.stop();
  });

  for (const [name, flow] of CALL_FLOWS) {
    it(name, async () => {
      const edge1 = { host: "127.0.0.1", port: t.edgePorts[0] as number };
      const edge2 = { host: "127.0.0.1", port: t.edgePorts[1] as number };
      const result = await runCallFlow({ ...flow, proxy: edge1, uas: flow.uas?.map((p) => ({ ...p, via: edge2 })) });
      assert.ok(result.ok, `${result.report}\n--- cluster:\n${t.logs.slice(-60).join("\n")}`);
      const callees = flow.uas?.length ?? 0;
      assert.equal(result.runs.length, 1 + 3 * callees);
    });
  }

  it("every call left its events on the JetStream stream: attempted, answered, ended with status and duration", async () => {
    const nc = await connect({ servers: t.nats.url });
    const events: StoredCallEvent[] = [];
    try {
      for await (const e of readCallEvents(nc)) events.push(e);
    } finally {
      await nc.close();
    }
    const kinds = (k: CallEvent_Kind) => events.filter((e) => e.event.kind === k).map((e) => e.event);
    const ended = kinds(CallEvent_Kind.KIND_ENDED);
    // Six flows place an INVITE that the proxy forwards (404/480 are answered by the proxy; the
    // re-INVITE is in a dialog). Each challenged INVITE is forwarded once, after its 407.
    assert.equal(kinds(CallEvent_Kind.KIND_ATTEMPTED).length, 6, JSON.stringify(events.map((e) => e.event.kind)));
    assert.equal(kinds(CallEvent_Kind.KIND_ANSWERED).length, 4);
    const byes = ended.filter((e) => e.ending === CallEvent_Ending.ENDING_BYE);
    assert.equal(byes.length, 4);
    for (const b of byes) {
      assert.equal(b.statusCode, 200);
      // Whole whichever edge the BYE passed through: the edge that did not carry the INVITE takes
      // the answer from the ANSWERED event on the stream.
      assert.ok(b.answeredAtMs > 0, JSON.stringify(b));
      assert.equal(b.durationMs, b.endedAtMs - b.answeredAtMs);
      assert.ok(b.endedBy === CallEvent_Party.PARTY_CALLER || b.endedBy === CallEvent_Party.PARTY_CALLEE, JSON.stringify(b));
    }
    // The caller's BYEs go through edge 1, which carried the INVITE. The callee's BYE goes through
    // edge 2 (its own), which did not: it finds the call's ANSWERED on the stream and knows the
    // callee hung up.
    assert.ok(byes.some((b) => b.edgeId === "edge-1" && b.endedBy === CallEvent_Party.PARTY_CALLER));
    assert.ok(byes.some((b) => b.edgeId === "edge-2" && b.endedBy === CallEvent_Party.PARTY_CALLEE), "the callee's BYE, ended through its own edge");
    assert.ok(ended.some((e) => e.ending === CallEvent_Ending.ENDING_FAILED && e.statusCode === 486));
    assert.ok(ended.some((e) => e.ending === CallEvent_Ending.ENDING_CANCEL && e.statusCode === 487));
  });

  it("the caller's CANCEL reaches the other edge than its INVITE: 200 from that edge, the callee cancelled, 487 from the first", async () => {
    const edge1 = { host: "127.0.0.1", port: t.edgePorts[0] as number };
    const edge2 = { host: "127.0.0.1", port: t.edgePorts[1] as number };
    const cancelsBefore = (await endedEvents()).filter((e) => e.ending === CallEvent_Ending.ENDING_CANCEL).length;
    const result = await runCallFlow({
      proxy: edge1,
      uac: { ...as("alice", "uac-call-cancel-other-edge.xml", 300), callee: "bob", moreFields: [edge2.host, String(edge2.port)] },
      uas: [{ ...as("bob", "uas-ring-no-answer.xml"), via: edge2 }],
    });
    assert.ok(result.ok, `${result.report}\n--- cluster:\n${t.logs.slice(-60).join("\n")}`);
    // Edge 1, which holds the INVITE, ended the call as cancelled by the caller (the event is
    // published as the 487 goes out: it may still be on its way).
    let cancels: StoredCallEvent["event"][] = [];
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      cancels = (await endedEvents()).filter((e) => e.ending === CallEvent_Ending.ENDING_CANCEL);
      if (cancels.length > cancelsBefore) break;
    }
    assert.equal(cancels.length, cancelsBefore + 1);
    assert.ok(cancels.every((e) => e.edgeId === "edge-1" && e.statusCode === 487));
  });

  async function endedEvents(): Promise<StoredCallEvent["event"][]> {
    const nc = await connect({ servers: t.nats.url });
    try {
      const events: StoredCallEvent["event"][] = [];
      for await (const e of readCallEvents(nc)) if (e.event.kind === CallEvent_Kind.KIND_ENDED) events.push(e.event);
      return events;
    } finally {
      await nc.close();
    }
  }
});
