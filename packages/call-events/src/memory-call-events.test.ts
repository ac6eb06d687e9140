import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CallEvent, CallEvent_Kind } from "@sipfleet/proto";
import { MemoryCallEvents } from "./memory.js";
import { answeredCall } from "./fixtures.js";
import { recordingLogger, type LoggedLine } from "@sipfleet/testing";

describe("MemoryCallEvents", () => {
  it("keeps what is emitted, with fresh ids, and reads it back by call, kind, time and count", () => {
    const sink = new MemoryCallEvents({ logger: recordingLogger([]) });
    const before = Date.now();
    for (const e of [...answeredCall("c1"), ...answeredCall("c2")]) sink.emit(e);
    const all = sink.read();
    assert.equal(all.length, 6);
    assert.deepEqual(all.map((s) => s.seq), [1, 2, 3, 4, 5, 6]);
    assert.equal(new Set(all.map((s) => s.event.eventId)).size, 6);
    assert.ok(all.every((s) => s.event.eventId !== "" && s.storedAtMs >= before));
    assert.deepEqual(sink.read({ callId: "c2" }).map((s) => s.event.kind), [CallEvent_Kind.KIND_ATTEMPTED, CallEvent_Kind.KIND_ANSWERED, CallEvent_Kind.KIND_ENDED]);
    const ended = sink.read({ kind: CallEvent_Kind.KIND_ENDED });
    assert.deepEqual(ended.map((s) => s.event.callId), ["c1", "c2"]);
    assert.equal(ended[0]?.event.durationMs, 60_000);
    assert.deepEqual(sink.read({ limit: 2 }).map((s) => s.seq), [1, 2]);
    assert.equal(sink.read({ since: Date.now() + 60_000 }).length, 0);
    assert.deepEqual(sink.stats(), { emitted: 6, stored: 6, duplicates: 0, failed: 0, dropped: 0, invalid: 0, retries: 0, inFlight: 0 });
  });

  it("looks up the newest ANSWERED of a call by Call-ID and caller's tag, as a copy", async () => {
    const sink = new MemoryCallEvents({ logger: recordingLogger([]) });
    for (const e of [...answeredCall("c1"), ...answeredCall("c2")]) sink.emit(e);
    sink.emit((answeredCall("c1", 1_700_000_100_000) as [CallEvent, CallEvent])[1]);
    const found = await sink.lookupAnswered("c1", "a1");
    assert.equal(found?.kind, CallEvent_Kind.KIND_ANSWERED);
    assert.equal(found?.answeredAtMs, 1_700_000_102_000);
    assert.equal(await sink.lookupAnswered("c1", "b1"), undefined);
    assert.equal(await sink.lookupAnswered("c3", "a1"), undefined);
    if (found !== undefined) found.callId = "changed";
    assert.equal((await sink.lookupAnswered("c1", "a1"))?.callId, "c1");
  });

  it("stores a copy: the caller may reuse its object", () => {
    const sink = new MemoryCallEvents({ logger: recordingLogger([]) });
    const [attempt] = answeredCall("c1") as [CallEvent];
    attempt.eventId = "e-1";
    sink.emit(attempt);
    attempt.callId = "changed";
    attempt.callerFlow!.edgeId = "changed";
    const [kept] = sink.read();
    assert.equal(kept?.event.callId, "c1");
    assert.equal(kept?.event.callerFlow?.edgeId, "edge-1");
  });

  it("stores an event id once while it is kept, as the stream's de-duplication does", () => {
    const sink = new MemoryCallEvents({ capacity: 2, logger: recordingLogger([]) });
    const [a, b, c] = answeredCall("c1") as [CallEvent, CallEvent, CallEvent];
    sink.emit({ ...a, eventId: "e-a" });
    sink.emit({ ...a, eventId: "e-a" });
    assert.equal(sink.size, 1);
    assert.equal(sink.stats().duplicates, 1);
    sink.emit({ ...b, eventId: "e-b" });
    sink.emit({ ...c, eventId: "e-c" });
    // capacity 2: the oldest (e-a) went, so its id may be stored again
    assert.deepEqual(sink.read().map((s) => s.event.eventId), ["e-b", "e-c"]);
    sink.emit({ ...a, eventId: "e-a" });
    assert.deepEqual(sink.read().map((s) => s.event.eventId), ["e-c", "e-a"]);
    assert.deepEqual(sink.read().map((s) => s.seq), [3, 4]);
    const s = sink.stats();
    assert.equal(s.emitted, s.stored + s.duplicates);
  });

  it("never throws: malformed events are counted as invalid and logged, events after close() as dropped", async () => {
    const logs: LoggedLine[] = [];
    const sink = new MemoryCallEvents({ logger: recordingLogger(logs) });
    const [a] = answeredCall("c1") as [CallEvent];
    sink.emit({ ...a, kind: CallEvent_Kind.KIND_UNSPECIFIED });
    sink.emit({ ...a, callId: "" });
    sink.emit({ ...a, eventId: "bad\r\nid" });
    sink.emit(null as unknown as CallEvent);
    assert.equal(sink.stats().invalid, 4);
    assert.equal(sink.size, 0);
    assert.ok(logs.some((l) => l.level === "warn" && /malformed/.test(l.msg)));
    await sink.close();
    sink.emit(a);
    assert.equal(sink.stats().dropped, 1);
    assert.equal(sink.size, 0);
  });

  it("refuses a capacity that is not a positive integer", () => {
    assert.throws(() => new MemoryCallEvents({ capacity: 0 }), RangeError);
    assert.throws(() => new MemoryCallEvents({ capacity: 1.5 }), RangeError);
  });
});
