import type { IncomingMessage, ServerResponse } from "node:http";
import { createNoopMeter, type Meter } from "@opentelemetry/api";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationType, InstrumentType, MeterProvider } from "@opentelemetry/sdk-metrics";
import { registerRuntimeMetrics } from "./runtime-metrics.js";

/** A process's metrics: the meter its instruments come from, and the Prometheus scrape handler. */
export interface ServiceMetrics {
  readonly meter: Meter;
  /** GET /metrics in the Prometheus text format. */
  scrape(req: IncomingMessage, res: ServerResponse): void;
  shutdown(): Promise<void>;
}

/**
 * Bucket bounds (seconds) of every Sipfleet histogram: they are all SIP latencies, from a
 * sub-millisecond worker decision to an INVITE transaction that rings for half a minute. The
 * SDK's default bounds (0..10000) are for milliseconds and would put every SIP latency in one bucket.
 */
export const LATENCY_BUCKETS_S: readonly number[] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];

/** Instruments of a process that exposes no metrics endpoint: every record is a no-op. */
export const NOOP_METER: Meter = createNoopMeter();

/**
 * Metrics through the OpenTelemetry SDK, read by Prometheus on the health server's /metrics (no
 * port of their own: one management port per pod). Collection happens per scrape; recording is
 * an in-memory aggregation. The runtime's saturation metrics are registered here for every tier.
 */
export function startMetrics(serviceName: string): ServiceMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    readers: [exporter],
    views: [{ instrumentType: InstrumentType.HISTOGRAM, aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...LATENCY_BUCKETS_S] } } }],
  });
  const meter = provider.getMeter("sipfleet");
  const stopRuntime = registerRuntimeMetrics(meter);
  return {
    meter,
    scrape: (req, res) => exporter.getMetricsRequestHandler(req, res),
    shutdown: async () => {
      stopRuntime();
      await provider.shutdown();
    },
  };
}

/**
 * Metrics for a process whose health server runs (HEALTH_LISTEN set): that server's /metrics is
 * the scrape endpoint. Undefined without one; the process's instruments then use NOOP_METER.
 */
export function metricsFromEnv(env: NodeJS.ProcessEnv, serviceName: string): ServiceMetrics | undefined {
  const listen = env["HEALTH_LISTEN"];
  return listen === undefined || listen === "" ? undefined : startMetrics(serviceName);
}

/** The health-server route that serves `metrics`, or none. */
export function metricsRoutes(metrics: ServiceMetrics | undefined): Record<string, ServiceMetrics["scrape"]> {
  return metrics === undefined ? {} : { "/metrics": metrics.scrape };
}
