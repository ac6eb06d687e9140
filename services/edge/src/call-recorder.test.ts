import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { MemoryCallEvents } from "@sipfleet/call-events/memory";
import { CallEvent_Ending, CallEvent_Kind, CallEvent_Party } from "@sipfleet/proto";
import { createResponse, parseMessage, type SipRequest } from "@sipfleet/sip";
import { CallRecorder } from "./call-recorder.js";
import { request } from "./harness.js";

const QUIET = { warn: () => {}, error: () => {} };

function req(method: string, extra: { toTag?: string; fromTag?: string } = {}): SipRequest {
  let text = request({ method, uri: "sip:bob@example.com", callId: "call-rec-1" });
  if (extra.toTag !== undefined) text = text.replace("To: <sip:alice@example.com>", `To: <sip:alice@example.com>;tag=${extra.toTag}`);
  if (extra.fromTag !== undefined) text = text.replace("tag=from1", `tag=${extra.fromTag}`);
  return parseMessage(Buffer.from(text, "latin1")) as SipRequest;
}

describe("CallRecorder", () => {
  it("an answered call the caller ends: attempted, answered, ended by BYE with its duration", () => {
    const sink = new MemoryCallEvents({ logger: QUIET });
    let now = 1_000;
    const rec = new CallRecorder(sink, "edge-x", () => now);
    const invite = req("INVITE");
    rec.attempted(invite, undefined);
    now = 3_000;
    rec.answered(invite, createResponse(invite, 200, { toTag: "callee1" }));
    now = 63_000;
    rec.ended(req("BYE", { toTag: "callee1" }), 200);
    const events = sink.read().map((e) => e.event);
    assert.deepEqual(
      events.map((e) => e.kind),
      [CallEvent_Kind.KIND_ATTEMPTED, CallEvent_Kind.KIND_ANSWERED, CallEvent_Kind.KIND_ENDED],
    );
    const ended = events[2];
    assert.ok(ended);
    assert.equal(ended.callId, "call-rec-1");
    assert.equal(ended.attemptedAtMs, 1_000);
    assert.equal(ended.answeredAtMs, 3_000);
    assert.equal(ended.durationMs, 60_000);
    assert.equal(ended.endedBy, CallEvent_Party.PARTY_CALLER);
    assert.equal(ended.ending, CallEvent_Ending.ENDING_BYE);
    assert.equal(ended.toTag, "callee1");
    assert.equal(ended.edgeId, "edge-x");
    assert.equal(new Set(events.map((e) => e.eventId)).size, 3, "every event has its own id");
  });

  it("the callee's BYE (its From tag is the callee's) is ended by the callee", () => {
    const sink = new MemoryCallEvents({ logger: QUIET });
    const rec = new CallRecorder(sink, "edge-x");
    const invite = req("INVITE");
    rec.attempted(invite, undefined);
    rec.answered(invite, createResponse(invite, 200, { toTag: "callee1" }));
    rec.ended(req("BYE", { fromTag: "callee1", toTag: "from1" }), 200);
    assert.equal(sink.read().at(-1)?.event.endedBy, CallEvent_Party.PARTY_CALLEE);
  });

  it("failed, cancelled and timed-out attempts end without a BYE", () => {
    const sink = new MemoryCallEvents({ logger: QUIET });
    const rec = new CallRecorder(sink, "edge-x");
    for (const [status, cancelled, ending] of [
      [486, false, CallEvent_Ending.ENDING_FAILED],
      [487, true, CallEvent_Ending.ENDING_CANCEL],
      [408, false, CallEvent_Ending.ENDING_TIMEOUT],
    ] as const) {
      const invite = req("INVITE");
      rec.attempted(invite, undefined);
      rec.failed(invite, status, "", cancelled);
      const ended = sink.read().at(-1)?.event;
      assert.equal(ended?.kind, CallEvent_Kind.KIND_ENDED);
      assert.equal(ended?.statusCode, status);
      assert.equal(ended?.ending, ending);
      assert.equal(ended?.endedBy, CallEvent_Party.PARTY_NONE);
    }
  });

  it("a BYE for a call this edge did not carry: ended, who hung up unknown, no duration", () => {
    const sink = new MemoryCallEvents({ logger: QUIET });
    new CallRecorder(sink, "edge-y").ended(req("BYE", { toTag: "t" }), 200);
    const ended = sink.read()[0]?.event;
    assert.equal(ended?.endedBy, CallEvent_Party.PARTY_UNSPECIFIED);
    assert.equal(ended?.durationMs, 0);
    assert.equal(ended?.callId, "call-rec-1");
  });
});
