import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SpanKind } from "@opentelemetry/api";
import { MemoryBindingStore } from "@sipfleet/bindings";
import { NatsBus } from "@sipfleet/bus";
import { flowToWire } from "@sipfleet/location-client/wire";
import { Decision, Envelope, PROXY_SUBJECT } from "@sipfleet/proto";
import { METRIC_PROXY_DECISION_DURATION, METRIC_PROXY_DECISIONS, EVENT_SIP_FORK } from "@sipfleet/telemetry";
import { captureMetrics, captureSpans, type CapturedMetrics, type CapturedSpans } from "@sipfleet/telemetry/testing";
import { type EngineProcess, hasBinary, startNatsServer } from "@sipfleet/testing";
import { ALICE_FLOW, bind, BOB_FLOW, quiet, request, settings } from "./proxy-fixtures.js";
import { startProxy, type ProxyService } from "./start-proxy.js";

/* The proxy worker's spans and metrics, over a real NATS server: the edge's trace context in the request headers. */

const EDGE_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const EDGE_SPAN_ID = "00f067aa0ba902b7";
const TRACEPARENT = { traceparent: `00-${EDGE_TRACE_ID}-${EDGE_SPAN_ID}-01` };

function envelope(message: Uint8Array): Uint8Array {
  return Envelope.encode({ message: Buffer.from(message), flow: flowToWire(ALICE_FLOW), receivedAtMs: Date.now(), tlsPeerNames: [] }).finish();
}

describe("proxy worker telemetry", { skip: hasBinary("nats-server") ? false : "nats-server binary not installed" }, () => {
  let nats: EngineProcess;
  let edge: NatsBus;
  let worker: NatsBus;
  let spans: CapturedSpans;
  let metrics: CapturedMetrics;
  let store: MemoryBindingStore;
  let proxy: ProxyService | undefined;

  before(async () => {
    nats = await startNatsServer();
    edge = await NatsBus.connect({ servers: nats.url, name: "edge-test", logger: { ...quiet, info() {} } });
    worker = await NatsBus.connect({ servers: nats.url, name: "proxy-test", logger: { ...quiet, info() {} } });
    spans = captureSpans();
    metrics = captureMetrics();
    store = new MemoryBindingStore();
    // Two contacts: a fork.
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000;transport=tcp>", BOB_FLOW);
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.21:51000;transport=tcp>", BOB_FLOW);
  });

  after(async () => {
    await proxy?.stop();
    await edge?.close();
    await worker?.close();
    await nats?.stop();
    await spans?.shutdown();
    await metrics?.shutdown();
  });

  async function start(telemetry: Parameters<typeof startProxy>[0]["telemetry"]): Promise<void> {
    await proxy?.stop();
    proxy = startProxy({ bus: worker, store, config: settings(), logger: quiet, ...(telemetry === undefined ? {} : { telemetry }) });
    await worker.flush();
  }

  const ask = async (data: Uint8Array, headers?: Record<string, string>) =>
    Decision.decode(await edge.request(PROXY_SUBJECT, data, { timeoutMs: 5000, ...(headers === undefined ? {} : { headers }) }));

  it("makes a SERVER span `proxy INVITE` under the span the NATS headers carry, with the decision", async () => {
    spans.reset();
    await start({ meter: metrics.meter });
    const d = await ask(envelope(request({ from: "sip:eve@example.org", callId: "traced-1@192.0.2.10", cseq: 7 }).bytes), TRACEPARENT);
    assert.equal(d.action?.$case, "forward");
    const [span, ...others] = spans.spans().filter((s) => s.name === "proxy INVITE");
    assert.ok(span, "a proxy INVITE span");
    assert.equal(others.length, 0);
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.spanContext().traceId, EDGE_TRACE_ID);
    assert.equal(span.parentSpanContext?.spanId, EDGE_SPAN_ID);
    assert.equal(span.attributes["sip.method"], "INVITE");
    assert.equal(span.attributes["sip.call_id"], "traced-1@192.0.2.10");
    assert.equal(span.attributes["sip.cseq"], 7);
    assert.equal(span.attributes["sip.domain"], "sipfleet.local");
    assert.equal(span.attributes["sip.decision"], "forward");
    assert.equal(span.attributes["sip.target_count"], 2);
    assert.deepEqual(
      span.events.filter((e) => e.name === EVENT_SIP_FORK).map((e) => e.attributes?.["sip.target_count"]),
      [2],
    );
  });

  it("puts a respond decision's status on the span; without headers the span is a root", async () => {
    spans.reset();
    const d = await ask(envelope(request({ ruri: "sip:nobody@sipfleet.local", from: "sip:eve@example.org" }).bytes));
    assert.equal(d.action?.$case, "respond");
    const status = d.action.$case === "respond" ? d.action.value.status : 0;
    const [span] = spans.spans();
    assert.equal(span?.name, "proxy INVITE");
    assert.equal(span.parentSpanContext, undefined);
    assert.equal(span.attributes["sip.decision"], "respond");
    assert.equal(span.attributes["sip.status_code"], status);
  });

  it("counts and times each decision by method and decision", async () => {
    const forwards = await metrics.value(METRIC_PROXY_DECISIONS, { "sip.method": "INVITE", "sip.decision": "forward" });
    const responds = await metrics.value(METRIC_PROXY_DECISIONS, { "sip.method": "INVITE", "sip.decision": "respond" });
    const timed = await metrics.value(METRIC_PROXY_DECISION_DURATION, { "sip.method": "INVITE" });
    await ask(envelope(request({ from: "sip:eve@example.org" }).bytes));
    await ask(envelope(request({ from: "sip:eve@example.org" }).bytes));
    await ask(envelope(request({ ruri: "sip:nobody@sipfleet.local", from: "sip:eve@example.org" }).bytes));
    await ask(Uint8Array.from([0xff, 0xff, 0xff]));
    assert.equal(await metrics.value(METRIC_PROXY_DECISIONS, { "sip.method": "INVITE", "sip.decision": "forward" }), forwards + 2);
    assert.equal(await metrics.value(METRIC_PROXY_DECISIONS, { "sip.method": "INVITE", "sip.decision": "respond" }), responds + 1);
    assert.equal(await metrics.value(METRIC_PROXY_DECISIONS, { "sip.method": "unknown", "sip.decision": "respond" }), 1);
    assert.equal(await metrics.value(METRIC_PROXY_DECISION_DURATION, { "sip.method": "INVITE" }), timed + 3);
  });

  it("makes no span when the worker has no tracer, headers or not", async () => {
    await start({ tracer: undefined });
    spans.reset();
    const d = await ask(envelope(request({ from: "sip:eve@example.org" }).bytes), TRACEPARENT);
    assert.equal(d.action?.$case, "forward");
    assert.deepEqual(spans.spans(), []);
  });
});
