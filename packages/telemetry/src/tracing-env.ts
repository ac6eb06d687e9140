/**
 * Whether the OTEL_* environment asks for traces. Unlike the SDK's own default (export to
 * localhost:4318 when nothing is set), Sipfleet traces only when told where to: an OTLP endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or an explicit
 * OTEL_TRACES_EXPORTER other than none. OTEL_SDK_DISABLED=true turns it off whatever else is set.
 * Off means no SDK, no instrumentation hooks, and no span code run on the SIP path.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if ((env["OTEL_SDK_DISABLED"] ?? "").trim().toLowerCase() === "true") return false;
  const exporters = (env["OTEL_TRACES_EXPORTER"] ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  if (exporters.length > 0) return !exporters.every((e) => e === "none");
  return nonEmpty(env["OTEL_EXPORTER_OTLP_ENDPOINT"]) || nonEmpty(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);
}

function nonEmpty(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== "";
}
