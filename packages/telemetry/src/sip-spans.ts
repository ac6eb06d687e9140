import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { CALL_TRACE_IDS, joinsCallTrace, traceIdForCall } from "./call-trace-ids.js";
import { ATTR_SIP_STATUS_CODE, sipSpanName } from "./semconv.js";

/**
 * Starts the span of a SIP server transaction at the edge: kind SERVER, named `SIP <method>`. With
 * no remote parent it is a root span whose trace id comes from the Call-ID for requests of an
 * INVITE dialog (call-trace-ids.ts), so every transaction of one call lands in one trace.
 * `describe` gives its attributes and runs only when the span is sampled: at a 1 % ratio the
 * other 99 calls build no attribute object (Sipfleet's samplers decide on the trace id and the
 * parent, never on attributes).
 */
export function startSipServerSpan(tracer: Tracer, method: string, callId: string, describe: () => Attributes): Span {
  const span = joinsCallTrace(method)
    ? CALL_TRACE_IDS.withTraceId(traceIdForCall(callId), () => tracer.startSpan(sipSpanName(method), SERVER, ROOT_CONTEXT))
    : tracer.startSpan(sipSpanName(method), SERVER, ROOT_CONTEXT);
  return described(span, describe);
}

/** Starts a child span of `parent` (client branch, worker decision), described only when sampled. */
export function startChildSpan(tracer: Tracer, name: string, kind: SpanKind, parent: Context, describe: () => Attributes): Span {
  return described(tracer.startSpan(name, { kind }, parent), describe);
}

const SERVER = { kind: SpanKind.SERVER };

function described(span: Span, describe: () => Attributes): Span {
  if (span.isRecording()) {
    try {
      span.setAttributes(describe());
    } catch {
      // Telemetry never throws into the call path.
    }
  }
  return span;
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
