import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { CALL_TRACE_IDS, joinsCallTrace, traceIdForCall } from "./call-trace-ids.js";
import { ATTR_SIP_STATUS_CODE, sipSpanName } from "./semconv.js";

/**
 * Starts the span of a SIP server transaction at the edge: kind SERVER, named `SIP <method>`. With
 * no remote parent it is a root span whose trace id comes from the Call-ID for requests of an
 * INVITE dialog (call-trace-ids.ts), so every transaction of one call lands in one trace.
 */
export function startSipServerSpan(tracer: Tracer, method: string, callId: string, attributes: Attributes, startTime?: number): Span {
  const options = { kind: SpanKind.SERVER, attributes, ...(startTime === undefined ? {} : { startTime }) };
  if (!joinsCallTrace(method)) return tracer.startSpan(sipSpanName(method), options, ROOT_CONTEXT);
  return CALL_TRACE_IDS.withTraceId(traceIdForCall(callId), () => tracer.startSpan(sipSpanName(method), options, ROOT_CONTEXT));
}

/** Starts a child span of `parent` (client branch, worker decision, location request). */
export function startChildSpan(tracer: Tracer, name: string, kind: SpanKind, parent: Context, attributes: Attributes): Span {
  return tracer.startSpan(name, { kind, attributes }, parent);
}

/**
 * Ends a span with the SIP final status: the code as sip.status_code, and ERROR status for 5xx
 * and 6xx on a server span, for any failure at all on a client branch only when the caller says
 * so (a 486 from a callee is an answer, not a fault of ours). Never throws.
 */
export function endSipSpan(span: Span, statusCode: number | undefined, failed = statusCode !== undefined && statusCode >= 500): void {
  try {
    if (statusCode !== undefined) span.setAttribute(ATTR_SIP_STATUS_CODE, statusCode);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, ...(statusCode === undefined ? {} : { message: String(statusCode) }) });
    span.end();
  } catch {
    // Telemetry never throws into the call path.
  }
}
