import { context, propagation, trace, type Meter, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint, type MetricData } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { CALL_TRACE_IDS } from "./call-trace-ids.js";
import { setActiveTracer } from "./tracing.js";


/** Spans finished in this process, as the SDK would export them, for tests. */
export interface CapturedSpans {
  readonly tracer: Tracer;
  spans(): ReadableSpan[];
  reset(): void;
  shutdown(): Promise<void>;
}

/**
 * Installs a real tracer provider (the SDK's, with the call trace-id generator), the W3C
 * propagator and async context for this test process, and makes it the active tracer, so code
 * under test traces as it would in production; finished spans stay in memory.
 */
export function captureSpans(): CapturedSpans {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ idGenerator: CALL_TRACE_IDS, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer("sipfleet-test");
  setActiveTracer(tracer);
  return {
    tracer,
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    shutdown: async () => {
      setActiveTracer(undefined);
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Metrics recorded through `meter`, collected on demand, for tests. */
export interface CapturedMetrics {
  readonly meter: Meter;
  /** Every metric with data now. */
  collect(): Promise<MetricData[]>;
  /**
   * The sum of a counter or up-down counter (or the count of a histogram) over the data points
   * whose attributes include `attributes`; 0 when there is none.
   */
  value(name: string, attributes?: Readonly<Record<string, string | number>>): Promise<number>;
  shutdown(): Promise<void>;
}

export function captureMetrics(): CapturedMetrics {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter("sipfleet-test");
  const collect = async (): Promise<MetricData[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
  };
  return {
    meter,
    collect,
    value: async (name, attributes = {}) => {
      const metric = (await collect()).find((m) => m.descriptor.name === name);
      if (metric === undefined) return 0;
      let total = 0;
      for (const point of metric.dataPoints as DataPoint<unknown>[]) {
        if (!Object.entries(attributes).every(([k, v]) => point.attributes[k] === v)) continue;
        const v = point.value;
        total += typeof v === "number" ? v : ((v as { count?: number }).count ?? 0);
      }
      return total;
    },
    shutdown: () => provider.shutdown(),
  };
}
