import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { MemoryCallEvents } from "@sipfleet/call-events/memory";
import { CallEvent_Ending, CallEvent_Kind, CallEvent_Party } from "@sipfleet/proto";
import { createResponse, parseMessage, type SipRequest } from "@sipfleet/sip";
import { CallRecorder } from "./call-recorder.js";
import { request } from "./harness.js";

const QUIET = { warn: () => {}, error: () => {} };

function req(method: string, extra: { toTag?: string; fromTag?: string; callId?: string } = {}): SipRequest {
  let text = request({ method, uri: "sip:bob@example.com", callId: extra.callId ?? "call-rec-1" });
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
    // The BYE's own answer is not the call's status: the ENDED reports the INVITE's 200.
    rec.ended(req("BYE", { toTag: "callee1" }), 481);
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
    assert.equal(ended.statusCode, 200);
    assert.equal(ended.reason, "OK");
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

  it("a BYE for a call no edge recorded: ended, who hung up unknown, no duration", async () => {
    const sink = new MemoryCallEvents({ logger: QUIET });
    const rec = new CallRecorder(sink, "edge-y");
    rec.ended(req("BYE", { toTag: "t" }), 200);
    await rec.settled();
    const ended = sink.read()[0]?.event;
    assert.equal(ended?.kind, CallEvent_Kind.KIND_ENDED);
    assert.equal(ended?.endedBy, CallEvent_Party.PARTY_UNSPECIFIED);
    assert.equal(ended?.answeredAtMs, 0);
    assert.equal(ended?.durationMs, 0);
    assert.equal(ended?.callId, "call-rec-1");
    assert.equal(ended?.edgeId, "edge-y");
  });

  it("one process, two edges: the BYE through the other edge ends the call with its answer, by caller or callee", async () => {
    const sink = new MemoryCallEvents({ logger: QUIET });
    let nowA = 1_000;
    let nowB = 0;
    const a = new CallRecorder(sink, "edge-a", () => nowA);
    const b = new CallRecorder(sink, "edge-b", () => nowB);
    for (const [callId, bye, party] of [
      ["mem-callee", { fromTag: "callee1", toTag: "from1" }, CallEvent_Party.PARTY_CALLEE],
      ["mem-caller", { toTag: "callee1" }, CallEvent_Party.PARTY_CALLER],
    ] as const) {
      const invite = req("INVITE", { callId });
      nowA = 1_000;
      a.attempted(invite, undefined);
      nowA = 3_000;
      a.answered(invite, createResponse(invite, 200, { toTag: "callee1" }));
      nowB = 63_000;
      b.ended(req("BYE", { ...bye, callId }), 200);
      await b.settled();
      const ended = sink.read({ callId, kind: CallEvent_Kind.KIND_ENDED })[0]?.event;
      assert.ok(ended, callId);
      assert.equal(ended.endedBy, party, callId);
      assert.equal(ended.answeredAtMs, 3_000);
      assert.equal(ended.attemptedAtMs, 1_000);
      assert.equal(ended.durationMs, 60_000);
      assert.equal(ended.endedAtMs, 63_000);
      assert.equal(ended.fromTag, "from1", "the caller's tag, whoever sent the BYE");
      assert.equal(ended.toTag, "callee1");
      assert.equal(ended.edgeId, "edge-b");
    }
  });
});
