import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { ATTR_SIP_CALL_ID, ATTR_SIP_METHOD, joinsCallTrace, startChildSpan, startMetrics, startSipServerSpan, traceCarrier, contextFromCarrier, traceIdForCall, tracingRequested, endSipSpan } from "./index.js";
import { AlwaysOffSampler, BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { captureMetrics, captureSpans } from "./testing.js";

const captured = captureSpans();
after(() => captured.shutdown());

describe("tracing from the environment", () => {
  it("is off unless an endpoint or an exporter is named, and OTEL_SDK_DISABLED wins", () => {
    assert.equal(tracingRequested({}), false);
    assert.equal(tracingRequested({ OTEL_SERVICE_NAME: "x" }), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: "console" }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }), false);
    assert.equal(tracingRequested({ OTEL_SDK_DISABLED: "true", OTEL_TRACES_EXPORTER: "otlp" }), false);
  });
});

describe("one call, one trace", () => {
  it("gives every transaction of an INVITE dialog the trace id of its Call-ID, and REGISTERs their own", () => {
    captured.reset();
    const invite = startSipServerSpan(captured.tracer, "INVITE", "abc@host", () => ({ [ATTR_SIP_METHOD]: "INVITE", [ATTR_SIP_CALL_ID]: "abc@host" }));
    const bye = startSipServerSpan(captured.tracer, "BYE", "abc@host", () => ({}));
    const other = startSipServerSpan(captured.tracer, "INVITE", "other@host", () => ({}));
    const reg1 = startSipServerSpan(captured.tracer, "REGISTER", "abc@host", () => ({}));
    const reg2 = startSipServerSpan(captured.tracer, "REGISTER", "abc@host", () => ({}));
    for (const s of [invite, bye, other, reg1, reg2]) endSipSpan(s, 200);
    assert.equal(invite.spanContext().traceId, traceIdForCall("abc@host"));
    assert.equal(bye.spanContext().traceId, invite.spanContext().traceId);
    assert.notEqual(other.spanContext().traceId, invite.spanContext().traceId);
    assert.notEqual(reg1.spanContext().traceId, invite.spanContext().traceId);
    assert.notEqual(reg1.spanContext().traceId, reg2.spanContext().traceId);
    assert.match(traceIdForCall("x"), /^[0-9a-f]{32}$/);
    assert.equal(joinsCallTrace("ACK"), true);
    assert.equal(joinsCallTrace("SUBSCRIBE"), false);
    const spans = captured.spans();
    assert.equal(spans.length, 5);
    assert.equal(spans[0]!.name, "SIP INVITE");
    assert.equal(spans[0]!.attributes["sip.status_code"], 200);
  });

  it("carries a span's context through a string carrier to a child in another process's terms", () => {
    captured.reset();
    const server = startSipServerSpan(captured.tracer, "INVITE", "carry@host", () => ({}));
    const carrier = traceCarrier(trace.setSpan(context.active(), server));
    assert.ok(carrier !== undefined);
    assert.match(carrier["traceparent"]!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const child = startChildSpan(captured.tracer, "proxy INVITE", SpanKind.SERVER, contextFromCarrier(carrier), () => ({}));
    child.end();
    server.end();
    const [c, s] = captured.spans();
    assert.equal(c!.parentSpanContext?.spanId, s!.spanContext().spanId);
    assert.equal(c!.spanContext().traceId, s!.spanContext().traceId);
    assert.equal(traceCarrier(context.active()), undefined, "nothing to carry without a span");
  });

  it("describes only sampled spans: an unsampled one costs no attribute work", () => {
    const off = new BasicTracerProvider({ sampler: new AlwaysOffSampler() }).getTracer("off");
    let described = 0;
    const span = startSipServerSpan(off, "INVITE", "unsampled@host", () => (described++, { [ATTR_SIP_METHOD]: "INVITE" }));
    startChildSpan(off, "proxy INVITE", SpanKind.SERVER, trace.setSpan(context.active(), span), () => (described++, {}));
    assert.equal(span.isRecording(), false);
    assert.equal(described, 0);
    const sampled = startSipServerSpan(captured.tracer, "INVITE", "sampled@host", () => (described++, { [ATTR_SIP_METHOD]: "INVITE" }));
    sampled.end();
    assert.equal(described, 1);
  });

  it("marks 5xx server spans as errors and leaves 4xx alone", () => {
    captured.reset();
    const a = startSipServerSpan(captured.tracer, "OPTIONS", "e1", () => ({}));
    const b = startSipServerSpan(captured.tracer, "OPTIONS", "e2", () => ({}));
    endSipSpan(a, 503);
    endSipSpan(b, 486);
    const [sa, sb] = captured.spans();
    assert.equal(sa!.status.code, 2);
    assert.equal(sb!.status.code, 0);
  });
});

describe("metrics", () => {
  it("serves instruments and runtime saturation in the Prometheus text format", async () => {
    const m = startMetrics("sipfleet-test");
    m.meter.createCounter("sipfleet.edge.requests", { unit: "{request}" }).add(3, { "sip.method": "INVITE" });
    m.meter.createHistogram("sipfleet.edge.transaction.duration", { unit: "s" }).record(0.003);
    const server = createServer((req, res) => m.scrape(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    // Let the event-loop monitor take a few samples.
    await new Promise((r) => setTimeout(r, 60));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
      const text = await res.text();
      assert.match(text, /sipfleet_edge_requests_total\{sip_method="INVITE"\} 3$/m);
      assert.match(text, /^process_cpu_time_total \d/m);
      // SIP latencies spread over the latency buckets, not all into the SDK's first one.
      assert.match(text, /^sipfleet_edge_transaction_duration_bucket\{le="0.002"\} 0$/m);
      assert.match(text, /^sipfleet_edge_transaction_duration_bucket\{le="0.005"\} 1$/m);
      assert.match(text, /^nodejs_eventloop_delay_p99 [\d.e-]+$/m);
    } finally {
      server.close();
      await m.shutdown();
    }
  });

  it("adds up captured counters by attribute", async () => {
    const m = captureMetrics();
    const c = m.meter.createCounter("x.count");
    c.add(2, { a: "1" });
    c.add(5, { a: "2" });
    assert.equal(await m.value("x.count"), 7);
    assert.equal(await m.value("x.count", { a: "2" }), 5);
    assert.equal(await m.value("missing"), 0);
    await m.shutdown();
  });
});
