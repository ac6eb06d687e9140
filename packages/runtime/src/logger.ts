import { context, trace } from "@opentelemetry/api";
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * One JSON line per event on stderr (stdout stays free for a process's own output), with the
 * service name and, through `err`, error stacks. `SIPFLEET_LOG_LEVEL` sets the level (default
 * info). A line logged while a span is active carries `trace_id` and `span_id` (the OpenTelemetry
 * log data model's names), so a log search and a trace lead to each other.
 */
export function createLogger(service: string, options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? process.env["SIPFLEET_LOG_LEVEL"] ?? "info";
  return pino({ name: service, level, base: { service, pid: process.pid }, mixin: traceIds }, options.destination ?? pino.destination(2));
}

/**
 * The active span's ids; nothing while tracing is off (the API then holds no span). A new object
 * each time: pino merges the line's own fields into what the mixin returns.
 */
function traceIds(): object {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const ctx = span.spanContext();
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}
