import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { recordingLogger, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import { CALL_EVENTS_STREAM } from "@sipfleet/proto";
import { connect, type NatsConnection } from "nats";
import { JetStreamCallEvents, JetStreamEndedCalls, MemoryCallEvents } from "./index.js";
import { answeredCall } from "./fixtures.js";

let shared: Promise<EngineProcess> | undefined;
after(async () => {
  if (shared !== undefined) await (await shared).stop();
});

async function until(done: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("JetStreamEndedCalls", () => {
  it("hands each ENDED event to one worker of the group, none of the other kinds, and redelivers a failed one", async () => {
    const server = await (shared ??= startNatsServer());
    const conns: NatsConnection[] = [];
    const open = async () => {
      const nc = await connect({ servers: server.url, noAsyncTraces: true });
      conns.push(nc);
      return nc;
    };
    const logger = recordingLogger([]);
    // Two workers, each with its own connection, joining one durable consumer.
    const workers = await Promise.all([0, 1].map(async () => new JetStreamEndedCalls(await open(), { durable: "test-ended", retryDelayMs: 50, logger })));
    const seen: { worker: number; callId: string }[] = [];
    let failOnce = true;
    let sink: JetStreamCallEvents | undefined;
    const subs = workers.map((w, worker) =>
      w.subscribe(async (event) => {
        if (event.callId === "call-3" && failOnce) {
          failOnce = false;
          throw new Error("store down");
        }
        seen.push({ worker, callId: event.callId });
      }),
    );
    try {
      // The workers subscribed before the stream existed (workers start before edges).
      sink = await JetStreamCallEvents.start(await open(), { storage: "memory", logger: recordingLogger([]) });
      // The consumer starts at new events: wait until it exists before emitting.
      const jsm = await conns[0]!.jetstreamManager();
      for (let t = 0; ; t++) {
        const found = await jsm.consumers.info(CALL_EVENTS_STREAM, "test-ended").then(() => true, () => false);
        if (found) break;
        if (t > 1000) throw new Error("consumer never created");
        await new Promise((r) => setTimeout(r, 20));
      }
      for (let i = 0; i < 10; i++) for (const e of answeredCall(`call-${i}`)) sink.emit(e);
      await until(() => seen.length >= 10, "ten ended calls");
      await new Promise((r) => setTimeout(r, 300));
      const ids = seen.map((s) => s.callId).sort();
      assert.deepEqual(ids, Array.from({ length: 10 }, (_, i) => `call-${i}`).sort(), "each ENDED once, nothing else");
      assert.equal(failOnce, false, "the failing handler ran");
      console.log(`ended calls per worker: ${[0, 1].map((w) => seen.filter((s) => s.worker === w).length).join(", ")}`);
    } finally {
      for (const s of subs) await s.stop();
      await sink?.close();
      for (const nc of conns) await nc.close();
    }
  });
});

describe("MemoryCallEvents as EndedCalls", () => {
  it("hands ENDED events to subscribers after emit returns, and no others", async () => {
    const events = new MemoryCallEvents({ logger: recordingLogger([]) });
    const seen: string[] = [];
    const sub = events.subscribe(async (e) => void seen.push(`${e.callId}/${e.kind}`));
    for (const e of answeredCall("m1")) events.emit(e);
    assert.deepEqual(seen, [], "not on the emitter's stack");
    await until(() => seen.length === 1, "the ended call");
    assert.deepEqual(seen, ["m1/3"]);
    await sub.stop();
    for (const e of answeredCall("m2")) events.emit(e);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen, ["m1/3"]);
  });
});
