import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CallEvent, CallEvent_Kind, callEventCallTokens, callEventSubject, CALL_EVENTS_STREAM } from "@sipfleet/proto";
import { NatsBus } from "@sipfleet/bus";
import { recordingLogger, startNatsServer, type EngineProcess, type LoggedLine } from "@sipfleet/testing";
import { connect, nanos, StorageType, type NatsConnection } from "nats";
import { CallEventsError, JetStreamCallEvents, readCallEvents, type CallEventStats, type StoredCallEvent } from "./index.js";
import { answeredCall } from "./fixtures.js";

// One nats-server (JetStream, own store directory, free port) for the tests that do not stop it.
let shared: Promise<EngineProcess> | undefined;
function natsServer(): Promise<EngineProcess> {
  shared ??= startNatsServer();
  return shared;
}
after(async () => {
  if (shared !== undefined) await (await shared).stop();
});

/** A connection that reconnects forever, like the services' (NatsBus). */
function connectTo(server: EngineProcess): Promise<NatsConnection> {
  return connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100, noAsyncTraces: true });
}

async function readAll(nc: NatsConnection, options: Parameters<typeof readCallEvents>[1] = {}): Promise<StoredCallEvent[]> {
  const out: StoredCallEvent[] = [];
  for await (const s of readCallEvents(nc, options)) out.push(s);
  return out;
}

/** What a sink rides on: a plain connection, or a NatsBus (its connection, and its requests for publishing). */
async function sinkConnection(server: EngineProcess, viaBus: boolean): Promise<{ nc: NatsConnection; bus: NatsBus | undefined; close: () => Promise<void> }> {
  if (!viaBus) {
    const nc = await connectTo(server);
    return { nc, bus: undefined, close: () => nc.close() };
  }
  const bus = await NatsBus.connect({ servers: server.url, name: "call-events-test", logger: recordingLogger([]), reconnectTimeWaitMs: 100 });
  return { nc: bus.connection, bus, close: () => bus.close() };
}

/** Polls until `done` holds; the deadline is a guard against hanging, not a timing assertion. */
async function until(done: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves at the connection's next status of this type. */
async function nextStatus(nc: NatsConnection, type: string): Promise<void> {
  for await (const s of nc.status()) if (s.type === type) return;
}

function settledCount(s: CallEventStats): number {
  return s.stored + s.duplicates + s.failed;
}

const DAY_MS = 24 * 60 * 60 * 1000;

describe("JetStreamCallEvents", () => {
  it("creates the stream with the configured limits, updates changed limits, refuses another storage", async () => {
    const server = await natsServer();
    const nc = await connectTo(server);
    const logs: LoggedLine[] = [];
    try {
      const opts = { stream: "LIMITS_A", subjectPrefix: "test.limits.a", maxAgeMs: 7 * DAY_MS, maxBytes: 64 * 1024 * 1024, duplicateWindowMs: 90_000, retryForMs: 60_000, logger: recordingLogger(logs) };
      const sink = await JetStreamCallEvents.start(nc, opts);
      await sink.close();
      const jsm = await nc.jetstreamManager();
      const { config } = await jsm.streams.info("LIMITS_A");
      assert.deepEqual(config.subjects, ["test.limits.a.>"]);
      assert.equal(config.storage, StorageType.File);
      assert.equal(config.max_age, nanos(7 * DAY_MS));
      assert.equal(config.max_bytes, 64 * 1024 * 1024);
      assert.equal(config.duplicate_window, nanos(90_000));
      assert.equal(config.num_replicas, 1);
      assert.ok(logs.some((l) => l.msg === "call event stream ready" && (l.obj as { setup?: string }).setup === "created"));

      await (await JetStreamCallEvents.start(nc, opts)).close();
      assert.equal((logs.at(-1)?.obj as { setup?: string }).setup, "unchanged");
      await (await JetStreamCallEvents.start(nc, { ...opts, maxAgeMs: DAY_MS })).close();
      assert.equal((logs.at(-1)?.obj as { setup?: string }).setup, "updated");
      assert.equal((await jsm.streams.info("LIMITS_A")).config.max_age, nanos(DAY_MS));

      await assert.rejects(JetStreamCallEvents.start(nc, { ...opts, storage: "memory" }), (err: unknown) => err instanceof CallEventsError && /storage/.test(err.message));
    } finally {
      await nc.close();
    }
  });

  it("uses the default stream SIPFLEET_CALLS on sipfleet.calls.v1.> with 7 days and file storage", async () => {
    const server = await natsServer();
    const nc = await connectTo(server);
    try {
      await (await JetStreamCallEvents.start(nc, { logger: recordingLogger([]) })).close();
      const { config } = await (await nc.jetstreamManager()).streams.info(CALL_EVENTS_STREAM);
      assert.deepEqual(config.subjects, ["sipfleet.calls.v1.>"]);
      assert.equal(config.storage, StorageType.File);
      assert.equal(config.max_age, nanos(7 * DAY_MS));
      assert.equal(config.duplicate_window, nanos(120_000));
    } finally {
      await nc.close();
    }
  });

  it("refuses settings that could store a retry twice, or are not numbers of the right kind", async () => {
    const server = await natsServer();
    const nc = await connectTo(server);
    try {
      await assert.rejects(JetStreamCallEvents.start(nc, { stream: "BAD", duplicateWindowMs: 10_000, retryForMs: 10_000 }), /duplicateWindowMs/);
      await assert.rejects(JetStreamCallEvents.start(nc, { stream: "BAD", maxInFlight: 0 }), /maxInFlight/);
      await assert.rejects(JetStreamCallEvents.start(nc, { stream: "BAD", subjectPrefix: "a.*" }), /subject prefix/);
      await assert.rejects(JetStreamCallEvents.start(nc, { stream: "BAD.x" }), /stream name/);
    } finally {
      await nc.close();
    }
  });

  it("publishes over a NatsBus's connection; events read back decoded, by call, kind, time and count", async () => {
    const server = await natsServer();
    const bus = await NatsBus.connect({ servers: server.url, name: "call-events-test", logger: recordingLogger([]) });
    try {
      const prefix = "test.roundtrip";
      // Publishes go as requests of the bus (its shared reply inbox), as in the edge.
      const sink = await JetStreamCallEvents.start(bus.connection, { stream: "ROUNDTRIP", subjectPrefix: prefix, logger: recordingLogger([]), bus });
      const since = Date.now();
      const c1 = answeredCall("call-1@127.0.0.2");
      const c2 = answeredCall("call-2@127.0.0.2");
      for (const e of [...c1, ...c2]) sink.emit(e);
      await sink.close();
      const stats = sink.stats();
      assert.deepEqual(stats, { emitted: 6, stored: 6, duplicates: 0, failed: 0, dropped: 0, invalid: 0, retries: 0, inFlight: 0 });

      const read = { stream: "ROUNDTRIP", subjectPrefix: prefix };
      const all = await readAll(bus.connection, read);
      assert.equal(all.length, 6);
      assert.ok(all.every((s) => s.event.eventId !== "" && s.storedAtMs >= since - 1000 && s.seq > 0));
      const call2 = await readAll(bus.connection, { ...read, callId: "call-2@127.0.0.2" });
      // the same events as emitted, plus the ids the sink gave them
      const byKind = (a: StoredCallEvent, b: StoredCallEvent) => a.event.kind - b.event.kind;
      assert.deepEqual(
        call2.sort(byKind).map((s) => ({ ...s.event, eventId: "" })),
        c2.map((e) => CallEvent.fromPartial(e)),
      );
      const ended = await readAll(bus.connection, { ...read, kind: CallEvent_Kind.KIND_ENDED });
      assert.deepEqual(ended.map((s) => s.event.callId).sort(), ["call-1@127.0.0.2", "call-2@127.0.0.2"]);
      assert.equal(ended[0]?.event.durationMs, 60_000);
      assert.equal((await readAll(bus.connection, { ...read, limit: 4 })).length, 4);
      assert.equal((await readAll(bus.connection, { ...read, since: Date.now() + 60_000 })).length, 0);
      // each read deletes its consumer
      assert.equal((await (await bus.connection.jetstreamManager()).consumers.list("ROUNDTRIP").next()).length, 0);
    } finally {
      await bus.close();
    }
  });

  it("publishes each event on its kind's and call's subject; lookupAnswered finds a call's ANSWERED by Call-ID and caller's tag", async () => {
    const server = await natsServer();
    const nc = await connectTo(server);
    const logs: LoggedLine[] = [];
    try {
      const prefix = "test.percall";
      const sink = await JetStreamCallEvents.start(nc, { stream: "PERCALL", subjectPrefix: prefix, logger: recordingLogger(logs) });
      // A Call-ID may hold what NATS reads as wildcards or token separators (RFC 3261 §25.1 word).
      const callId = "a.b*c>d@127.0.0.2";
      for (const e of [...answeredCall(callId), ...answeredCall("other@127.0.0.2")]) sink.emit(e);
      // A retry after a 401 with the same Call-ID and tag answered again: the lookup takes the last.
      const [, again] = answeredCall(callId, 1_700_000_100_000) as [CallEvent, CallEvent];
      sink.emit(again);
      await sink.close();

      const jsm = await nc.jetstreamManager();
      const subjects = callEventCallTokens(callId, "a1");
      const m = await jsm.streams.getMessage("PERCALL", { seq: 1 });
      assert.equal(m.subject, `${prefix}.attempted.${subjects.call}.${subjects.caller}`);
      assert.match(m.subject, /^test\.percall\.attempted\.[0-9a-f]{32}\.[0-9a-f]{16}$/);
      assert.deepEqual((await jsm.streams.getMessage("PERCALL", { seq: 3 })).subject, callEventSubject("ended", callId, "a1", prefix));

      const found = await sink.lookupAnswered(callId, "a1");
      assert.equal(found?.kind, CallEvent_Kind.KIND_ANSWERED);
      assert.equal(found?.callId, callId);
      assert.equal(found?.answeredAtMs, 1_700_000_102_000, "the last ANSWERED of the call");
      assert.equal(await sink.lookupAnswered(callId, "b1"), undefined, "the callee's tag is not the caller's");
      assert.equal(await sink.lookupAnswered("nowhere@127.0.0.2", "a1"), undefined);
      assert.equal(logs.filter((l) => l.level !== "info").length, 0, `not found is not a failure: ${JSON.stringify(logs)}`);

      // Server-side filters by Call-ID and kind, alone and together.
      const read = { stream: "PERCALL", subjectPrefix: prefix };
      assert.equal((await readAll(nc, { ...read, callId })).length, 4);
      assert.deepEqual(
        (await readAll(nc, { ...read, callId, kind: CallEvent_Kind.KIND_ANSWERED })).map((s) => s.event.answeredAtMs),
        [1_700_000_002_000, 1_700_000_102_000],
      );
      assert.equal((await readAll(nc, { ...read, kind: CallEvent_Kind.KIND_ENDED })).length, 2);
    } finally {
      await nc.close();
    }
  });

  it("lookupAnswered on a stream that is gone resolves undefined and logs at debug", async () => {
    const server = await natsServer();
    const nc = await connectTo(server);
    const logs: LoggedLine[] = [];
    try {
      const sink = await JetStreamCallEvents.start(nc, { stream: "LOOKUPGONE", subjectPrefix: "test.lookupgone", logger: recordingLogger(logs) });
      await (await nc.jetstreamManager()).streams.delete("LOOKUPGONE");
      assert.equal(await sink.lookupAnswered("x@127.0.0.2", "a1"), undefined);
      assert.ok(logs.some((l) => l.level === "debug" && l.msg === "call event lookup failed"), JSON.stringify(logs));
      await sink.close();
    } finally {
      await nc.close();
    }
  });

  for (const viaBus of [false, true]) {
    // The edge publishes through its bus's requests; other users through nats.js's JetStream client.
    const label = viaBus ? "through a NatsBus" : "through nats.js";
    const suffix = viaBus ? "_BUS" : "";
    it(`${label}: stores an event id once: a re-publish of the same event is acknowledged as a duplicate`, async () => {
      const server = await natsServer();
      const { nc, bus, close } = await sinkConnection(server, viaBus);
      try {
        const sink = await JetStreamCallEvents.start(nc, { stream: `DEDUP${suffix}`, subjectPrefix: `test.dedup${suffix.toLowerCase()}`, logger: recordingLogger([]), bus });
        const [attempt] = answeredCall("dup-1") as [CallEvent];
        sink.emit({ ...attempt, eventId: "evt-dup-1" });
        sink.emit({ ...attempt, eventId: "evt-dup-1" });
        sink.emit({ ...attempt, eventId: "evt-dup-2" });
        await sink.close();
        const s = sink.stats();
        assert.equal(s.stored, 2);
        assert.equal(s.duplicates, 1);
        const ids = (await readAll(nc, { stream: `DEDUP${suffix}` })).map((e) => e.event.eventId).sort();
        assert.deepEqual(ids, ["evt-dup-1", "evt-dup-2"]);
      } finally {
        await close();
      }
    });

    it(`${label}: sets the stream up again when it disappears under a running sink`, async () => {
      const server = await natsServer();
      const { nc, bus, close } = await sinkConnection(server, viaBus);
      const logs: LoggedLine[] = [];
      try {
        const sink = await JetStreamCallEvents.start(nc, { stream: `GONE${suffix}`, subjectPrefix: `test.gone${suffix.toLowerCase()}`, retryDelayMs: 50, logger: recordingLogger(logs), bus });
        await (await nc.jetstreamManager()).streams.delete(`GONE${suffix}`);
        const [attempt] = answeredCall("gone-1") as [CallEvent];
        sink.emit(attempt);
        await until(() => sink.stats().stored === 1, "the event stored in the re-created stream");
        await sink.close();
        assert.ok(sink.stats().retries >= 1);
        assert.ok(logs.some((l) => /set up again/.test(l.msg)));
        assert.equal((await readAll(nc, { stream: `GONE${suffix}` })).length, 1);
      } finally {
        await close();
      }
    });

    it(`${label}: while NATS is down: emit never throws, holds up to maxInFlight and drops the rest (counted), stores the held ones after the restart`, async () => {
      // A server of this test's own: it is stopped (by PID) and started again with the same store.
      const server = await startNatsServer();
      const { nc, bus, close } = await sinkConnection(server, viaBus);
      const logs: LoggedLine[] = [];
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on("unhandledRejection", onUnhandled);
      try {
        const sink = await JetStreamCallEvents.start(nc, { stream: `OUTAGE${suffix}`, subjectPrefix: `test.outage${suffix.toLowerCase()}`, maxInFlight: 5, ackTimeoutMs: 1000, retryDelayMs: 100, retryForMs: 60_000, logger: recordingLogger(logs), bus });
        const down = nextStatus(nc, "disconnect");
        await server.stop();
        await down;

        const events = Array.from({ length: 8 }, (_, i) => answeredCall(`outage-${i}`)[0] as CallEvent);
        for (const e of events) assert.doesNotThrow(() => sink.emit(e));
        let s = sink.stats();
        assert.equal(s.emitted, 5);
        assert.equal(s.dropped, 3);
        assert.equal(s.inFlight, 5);
        assert.ok(logs.some((l) => l.level === "warn" && /dropped/.test(l.msg)));

        await server.restart();
        await until(() => settledCount(sink.stats()) === 5, "the held events to settle after the restart");
        s = sink.stats();
        assert.equal(s.stored + s.duplicates, 5, JSON.stringify(s));
        assert.equal(s.failed, 0);
        assert.ok(s.retries >= 5, "each held event needed a retry after the reconnect");
        assert.ok(logs.some((l) => /flowing again/.test(l.msg)));

        // Flowing again: a new event goes straight through.
        sink.emit(answeredCall("outage-after")[0] as CallEvent);
        await sink.close();
        assert.equal(sink.stats().stored + sink.stats().duplicates, 6);
        const callIds = (await readAll(nc, { stream: `OUTAGE${suffix}` })).map((e) => e.event.callId).sort();
        assert.deepEqual(callIds, ["outage-0", "outage-1", "outage-2", "outage-3", "outage-4", "outage-after"]);
        assert.deepEqual(unhandled, []);
      } finally {
        process.off("unhandledRejection", onUnhandled);
        await close();
        await server.stop();
      }
    });

  }

  it("gives an event up (counted as failed) once its retry window has passed with NATS still down", async () => {
    const server = await startNatsServer();
    const nc = await connectTo(server);
    const logs: LoggedLine[] = [];
    try {
      const sink = await JetStreamCallEvents.start(nc, { stream: "GIVEUP", subjectPrefix: "test.giveup", ackTimeoutMs: 200, retryDelayMs: 50, retryForMs: 500, logger: recordingLogger(logs) });
      const down = nextStatus(nc, "disconnect");
      await server.stop();
      await down;
      sink.emit(answeredCall("giveup-1")[0] as CallEvent);
      await until(() => sink.stats().failed === 1, "the event to be given up");
      assert.equal(sink.stats().inFlight, 0);
      assert.ok(logs.some((l) => /retry window/.test(l.msg)));
      await sink.close();
    } finally {
      await nc.close();
      await server.stop();
    }
  });

  it("close() waits for the publishes in flight; later events are dropped", async () => {
    const server = await natsServer();
    const nc = await connectTo(server);
    try {
      const sink = await JetStreamCallEvents.start(nc, { stream: "CLOSE", subjectPrefix: "test.close", logger: recordingLogger([]) });
      for (let i = 0; i < 50; i++) for (const e of answeredCall(`close-${i}`)) sink.emit(e);
      assert.ok(sink.stats().inFlight > 0, "emit returns before the acknowledgements");
      await sink.close();
      const s = sink.stats();
      assert.equal(s.inFlight, 0);
      assert.equal(s.stored, 150);
      sink.emit(answeredCall("late")[0] as CallEvent);
      assert.equal(sink.stats().dropped, 1);
      assert.equal((await readAll(nc, { stream: "CLOSE" })).length, 150);
    } finally {
      await nc.close();
    }
  });

  it("close() during an outage settles what is in flight without waiting out the retry window", async () => {
    const server = await startNatsServer();
    const nc = await connectTo(server);
    try {
      const sink = await JetStreamCallEvents.start(nc, { stream: "CLOSEDOWN", subjectPrefix: "test.closedown", ackTimeoutMs: 500, retryForMs: 60_000, logger: recordingLogger([]) });
      const down = nextStatus(nc, "disconnect");
      await server.stop();
      await down;
      for (let i = 0; i < 3; i++) sink.emit(answeredCall(`closedown-${i}`)[0] as CallEvent);
      await sink.close();
      const s = sink.stats();
      assert.equal(s.inFlight, 0);
      assert.equal(s.failed, 3);
    } finally {
      await nc.close();
      await server.stop();
    }
  });

  it("the connection closed by its owner: what is in flight or emitted later fails (counted), close() still resolves", async () => {
    const server = await natsServer();
    const nc = await connectTo(server);
    const sink = await JetStreamCallEvents.start(nc, { stream: "NCCLOSED", subjectPrefix: "test.ncclosed", logger: recordingLogger([]) });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      for (const e of answeredCall("ncclosed-1")) sink.emit(e);
      await nc.close();
      sink.emit(answeredCall("ncclosed-2")[0] as CallEvent);
      await sink.close();
      const s = sink.stats();
      assert.equal(s.inFlight, 0);
      assert.equal(s.emitted, s.stored + s.duplicates + s.failed);
      assert.ok(s.failed >= 1, JSON.stringify(s));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("malformed events are counted and never thrown", async () => {
    const server = await natsServer();
    const nc = await connectTo(server);
    try {
      const sink = await JetStreamCallEvents.start(nc, { stream: "INVALID", subjectPrefix: "test.invalid", logger: recordingLogger([]) });
      const [a] = answeredCall("bad") as [CallEvent];
      sink.emit({ ...a, kind: CallEvent_Kind.KIND_UNSPECIFIED });
      sink.emit({ ...a, callId: "" });
      sink.emit({ ...a, eventId: "has space" });
      sink.emit(null as unknown as CallEvent);
      await sink.close();
      assert.equal(sink.stats().invalid, 4);
      assert.equal(sink.stats().emitted, 0);
    } finally {
      await nc.close();
    }
  });
});
