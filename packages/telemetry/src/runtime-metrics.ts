import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Meter } from "@opentelemetry/api";
import { METRIC_EVENTLOOP_DELAY_MAX, METRIC_EVENTLOOP_DELAY_P50, METRIC_EVENTLOOP_DELAY_P99, METRIC_PROCESS_CPU_TIME, METRIC_PROCESS_MEMORY } from "./semconv.js";

/**
 * Saturation of this process: event-loop delay percentiles (reset at each collection, so a scrape
 * shows the interval since the last one), CPU time and resident memory. Read only when collected.
 */
export function registerRuntimeMetrics(meter: Meter): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const p50 = meter.createObservableGauge(METRIC_EVENTLOOP_DELAY_P50, { unit: "s", description: "Event-loop delay, median since the last collection" });
  const p99 = meter.createObservableGauge(METRIC_EVENTLOOP_DELAY_P99, { unit: "s", description: "Event-loop delay, 99th percentile since the last collection" });
  const max = meter.createObservableGauge(METRIC_EVENTLOOP_DELAY_MAX, { unit: "s", description: "Event-loop delay, maximum since the last collection" });
  const cpu = meter.createObservableCounter(METRIC_PROCESS_CPU_TIME, { unit: "s", description: "CPU time used by this process (user + system)" });
  const rss = meter.createObservableGauge(METRIC_PROCESS_MEMORY, { unit: "By", description: "Resident memory of this process" });
  meter.addBatchObservableCallback(
    (result) => {
      // The histogram holds nanoseconds; with no sample yet it reports NaN/huge values, so skip.
      if (delay.count > 0) {
        result.observe(p50, delay.percentile(50) / 1e9);
        result.observe(p99, delay.percentile(99) / 1e9);
        result.observe(max, delay.max / 1e9);
      }
      delay.reset();
      const usage = process.cpuUsage();
      result.observe(cpu, (usage.user + usage.system) / 1e6);
      result.observe(rss, process.memoryUsage.rss());
    },
    [p50, p99, max, cpu, rss],
  );
  return () => delay.disable();
}
