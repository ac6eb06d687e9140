import { context, SpanKind, trace, type Attributes, type Counter, type Histogram, type Meter, type Span, type Tracer } from "@opentelemetry/api";
import type { BusHeaders } from "@sipfleet/bus";
import type { Decision } from "@sipfleet/proto";
import { SipUri, type SipRequest } from "@sipfleet/sip";
import {
  activeTracer,
  ATTR_SIP_CALL_ID,
  ATTR_SIP_CSEQ,
  ATTR_SIP_DECISION,
  ATTR_SIP_DOMAIN,
  ATTR_SIP_METHOD,
  ATTR_SIP_TARGET_COUNT,
  ATTR_SIP_TRUNK,
  contextFromCarrier,
  endSipSpan,
  EVENT_SIP_FORK,
  METRIC_PROXY_DECISION_DURATION,
  METRIC_PROXY_DECISIONS,
  NOOP_METER,
  startChildSpan,
  workerSpanName,
} from "@sipfleet/telemetry";

export interface ProxyTelemetryOptions {
  /** Decision spans (`proxy <METHOD>`); default activeTracer() when the worker starts; undefined (given as such): none. */
  tracer?: Tracer | undefined;
  /** METRIC_PROXY_DECISIONS and _DURATION (NOOP_METER: none). */
  meter: Meter;
}

export const DEFAULT_PROXY_TELEMETRY_OPTIONS: ProxyTelemetryOptions = { meter: NOOP_METER };

/** What a worker traces and counts with, resolved once at start. */
export interface ProxyTelemetry {
  readonly tracer: Tracer | undefined;
  readonly metrics: ProxyMetrics | undefined;
}

export const NO_PROXY_TELEMETRY: ProxyTelemetry = { tracer: undefined, metrics: undefined };

export function proxyTelemetry(options: Partial<ProxyTelemetryOptions> = {}): ProxyTelemetry {
  const o = { ...DEFAULT_PROXY_TELEMETRY_OPTIONS, ...options };
  return {
    tracer: "tracer" in options ? options.tracer : activeTracer(),
    metrics: o.meter === NOOP_METER ? undefined : new ProxyMetrics(o.meter),
  };
}

/** Methods counted by name; any other is `other`, so a peer cannot grow the series without bound. */
const COUNTED_METHODS = new Set(["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "UPDATE", "PRACK", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH"]);

/** What sip.decision says of a Decision: forward, respond or drop. */
export function decisionKind(decision: Decision): string {
  return decision.action?.$case ?? "none";
}

export class ProxyMetrics {
  private readonly decisions: Counter;
  private readonly duration: Histogram;
  /** {sip.method, sip.decision} and {sip.method}, made once per pair. */
  private readonly decisionAttributes = new Map<string, Attributes>();
  private readonly methodAttributes = new Map<string, Attributes>();

  constructor(meter: Meter) {
    this.decisions = meter.createCounter(METRIC_PROXY_DECISIONS, { description: "Decisions the proxy worker made, by method and decision" });
    this.duration = meter.createHistogram(METRIC_PROXY_DECISION_DURATION, { description: "Envelope in to decision out, in the proxy worker", unit: "s" });
  }

  /** `method`: undefined when the envelope held no request. `startMs`: performance.now() at envelope in. */
  decided(method: string | undefined, decision: Decision, startMs: number): void {
    try {
      const m = method === undefined ? "unknown" : COUNTED_METHODS.has(method) ? method : "other";
      const kind = decisionKind(decision);
      const key = m + " " + kind;
      let attributes = this.decisionAttributes.get(key);
      if (attributes === undefined) this.decisionAttributes.set(key, (attributes = Object.freeze({ [ATTR_SIP_METHOD]: m, [ATTR_SIP_DECISION]: kind })));
      this.decisions.add(1, attributes);
      let byMethod = this.methodAttributes.get(m);
      if (byMethod === undefined) this.methodAttributes.set(m, (byMethod = Object.freeze({ [ATTR_SIP_METHOD]: m })));
      this.duration.record((performance.now() - startMs) / 1000, byMethod);
    } catch {
      // Telemetry never throws into the call path.
    }
  }
}

/** sip.method, sip.call_id, sip.cseq, sip.domain of a request; what cannot be read is left out. */
function requestAttributes(req: SipRequest): Attributes {
  const a: Attributes = { [ATTR_SIP_METHOD]: req.method };
  try {
    a[ATTR_SIP_CALL_ID] = req.callId;
    a[ATTR_SIP_CSEQ] = req.cseq.seq;
    const uri = req.uri;
    const domain = uri instanceof SipUri ? uri.host : req.to.uri instanceof SipUri ? req.to.uri.host : undefined;
    if (domain !== undefined) a[ATTR_SIP_DOMAIN] = domain;
  } catch {
    // A header the worker cannot parse is answered by the decision; the span just lacks it.
  }
  return a;
}

/**
 * Runs `decide` in a SERVER span `proxy <METHOD>`, the child of the edge's span carried in the
 * NATS headers (a root when there is none), so the location requests it makes nest under it.
 * The span gets the decision: sip.decision, for a forward sip.target_count and sip.trunk (the
 * first trunk a target goes to) and a sip.fork event above one target, for a response its
 * status.
 */
export async function tracedDecision(tracer: Tracer, headers: BusHeaders | undefined, req: SipRequest, decide: () => Promise<Decision>): Promise<Decision> {
  const parent = contextFromCarrier(headers);
  const span = startChildSpan(tracer, workerSpanName("proxy", req.method), SpanKind.SERVER, parent, () => requestAttributes(req));
  let decision: Decision | undefined;
  try {
    // An unsampled span has no children to parent (the location client traces only under a
    // recording span): no context to enter.
    decision = await (span.isRecording() ? context.with(trace.setSpan(parent, span), decide) : decide());
    return decision;
  } finally {
    endDecisionSpan(span, decision);
  }
}

function endDecisionSpan(span: Span, decision: Decision | undefined): void {
  try {
    const action = decision?.action;
    if (action === undefined) return endSipSpan(span, undefined, decision === undefined);
    span.setAttribute(ATTR_SIP_DECISION, action.$case);
    if (action.$case === "respond") return endSipSpan(span, action.value.status);
    if (action.$case === "forward") {
      let count = 0;
      let trunk = "";
      for (const group of action.value.groups) {
        count += group.targets.length;
        if (trunk === "") for (const t of group.targets) if (t.trunk !== "") trunk = t.trunk;
      }
      span.setAttribute(ATTR_SIP_TARGET_COUNT, count);
      if (trunk !== "") span.setAttribute(ATTR_SIP_TRUNK, trunk);
      if (count > 1) span.addEvent(EVENT_SIP_FORK, { [ATTR_SIP_TARGET_COUNT]: count });
    }
    endSipSpan(span, undefined);
  } catch {
    // Telemetry never throws into the call path.
  }
}
