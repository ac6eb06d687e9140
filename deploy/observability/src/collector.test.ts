import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";

/*
 * otelcol is not packaged for Debian or npm, so `otelcol validate` cannot run here; these checks
 * cover what a typo breaks: every component a pipeline names is defined, nothing defined is left
 * unused, and the ports and discovery the docs promise are there.
 */

interface Pipeline {
  receivers?: string[];
  processors?: string[];
  exporters?: string[];
}
interface CollectorConfig {
  extensions?: Record<string, unknown>;
  receivers: Record<string, any>;
  processors: Record<string, unknown>;
  exporters: Record<string, unknown>;
  service: { extensions?: string[]; pipelines: Record<string, Pipeline> };
}

const text = readFileSync(new URL("../otel-collector.yaml", import.meta.url), "utf8");
const config = parse(text) as CollectorConfig;
const pipelines = Object.entries(config.service.pipelines);

test("every pipeline component is defined, and every defined component is in a pipeline", () => {
  for (const section of ["receivers", "processors", "exporters"] as const) {
    const defined = Object.keys(config[section]);
    const used = new Set(pipelines.flatMap(([, p]) => p[section] ?? []));
    assert.deepEqual([...used].filter((c) => !defined.includes(c)), [], `${section} used but not defined`);
    assert.deepEqual(defined.filter((c) => !used.has(c)), [], `${section} defined but unused`);
  }
  assert.deepEqual((config.service.extensions ?? []).filter((e) => !(e in (config.extensions ?? {}))), []);
});

test("traces: OTLP in on 4317 (gRPC) and 4318 (HTTP), memory_limiter first and batch, out over OTLP", () => {
  const traces = config.service.pipelines["traces"];
  assert.ok(traces);
  assert.deepEqual(traces.receivers, ["otlp"]);
  assert.match(config.receivers["otlp"].protocols.grpc.endpoint, /:4317$/);
  assert.match(config.receivers["otlp"].protocols.http.endpoint, /:4318$/);
  assert.equal(traces.processors?.[0], "memory_limiter");
  assert.ok(traces.processors?.includes("batch"));
  assert.ok(traces.exporters?.some((e) => e === "otlp" || e.startsWith("otlp/")));
  assert.ok(!("tail_sampling" in config.processors), "sampling happens at the head, in the services");
});

test("metrics: pods found through kubernetes_sd and the prometheus.io annotations, written onward", () => {
  const metrics = config.service.pipelines["metrics"];
  assert.ok(metrics);
  assert.deepEqual(metrics.receivers, ["prometheus"]);
  assert.equal(metrics.processors?.[0], "memory_limiter");
  assert.ok(metrics.exporters?.some((e) => e === "prometheusremotewrite" || e === "prometheus"));
  const [job] = config.receivers["prometheus"].config.scrape_configs;
  assert.deepEqual(job.kubernetes_sd_configs, [{ role: "pod" }]);
  const sources = job.relabel_configs.flatMap((r: { source_labels?: string[] }) => r.source_labels ?? []);
  assert.ok(sources.includes("__meta_kubernetes_pod_annotation_prometheus_io_scrape"));
  assert.ok(sources.includes("__meta_kubernetes_pod_annotation_prometheus_io_port"));
  // The collector expands $NAME in its config: regex back-references must be written $$1.
  for (const r of job.relabel_configs as { replacement?: string }[]) {
    if (r.replacement !== undefined) assert.doesNotMatch(r.replacement, /(?<!\$)\$\d/, r.replacement);
  }
});
