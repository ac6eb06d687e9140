import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { NatsBus } from "@sipfleet/bus";
import { JetStreamCallEvents, readCallEvents, type CallEventsLogger } from "@sipfleet/call-events";
import { CallEvent_Ending, CallEvent_Kind, CallEvent_Party, type CallEvent } from "@sipfleet/proto";
import { createResponse, parseMessage, type SipRequest } from "@sipfleet/sip";
import { hasBinary, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import { CallRecorder } from "./call-recorder.js";
import { QUIET_BUS_LOGGER, request } from "./harness.js";

// Cluster mode: two edges' recorders on one JetStream stream. A call's INVITE passes through
// edge A, its BYE through edge B: B's ENDED must be whole all the same.
const missing = hasBinary("nats-server") ? false : "nats-server binary not installed";

const STREAM = "CALLS_RECORDER_TEST";
const PREFIX = "test.recorder.calls";

interface Line {
  level: string;
  msg: string;
  obj: object;
}

function logger(into: Line[]): CallEventsLogger {
  return {
    debug: (obj, msg) => into.push({ level: "debug", msg, obj }),
    info: () => {},
    warn: (obj, msg) => into.push({ level: "warn", msg, obj }),
    error: (obj, msg) => into.push({ level: "error", msg, obj }),
  };
}

function req(method: string, callId: string, tags: { fromTag?: string; toTag?: string } = {}): SipRequest {
  let text = request({ method, uri: "sip:bob@example.com", callId });
  if (tags.toTag !== undefined) text = text.replace("To: <sip:alice@example.com>", `To: <sip:alice@example.com>;tag=${tags.toTag}`);
  if (tags.fromTag !== undefined) text = text.replace("tag=from1", `tag=${tags.fromTag}`);
  return parseMessage(Buffer.from(text, "latin1")) as SipRequest;
}

/** Polls until `done` holds; the deadline is a guard against hanging, not a timing assertion. */
async function until(done: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("CallRecorder over JetStream: INVITE through one edge, BYE through another", { skip: missing }, () => {
  let nats: EngineProcess;
  let bus: NatsBus;
  let sinkA: JetStreamCallEvents;
  let sinkB: JetStreamCallEvents;
  const logsB: Line[] = [];

  before(async () => {
    nats = await startNatsServer();
    bus = await NatsBus.connect({ servers: nats.url, name: "call-recorder-test", logger: QUIET_BUS_LOGGER });
    const opts = { stream: STREAM, subjectPrefix: PREFIX, storage: "memory" as const };
    sinkA = await JetStreamCallEvents.start(bus.connection, { ...opts, logger: logger([]) });
    sinkB = await JetStreamCallEvents.start(bus.connection, { ...opts, logger: logger(logsB) });
  });

  after(async () => {
    await sinkA?.close();
    await sinkB?.close();
    await bus?.close();
    await nats?.stop();
  });

  async function stored(sink: JetStreamCallEvents): Promise<void> {
    await until(() => sink.stats().inFlight === 0, "the stream's acknowledgements");
    assert.equal(sink.stats().failed, 0);
  }

  async function endedOf(callId: string): Promise<CallEvent[]> {
    const out: CallEvent[] = [];
    for await (const s of readCallEvents(bus.connection, { stream: STREAM, subjectPrefix: PREFIX, callId, kind: CallEvent_Kind.KIND_ENDED, logger: logger([]) })) out.push(s.event);
    return out;
  }

  /** Attempted and answered through edge A (its clock: attempt at 1 000, answer at 3 000). */
  async function answeredThroughA(callId: string): Promise<void> {
    let now = 1_000;
    const a = new CallRecorder(sinkA, "edge-a", () => now);
    const invite = req("INVITE", callId);
    a.attempted(invite, undefined);
    now = 3_000;
    a.answered(invite, createResponse(invite, 200, { toTag: "callee1" }));
    await stored(sinkA);
  }

  for (const [who, tags, party] of [
    ["the callee", { fromTag: "callee1", toTag: "from1" }, CallEvent_Party.PARTY_CALLEE],
    ["the caller", { toTag: "callee1" }, CallEvent_Party.PARTY_CALLER],
  ] as const) {
    it(`${who} hangs up through edge B: the ENDED carries the answer time, the duration and who hung up`, async () => {
      const callId = `split-${party}.1@127.0.0.1`;
      await answeredThroughA(callId);
      const b = new CallRecorder(sinkB, "edge-b", () => 63_000);
      b.ended(req("BYE", callId, tags), 200);
      await b.settled();
      await stored(sinkB);
      const ended = await endedOf(callId);
      assert.equal(ended.length, 1);
      const e = ended[0] as CallEvent;
      assert.equal(e.endedBy, party);
      assert.equal(e.ending, CallEvent_Ending.ENDING_BYE);
      assert.equal(e.attemptedAtMs, 1_000);
      assert.equal(e.answeredAtMs, 3_000);
      assert.equal(e.endedAtMs, 63_000);
      assert.equal(e.durationMs, 60_000);
      assert.equal(e.statusCode, 200);
      assert.equal(e.reason, "OK");
      assert.equal(e.fromUri, "sip:alice@example.com");
      assert.equal(e.toUri, "sip:alice@example.com");
      assert.equal(e.requestUri, "sip:bob@example.com");
      assert.equal(e.fromTag, "from1");
      assert.equal(e.toTag, "callee1");
      assert.equal(e.inviteCseq, 1);
      assert.equal(e.edgeId, "edge-b", "the emitter");
    });
  }

  it("no ANSWERED stored for the call: the ENDED has what the BYE tells, who hung up unknown", async () => {
    const callId = "split-unknown@127.0.0.1";
    const b = new CallRecorder(sinkB, "edge-b", () => 63_000);
    b.ended(req("BYE", callId, { toTag: "callee1" }), 200);
    await b.settled();
    await stored(sinkB);
    const [e, ...more] = await endedOf(callId);
    assert.equal(more.length, 0);
    assert.equal(e?.endedBy, CallEvent_Party.PARTY_UNSPECIFIED);
    assert.equal(e?.answeredAtMs, 0);
    assert.equal(e?.durationMs, 0);
    assert.equal(e?.endedAtMs, 63_000);
  });

  it("the lookup fails (the stream is gone): the ENDED goes out without its answer, and the failure is logged at debug", async () => {
    const callId = "split-lost@127.0.0.1";
    await answeredThroughA(callId);
    const jsm = await bus.connection.jetstreamManager();
    await jsm.streams.delete(STREAM);
    const debugBefore = logsB.filter((l) => l.level === "debug").length;
    const b = new CallRecorder(sinkB, "edge-b", () => 63_000);
    b.ended(req("BYE", callId, { toTag: "callee1" }), 200);
    await b.settled();
    // The sink sets the stream up again for the publish.
    await stored(sinkB);
    assert.ok(logsB.filter((l) => l.level === "debug" && l.msg === "call event lookup failed").length > debugBefore, JSON.stringify(logsB));
    const [e, ...more] = await endedOf(callId);
    assert.equal(more.length, 0);
    assert.equal(e?.endedBy, CallEvent_Party.PARTY_UNSPECIFIED);
    assert.equal(e?.answeredAtMs, 0);
  });
});
