import { onProcessStop } from "@sipfleet/runtime";
import { startTracing } from "./tracing.js";

/** How long exporting the last spans may hold up a stopping process. */
const TRACE_FLUSH_MS = 2000;

/**
 * A service's entry point: starts tracing when OTEL_* asks for it, then imports the service's own
 * main (dynamically, so ioredis and grpc-js load after the instrumentation hooks are in place),
 * and flushes the spans still buffered when the process stops.
 */
export async function launchService(serviceName: string, importMain: () => Promise<unknown>): Promise<void> {
  const tracing = await startTracing(serviceName);
  if (tracing !== undefined) {
    onProcessStop(() => Promise.race([tracing.shutdown(), new Promise<void>((r) => setTimeout(r, TRACE_FLUSH_MS).unref())]));
  }
  await importMain();
}
