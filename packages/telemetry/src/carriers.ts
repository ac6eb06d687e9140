import { context, propagation, ROOT_CONTEXT, trace, type Context } from "@opentelemetry/api";

/**
 * W3C trace context (traceparent, tracestate) of `ctx` as string pairs: NATS message headers, the
 * Exchange stream's per-request `trace_context` map. Undefined when there is nothing to carry
 * (tracing off, or no span in `ctx`), so the message goes without headers.
 */
export function traceCarrier(ctx: Context = context.active()): Record<string, string> | undefined {
  if (trace.getSpan(ctx) === undefined) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  for (const _ in carrier) return carrier;
  return undefined;
}

/** The remote parent carried in `carrier`, as a context to start the receiving span in (the root context when none). */
export function contextFromCarrier(carrier: Readonly<Record<string, string>> | undefined): Context {
  if (carrier === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}
