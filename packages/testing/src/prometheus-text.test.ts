import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parsePrometheusText, prometheusCounter, prometheusGauge, prometheusHistogramCount, sumSamples } from "./prometheus-text.js";

const TEXT = `# HELP sipfleet_edge_requests_total New requests
# TYPE sipfleet_edge_requests_total counter
sipfleet_edge_requests_total{sip_method="INVITE"} 3
sipfleet_edge_requests_total{sip_method="REGISTER"} 10 1700000000000
# TYPE sipfleet_edge_transaction_duration histogram
sipfleet_edge_transaction_duration_bucket{sip_method="INVITE",sip_status_class="2xx",le="+Inf"} 3
sipfleet_edge_transaction_duration_count{sip_method="INVITE",sip_status_class="2xx"} 3
nodejs_eventloop_delay_p99 0.0112
odd{path="a\\"b\\\\c\\nd",x="1"} NaN
`;

describe("parsePrometheusText", () => {
  it("reads names, labels (escapes included), values and ignores comments and timestamps", () => {
    const samples = parsePrometheusText(TEXT);
    assert.equal(samples.length, 6);
    assert.deepEqual(samples[1], { name: "sipfleet_edge_requests_total", labels: { sip_method: "REGISTER" }, value: 10 });
    assert.equal(samples[2]?.labels["le"], "+Inf");
    assert.deepEqual(samples[5]?.labels, { path: 'a"b\\c\nd', x: "1" });
    assert.ok(Number.isNaN(samples[5]?.value));
  });

  it("sums by name and a subset of labels, label names in OpenTelemetry form too", () => {
    const samples = parsePrometheusText(TEXT);
    assert.equal(sumSamples(samples, "sipfleet_edge_requests_total"), 13);
    assert.equal(sumSamples(samples, "sipfleet_edge_requests_total", { "sip.method": "INVITE" }), 3);
    assert.equal(sumSamples(samples, "sipfleet_edge_requests_total", { "sip.method": "BYE" }), 0);
  });

  it("throws on a line that is not a sample", () => {
    assert.throws(() => parsePrometheusText("what is this"), /bad value/);
    assert.throws(() => parsePrometheusText("{a=\"1\"} 2"), /not a sample/);
    assert.throws(() => parsePrometheusText('x{a="1} 2'), /unterminated/);
  });

  it("names OpenTelemetry instruments as the Prometheus exporter does", () => {
    assert.equal(prometheusCounter("sipfleet.edge.requests"), "sipfleet_edge_requests_total");
    assert.equal(prometheusCounter("process.cpu.time"), "process_cpu_time_total");
    assert.equal(prometheusGauge("nodejs.eventloop.delay.p99"), "nodejs_eventloop_delay_p99");
    assert.equal(prometheusHistogramCount("sipfleet.edge.transaction.duration"), "sipfleet_edge_transaction_duration_count");
  });
});
