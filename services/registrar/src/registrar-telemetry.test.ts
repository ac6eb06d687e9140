import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SpanKind, trace } from "@opentelemetry/api";
import { MemoryBindingStore, type SaveBindings } from "@sipfleet/bindings";
import { MemoryBus } from "@sipfleet/bus/memory";
import { flowToWire } from "@sipfleet/location-client/wire";
import { Decision, Envelope, REGISTRAR_SUBJECT } from "@sipfleet/proto";
import { METRIC_REGISTRAR_REGISTER_DURATION, METRIC_REGISTRAR_REGISTERS } from "@sipfleet/telemetry";
import { captureMetrics, captureSpans, type CapturedMetrics, type CapturedSpans } from "@sipfleet/telemetry/testing";
import { FLOW, register, settings } from "./registrar-fixtures.js";
import { startRegistrar, type RegistrarService } from "./start-registrar.js";

/* The registrar worker's span (under the edge's, the Save inside it) and its metrics. */

const EDGE_TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const EDGE_SPAN_ID = "b7ad6b7169203331";
const TRACEPARENT = { traceparent: `00-${EDGE_TRACE_ID}-${EDGE_SPAN_ID}-01` };

/** A MemoryBindingStore that notes the span active when each Save runs. */
class SpanNotingStore extends MemoryBindingStore {
  readonly saveSpans: (string | undefined)[] = [];
  override save(request: SaveBindings) {
    this.saveSpans.push(trace.getActiveSpan()?.spanContext().spanId);
    return super.save(request);
  }
}

const quiet = { warn() {}, error() {} };

function envelope(user: string, domain = "bench.sipfleet.local"): Uint8Array {
  return Envelope.encode({ message: register({ domain, user }).bytes, flow: flowToWire(FLOW), receivedAtMs: Date.now(), tlsPeerNames: [] }).finish();
}

describe("registrar worker telemetry", () => {
  let bus: MemoryBus;
  let spans: CapturedSpans;
  let metrics: CapturedMetrics;
  let store: SpanNotingStore;
  let registrar: RegistrarService | undefined;

  before(() => {
    bus = new MemoryBus({ logger: quiet });
    spans = captureSpans();
    metrics = captureMetrics();
    store = new SpanNotingStore();
  });

  after(async () => {
    await registrar?.stop();
    await bus?.close();
    await spans?.shutdown();
    await metrics?.shutdown();
  });

  async function start(telemetry: Parameters<typeof startRegistrar>[0]["telemetry"]): Promise<void> {
    await registrar?.stop();
    registrar = startRegistrar({ bus, store, settings: settings(), logger: quiet, telemetry });
  }

  const ask = async (data: Uint8Array, headers?: Record<string, string>) => {
    const d = Decision.decode(await bus.request(REGISTRAR_SUBJECT, data, { timeoutMs: 2000, ...(headers === undefined ? {} : { headers }) }));
    assert.equal(d.action?.$case, "respond");
    return d.action.value.status;
  };

  it("makes a SERVER span `registrar REGISTER` under the headers' span, the Save running in it", async () => {
    await start({ meter: metrics.meter });
    spans.reset();
    assert.equal(await ask(envelope("t1"), TRACEPARENT), 200);
    const [span, ...others] = spans.spans();
    assert.ok(span);
    assert.equal(others.length, 0);
    assert.equal(span.name, "registrar REGISTER");
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.spanContext().traceId, EDGE_TRACE_ID);
    assert.equal(span.parentSpanContext?.spanId, EDGE_SPAN_ID);
    assert.equal(span.attributes["sip.aor"], "sip:t1@bench.sipfleet.local");
    assert.equal(span.attributes["sip.domain"], "bench.sipfleet.local");
    assert.equal(span.attributes["sip.method"], "REGISTER");
    assert.equal(span.attributes["sip.status_code"], 200);
    assert.deepEqual(store.saveSpans.slice(-1), [span.spanContext().spanId]);
  });

  it("counts REGISTERs by status class and times them", async () => {
    const ok = await metrics.value(METRIC_REGISTRAR_REGISTERS, { "sip.status_class": "2xx" });
    const challenged = await metrics.value(METRIC_REGISTRAR_REGISTERS, { "sip.status_class": "4xx" });
    const timed = await metrics.value(METRIC_REGISTRAR_REGISTER_DURATION);
    assert.equal(await ask(envelope("t2")), 200);
    assert.equal(await ask(envelope("t3")), 200);
    // A digest domain without credentials: 401.
    assert.equal(await ask(envelope("alice", "sipfleet.local")), 401);
    assert.equal(await ask(Uint8Array.from([0xff, 0xff, 0xff])), 500);
    assert.equal(await metrics.value(METRIC_REGISTRAR_REGISTERS, { "sip.status_class": "2xx" }), ok + 2);
    assert.equal(await metrics.value(METRIC_REGISTRAR_REGISTERS, { "sip.status_class": "4xx" }), challenged + 1);
    assert.equal(await metrics.value(METRIC_REGISTRAR_REGISTERS, { "sip.status_class": "5xx" }), 1);
    assert.equal(await metrics.value(METRIC_REGISTRAR_REGISTER_DURATION), timed + 4);
  });

  it("makes no span without a tracer, and the Save runs in no span", async () => {
    await start({ tracer: undefined });
    spans.reset();
    assert.equal(await ask(envelope("t4"), TRACEPARENT), 200);
    assert.deepEqual(spans.spans(), []);
    assert.deepEqual(store.saveSpans.slice(-1), [undefined]);
  });
});
