import { register } from "node:module";
import { trace, type Tracer } from "@opentelemetry/api";
import { CALL_TRACE_IDS } from "./call-trace-ids.js";
import { tracingRequested } from "./tracing-env.js";

/** What a running SDK gives back: flush and stop exporting (bounded by the caller). */
export interface TracingHandle {
  shutdown(): Promise<void>;
}

let tracer: Tracer | undefined;

/**
 * The tracer SIP code starts spans with, or undefined while tracing is off: code on the SIP path
 * tests this once per message and does no span work at all when it is undefined (off costs
 * nothing measurable, not merely little).
 */
export function activeTracer(): Tracer | undefined {
  return tracer;
}

/** For tests that install their own provider (`captureSpans`). */
export function setActiveTracer(t: Tracer | undefined): void {
  tracer = t;
}

/** The gRPC methods whose spans the grpc-js instrumentation must not make: a stream lives for hours and carries many requests, each traced by itself (its trace context rides in the message). */
export const UNTRACED_GRPC_METHODS: readonly string[] = ["Exchange"];

/**
 * Starts the OpenTelemetry Node SDK when the environment asks for traces (see tracingRequested),
 * with the ioredis and grpc-js instrumentations, W3C trace context, a sampler and exporter from
 * the standard OTEL_* variables, and call-derived trace ids. Must run before ioredis or
 * @grpc/grpc-js is imported: it registers the ESM loader hook the instrumentations patch through.
 * Metrics and logs are not the SDK's here (Prometheus endpoint, pino on stderr).
 */
export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<TracingHandle | undefined> {
  if (!tracingRequested(env)) return undefined;
  const { createAddHookMessageChannel } = await import("import-in-the-middle");
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register("import-in-the-middle/hook.mjs", import.meta.url, registerOptions);

  const [{ NodeSDK }, { IORedisInstrumentation }, { GrpcInstrumentation }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/instrumentation-ioredis"),
    import("@opentelemetry/instrumentation-grpc"),
  ]);
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME, when set, names the service instead.
    ...(env["OTEL_SERVICE_NAME"] ? {} : { serviceName }),
    idGenerator: CALL_TRACE_IDS,
    instrumentations: [
      // Only commands made for a traced request: the abuse counters' flushes and readiness PINGs make none.
      new IORedisInstrumentation({ requireParentSpan: true }),
      new GrpcInstrumentation({ ignoreGrpcMethods: [...UNTRACED_GRPC_METHODS] }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  tracer = trace.getTracer("sipfleet");
  return {
    shutdown: async () => {
      tracer = undefined;
      await sdk.shutdown();
    },
  };
}
