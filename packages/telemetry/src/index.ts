export * from "./semconv.js";
export { joinsCallTrace, traceIdForCall, CALL_TRACE_IDS, CallTraceIdGenerator } from "./call-trace-ids.js";
export { tracingRequested } from "./tracing-env.js";
export { activeTracer, startTracing, UNTRACED_GRPC_METHODS, type TracingHandle } from "./tracing.js";
export { traceCarrier, contextFromCarrier } from "./carriers.js";
export { startSipServerSpan, startChildSpan, endSipSpan } from "./sip-spans.js";
export { startMetrics, metricsFromEnv, metricsRoutes, LATENCY_BUCKETS_S, NOOP_METER, type ServiceMetrics } from "./metrics.js";
export { launchService } from "./launch.js";
