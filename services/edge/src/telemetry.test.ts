import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import { NatsBus, type BusHeaders } from "@sipfleet/bus";
import { Decision, Envelope, PROXY_QUEUE, PROXY_SUBJECT, REGISTRAR_QUEUE, REGISTRAR_SUBJECT, type Forward } from "@sipfleet/proto";
import { deriveTimers, parseMessage, type SipRequest } from "@sipfleet/sip";
import {
  ATTR_DIRECTION,
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_DESTINATION,
  ATTR_SIP_CALL_ID,
  ATTR_SIP_METHOD,
  ATTR_SIP_STATUS_CLASS,
  ATTR_SIP_STATUS_CODE,
  ATTR_SIP_TARGET,
  ATTR_SIP_TARGET_COUNT,
  ATTR_SIPFLEET_EDGE_ID,
  EVENT_SIP_CANCEL,
  EVENT_SIP_FORK,
  EVENT_SIP_PROVISIONAL,
  EVENT_SIP_RETRANSMISSION,
  METRIC_EDGE_CALLS_ANSWERED,
  METRIC_EDGE_DECISION_DURATION,
  METRIC_EDGE_DECISIONS_PENDING,
  METRIC_EDGE_CALLS_ATTEMPTED,
  METRIC_EDGE_DIALOGS_ACTIVE,
  METRIC_EDGE_REQUESTS,
  METRIC_EDGE_RESPONSES,
  METRIC_EDGE_RETRANSMISSIONS,
  METRIC_EDGE_TRANSACTION_DURATION,
  METRIC_EDGE_TRANSACTIONS_ACTIVE,
  METRIC_NATS_ERRORS,
  traceIdForCall,
} from "@sipfleet/telemetry";
import { captureMetrics, captureSpans, type CapturedMetrics, type CapturedSpans } from "@sipfleet/telemetry/testing";
import { hasBinary, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import { startEdge, type Edge } from "./edge.js";
import { ackFor, answer, forward, fwd, invite, nextRequest, nextResponse, target, udpFlow } from "./forking-fixtures.js";
import { eventually, QUIET_BUS_LOGGER, RecordingLogger, request, TEST_EDGE_CONFIG, UdpPeer } from "./harness.js";

/*
 * The edge's spans and metrics (README: Telemetry), with the SDK's in-memory exporter and reader,
 * over a real nats-server with a stand-in proxy worker that records the headers it receives.
 */

const missing = hasBinary("nats-server") ? false : "nats-server binary not installed: the edge telemetry checks are skipped";

type FinishedSpan = ReturnType<CapturedSpans["spans"]>[number];

interface Asked {
  readonly req: SipRequest;
  readonly headers: BusHeaders | undefined;
}

/** Polls an asynchronous condition (metric reads are). */
async function until(cond: () => Promise<boolean>, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("edge telemetry", { skip: missing }, () => {
  let nats: EngineProcess;
  let edgeBus: NatsBus;
  let workerBus: NatsBus;
  let spans: CapturedSpans;
  let metrics: CapturedMetrics;
  let edge: Edge;
  let edgeAddr: { host: string; port: number };
  let caller: UdpPeer;
  let bob1: UdpPeer;
  let bob2: UdpPeer;
  const asked: Asked[] = [];
  let decide: (req: SipRequest) => Decision | Promise<Decision> = () => ({ action: undefined });

  before(async () => {
    nats = await startNatsServer();
    edgeBus = await NatsBus.connect({ servers: nats.url, name: "edge-telemetry", logger: QUIET_BUS_LOGGER });
    workerBus = await NatsBus.connect({ servers: nats.url, name: "worker-telemetry", logger: QUIET_BUS_LOGGER });
    workerBus.serve(PROXY_SUBJECT, PROXY_QUEUE, async (msg) => {
      const req = parseMessage(Buffer.from(Envelope.decode(msg.data).message)) as SipRequest;
      asked.push({ req, headers: msg.headers });
      return Decision.encode(await decide(req)).finish();
    });
    await workerBus.flush?.();
    spans = captureSpans();
    metrics = captureMetrics();
    // No tracer option: the edge takes the active one (captureSpans made it so).
    edge = await startEdge({
      bus: edgeBus,
      config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }] },
      domains: new Set(["example.com"]),
      edgeId: "edge-otel",
      logger: new RecordingLogger(),
      stopLingerMs: 0,
      timers: deriveTimers({ t1: 50, t2: 400, t4: 500 }),
      meter: metrics.meter,
    });
    const a = edge.addresses[0];
    assert.ok(a);
    edgeAddr = { host: a.host, port: a.port };
    [caller, bob1, bob2] = await Promise.all([UdpPeer.open(), UdpPeer.open(), UdpPeer.open()]);
  });

  after(async () => {
    await Promise.all([caller?.close(), bob1?.close(), bob2?.close()]);
    await edge?.stop();
    await edgeBus?.close();
    await workerBus?.close();
    await nats?.stop();
    await metrics?.shutdown();
    await spans?.shutdown();
  });

  const to = (): { transport: "udp"; host: string; port: number } => ({ transport: "udp", ...edgeAddr });
  const ofCall = (callId: string): FinishedSpan[] => spans.spans().filter((s) => s.attributes[ATTR_SIP_CALL_ID] === callId || s.spanContext().traceId === traceIdForCall(callId));
  const named = (list: FinishedSpan[], name: string, kind: SpanKind): FinishedSpan[] => list.filter((s) => s.name === name && s.kind === kind);
  const count = (name: string, attributes?: Record<string, string>): Promise<number> => metrics.value(name, attributes);

  it("a forked INVITE: one server span, a client span per device under it, one trace; the decision request carries its traceparent; ACK and BYE join the trace", async () => {
    const callId = "otel-fork-1";
    const attemptedBefore = await count(METRIC_EDGE_CALLS_ATTEMPTED);
    const answeredBefore = await count(METRIC_EDGE_CALLS_ANSWERED);
    const devices = (): Forward =>
      forward([{ targets: [target(udpFlow("edge-otel", edgeAddr, bob1), `sip:bob@${bob1.ip}:${bob1.port}`), target(udpFlow("edge-otel", edgeAddr, bob2), `sip:bob@${bob2.ip}:${bob2.port}`)] }]);
    decide = (req) => (req.method === "INVITE" ? fwd(devices()) : fwd(forward([{ targets: [target(udpFlow("edge-otel", edgeAddr, bob2), "sip:bob@127.0.0.1")] }])));
    asked.length = 0;
    caller.send(invite(callId), to());
    const [in1, in2] = await Promise.all([nextRequest(bob1, "INVITE"), nextRequest(bob2, "INVITE")]);
    answer(bob1, in1, 180, "b1", edgeAddr);
    await nextResponse(caller, 180);
    answer(bob2, in2, 200, "b2", edgeAddr);
    await nextResponse(caller, 200);
    const cancel = await nextRequest(bob1, "CANCEL");
    answer(bob1, cancel, 200, "b1", edgeAddr);
    answer(bob1, in1, 487, "b1", edgeAddr);
    await nextRequest(bob1, "ACK");
    const inDialog = (method: string, cseq: number): string =>
      request({ method, uri: "sip:bob@127.0.0.1", callId, cseq, viaParams: ";rport", sentBy: "127.0.0.1:5999" }).replace("To: <sip:alice@example.com>", "To: <sip:alice@example.com>;tag=b2");
    caller.send(inDialog("ACK", 1), to());
    await nextRequest(bob2, "ACK");
    caller.send(inDialog("BYE", 2), to());
    const bye = await nextRequest(bob2, "BYE");
    answer(bob2, bye, 200, "b2", edgeAddr);
    await nextResponse(caller, 200);

    const traceId = traceIdForCall(callId);
    await eventually(() => named(ofCall(callId), "SIP BYE", SpanKind.CLIENT).length === 1 && named(ofCall(callId), "SIP INVITE", SpanKind.CLIENT).length === 2, 3000, "the spans to end");
    const all = ofCall(callId);
    const [server, ...moreServers] = named(all, "SIP INVITE", SpanKind.SERVER);
    assert.ok(server);
    assert.equal(moreServers.length, 0, "one server span for the INVITE");
    assert.equal(server.spanContext().traceId, traceId, "trace id from the Call-ID");
    assert.equal(server.attributes[ATTR_SIP_STATUS_CODE], 200);
    assert.equal(server.attributes[ATTR_SIPFLEET_EDGE_ID], "edge-otel");
    const fork = server.events.find((e) => e.name === EVENT_SIP_FORK);
    assert.equal(fork?.attributes?.[ATTR_SIP_TARGET_COUNT], 2);
    const clients = named(all, "SIP INVITE", SpanKind.CLIENT);
    for (const c of clients) {
      assert.equal(c.spanContext().traceId, traceId);
      assert.equal(c.parentSpanContext?.spanId, server.spanContext().spanId, "each branch is a child of the server span");
    }
    const toBob1 = clients.find((c) => c.attributes[ATTR_SIP_TARGET] === `sip:bob@${bob1.ip}:${bob1.port}`);
    const toBob2 = clients.find((c) => c.attributes[ATTR_SIP_TARGET] === `sip:bob@${bob2.ip}:${bob2.port}`);
    assert.equal(toBob1?.attributes[ATTR_SIP_STATUS_CODE], 487);
    assert.ok(toBob1?.events.some((e) => e.name === EVENT_SIP_PROVISIONAL && e.attributes?.[ATTR_SIP_STATUS_CODE] === 180), "the 180 as an event");
    assert.equal(toBob2?.attributes[ATTR_SIP_STATUS_CODE], 200);

    // The worker saw the server span's context in the NATS headers of its decision request.
    const invAsked = asked.find((a) => a.req.method === "INVITE" && a.req.callId === callId);
    assert.equal(invAsked?.headers?.["traceparent"], `00-${traceId}-${server.spanContext().spanId}-01`);

    // The ACK for the 2xx and the BYE: spans of their own in the call's trace, their decisions traced too.
    for (const method of ["ACK", "BYE"]) {
      const [s] = named(all, "SIP " + method, SpanKind.SERVER);
      assert.ok(s, `a server span for the ${method}`);
      assert.equal(s.spanContext().traceId, traceId, `the ${method} lands in the INVITE's trace`);
      const [c] = named(all, "SIP " + method, SpanKind.CLIENT);
      assert.equal(c?.parentSpanContext?.spanId, s.spanContext().spanId, `the ${method} sent on is a child of its server span`);
      const a = asked.find((x) => x.req.method === method && x.req.callId === callId);
      assert.equal(a?.headers?.["traceparent"], `00-${traceId}-${s.spanContext().spanId}-01`);
    }
    assert.equal((await count(METRIC_EDGE_CALLS_ATTEMPTED)) - attemptedBefore, 1);
    assert.equal((await count(METRIC_EDGE_CALLS_ANSWERED)) - answeredBefore, 1);
    // Answered then ended: the dialog count is back where it was.
    assert.equal(await count(METRIC_EDGE_DIALOGS_ACTIVE), 0);
  });

  it("a retransmitted request is an event on its transaction's span and a received retransmission, not a new span", async () => {
    const callId = "otel-retransmit-1";
    const before = await count(METRIC_EDGE_RETRANSMISSIONS, { [ATTR_SIP_METHOD]: "INVITE", [ATTR_DIRECTION]: "received" });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    decide = async () => {
      await released;
      return { action: { $case: "respond", value: { status: 486, reason: "", headers: [], body: Buffer.alloc(0), toTag: "busy", credentialsFailed: false } } };
    };
    const inv = invite(callId);
    asked.length = 0;
    caller.send(inv, to());
    // Its transaction exists once the worker is asked; the same bytes again are a retransmission.
    await eventually(() => asked.length === 1, 2000, "the decision request");
    caller.send(inv, to());
    const received = (): Promise<number> => count(METRIC_EDGE_RETRANSMISSIONS, { [ATTR_SIP_METHOD]: "INVITE", [ATTR_DIRECTION]: "received" });
    try {
      await until(async () => (await received()) > before, "the retransmission to be absorbed");
      assert.equal((await received()) - before, 1);
    } finally {
      // The worker is not left waiting, whatever the outcome.
      release();
    }
    const busy = await nextResponse(caller, 486);
    caller.send(ackFor(inv, busy), to());
    await eventually(() => named(ofCall(callId), "SIP INVITE", SpanKind.SERVER).length === 1, 3000, "the span to end");
    const servers = named(ofCall(callId), "SIP INVITE", SpanKind.SERVER);
    assert.equal(servers.length, 1, "no second span for the retransmission");
    assert.equal(servers[0]?.events.filter((e) => e.name === EVENT_SIP_RETRANSMISSION).length, 1);
    assert.equal(servers[0]?.attributes[ATTR_SIP_STATUS_CODE], 486);
  });

  it("a decision asked and not yet answered is pending (sipfleet.edge.decisions.pending), and no longer once answered", async () => {
    const callId = "otel-pending-1";
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    decide = async () => {
      await released;
      return { action: { $case: "respond", value: { status: 486, reason: "", headers: [], body: Buffer.alloc(0), toTag: "busy", credentialsFailed: false } } };
    };
    const inv = invite(callId);
    asked.length = 0;
    assert.equal(await count(METRIC_EDGE_DECISIONS_PENDING), 0, "nothing pending before");
    caller.send(inv, to());
    try {
      await eventually(() => asked.length === 1, 2000, "the decision request");
      assert.equal(await count(METRIC_EDGE_DECISIONS_PENDING), 1);
    } finally {
      release();
    }
    const busy = await nextResponse(caller, 486);
    caller.send(ackFor(inv, busy), to());
    assert.equal(await count(METRIC_EDGE_DECISIONS_PENDING), 0);
  });

  it("a branch's Timer A retransmissions are events on its client span and sent retransmissions", async () => {
    const callId = "otel-timer-a-1";
    const sent = (): Promise<number> => count(METRIC_EDGE_RETRANSMISSIONS, { [ATTR_SIP_METHOD]: "INVITE", [ATTR_DIRECTION]: "sent" });
    const before = await sent();
    decide = () => fwd(forward([{ targets: [target(udpFlow("edge-otel", edgeAddr, bob1), `sip:bob@${bob1.ip}:${bob1.port}`)] }]));
    const inv = invite(callId);
    caller.send(inv, to());
    // bob1 stays silent until the edge has sent the INVITE again (Timer A, T1 = 50 ms here).
    const first = await nextRequest(bob1, "INVITE");
    const again = await nextRequest(bob1, "INVITE");
    assert.equal(again.topVia?.branch, first.topVia?.branch, "the same client transaction");
    answer(bob1, first, 486, "b1", edgeAddr);
    await nextRequest(bob1, "ACK");
    const busy = await nextResponse(caller, 486);
    caller.send(ackFor(inv, busy), to());
    await eventually(() => named(ofCall(callId), "SIP INVITE", SpanKind.CLIENT).length === 1, 3000, "the client span to end");
    const [client] = named(ofCall(callId), "SIP INVITE", SpanKind.CLIENT);
    const events = client?.events.filter((e) => e.name === EVENT_SIP_RETRANSMISSION).length ?? 0;
    assert.ok(events >= 1, "a retransmission event on the branch");
    assert.equal((await sent()) - before, events, "the metric counts what the span shows");
    assert.equal(client?.attributes[ATTR_SIP_STATUS_CODE], 486);
  });

  it("the caller's CANCEL is an event on the INVITE's span, and a span of its own in the call's trace", async () => {
    const callId = "otel-cancel-1";
    decide = () => fwd(forward([{ targets: [target(udpFlow("edge-otel", edgeAddr, bob1), `sip:bob@${bob1.ip}:${bob1.port}`)] }]));
    const inv = invite(callId);
    caller.send(inv, to());
    const in1 = await nextRequest(bob1, "INVITE");
    answer(bob1, in1, 180, "b1", edgeAddr);
    await nextResponse(caller, 180);
    const branch = parseMessage(Buffer.from(inv, "latin1")).topVia?.branch as string;
    caller.send(request({ method: "CANCEL", uri: "sip:bob@example.com", callId, branch, viaParams: ";rport", sentBy: "127.0.0.1:5999" }), to());
    await nextResponse(caller, 200);
    const c1 = await nextRequest(bob1, "CANCEL");
    answer(bob1, c1, 200, "b1", edgeAddr);
    answer(bob1, in1, 487, "b1", edgeAddr);
    const final = await nextResponse(caller, 487);
    caller.send(ackFor(inv, final), to());
    await eventually(() => named(ofCall(callId), "SIP INVITE", SpanKind.SERVER).length === 1, 3000, "the INVITE span to end");
    const [server] = named(ofCall(callId), "SIP INVITE", SpanKind.SERVER);
    assert.ok(server?.events.some((e) => e.name === EVENT_SIP_CANCEL), "a sip.cancel event");
    assert.equal(server?.attributes[ATTR_SIP_STATUS_CODE], 487);
    const [cancelSpan] = named(ofCall(callId), "SIP CANCEL", SpanKind.SERVER);
    assert.equal(cancelSpan?.spanContext().traceId, traceIdForCall(callId));
    assert.equal(cancelSpan?.attributes[ATTR_SIP_STATUS_CODE], 200);
  });

  it("REGISTER: its decision request to the registrar carries the span's context; with no registrar the failure is a NATS error", async () => {
    const noResponders = { [ATTR_MESSAGING_DESTINATION]: REGISTRAR_SUBJECT, [ATTR_ERROR_TYPE]: "no_responders" };
    const errorsBefore = await count(METRIC_NATS_ERRORS, noResponders);
    const timedBefore = await count(METRIC_EDGE_DECISION_DURATION, { [ATTR_SIP_METHOD]: "REGISTER" });
    caller.send(request({ method: "REGISTER", callId: "otel-register-1", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), to());
    assert.equal((await nextResponse(caller)).status, 503);
    assert.equal((await count(METRIC_NATS_ERRORS, noResponders)) - errorsBefore, 1);
    assert.equal((await count(METRIC_EDGE_DECISION_DURATION, { [ATTR_SIP_METHOD]: "REGISTER" })) - timedBefore, 1);

    const seen: (BusHeaders | undefined)[] = [];
    const sub = workerBus.serve(REGISTRAR_SUBJECT, REGISTRAR_QUEUE, (msg) => {
      seen.push(msg.headers);
      return Decision.encode({ action: { $case: "respond", value: { status: 200, reason: "", headers: [], body: Buffer.alloc(0), toTag: "reg", credentialsFailed: false } } }).finish();
    });
    try {
      await workerBus.flush?.();
      caller.send(request({ method: "REGISTER", callId: "otel-register-2", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), to());
      assert.equal((await nextResponse(caller)).status, 200);
      await eventually(() => ofCall("otel-register-2").length === 1, 3000, "the REGISTER span to end");
      const [span] = ofCall("otel-register-2");
      assert.equal(span?.kind, SpanKind.SERVER);
      assert.equal(seen[0]?.["traceparent"], `00-${span?.spanContext().traceId ?? ""}-${span?.spanContext().spanId ?? ""}-01`);
    } finally {
      sub.unsubscribe();
    }
  });

  it("counts requests and final responses by method and class, and times the transactions", async () => {
    const n = 3;
    const reqBefore = await count(METRIC_EDGE_REQUESTS, { [ATTR_SIP_METHOD]: "OPTIONS" });
    const okBefore = await count(METRIC_EDGE_RESPONSES, { [ATTR_SIP_METHOD]: "OPTIONS", [ATTR_SIP_STATUS_CLASS]: "2xx" });
    const msgBefore = await count(METRIC_EDGE_RESPONSES, { [ATTR_SIP_METHOD]: "MESSAGE", [ATTR_SIP_STATUS_CLASS]: "4xx" });
    const durBefore = await count(METRIC_EDGE_TRANSACTION_DURATION, { [ATTR_SIP_METHOD]: "MESSAGE" });
    // OPTIONS to the platform: answered by the edge itself.
    for (let i = 0; i < n; i++) {
      caller.send(request({ method: "OPTIONS", uri: "sip:example.com", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), to());
      assert.equal((await nextResponse(caller)).status, 200);
    }
    // A MESSAGE the worker refuses.
    decide = () => ({ action: { $case: "respond", value: { status: 404, reason: "", headers: [], body: Buffer.alloc(0), toTag: "nf", credentialsFailed: false } } });
    caller.send(request({ method: "MESSAGE", uri: "sip:nobody@example.com", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), to());
    assert.equal((await nextResponse(caller)).status, 404);
    assert.equal((await count(METRIC_EDGE_REQUESTS, { [ATTR_SIP_METHOD]: "OPTIONS" })) - reqBefore, n);
    assert.equal((await count(METRIC_EDGE_RESPONSES, { [ATTR_SIP_METHOD]: "OPTIONS", [ATTR_SIP_STATUS_CLASS]: "2xx" })) - okBefore, n);
    assert.equal((await count(METRIC_EDGE_RESPONSES, { [ATTR_SIP_METHOD]: "MESSAGE", [ATTR_SIP_STATUS_CLASS]: "4xx" })) - msgBefore, 1);
    assert.equal((await count(METRIC_EDGE_TRANSACTION_DURATION, { [ATTR_SIP_METHOD]: "MESSAGE" })) - durBefore, 1);
    // Every transaction here got its final response: none in progress.
    assert.equal(await count(METRIC_EDGE_TRANSACTIONS_ACTIVE), 0);
  });

  it("an edge given no tracer makes no span and sends no trace context", async () => {
    const quiet = await startEdge({
      bus: edgeBus,
      config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }] },
      domains: new Set(["example.com"]),
      edgeId: "edge-untraced",
      logger: new RecordingLogger(),
      stopLingerMs: 0,
      tracer: undefined,
    });
    try {
      const addr = quiet.addresses[0];
      assert.ok(addr);
      decide = () => ({ action: { $case: "respond", value: { status: 404, reason: "", headers: [], body: Buffer.alloc(0), toTag: "nf", credentialsFailed: false } } });
      asked.length = 0;
      caller.send(request({ method: "MESSAGE", uri: "sip:nobody@example.com", callId: "otel-untraced-1", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), addr);
      assert.equal((await nextResponse(caller)).status, 404);
      caller.send(request({ method: "OPTIONS", uri: "sip:example.com", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), addr);
      assert.equal((await nextResponse(caller)).status, 200);
      assert.equal(asked.length, 1);
      assert.equal(asked[0]?.headers, undefined, "no traceparent without a tracer");
      assert.equal(spans.spans().filter((s) => s.attributes[ATTR_SIPFLEET_EDGE_ID] === "edge-untraced").length, 0);
      assert.equal(ofCall("otel-untraced-1").length, 0);
    } finally {
      await quiet.stop();
    }
  });
});
