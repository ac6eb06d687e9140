import { context, SpanKind, trace, type Attributes, type Counter, type Histogram, type Meter, type Tracer } from "@opentelemetry/api";
import { addressOfRecord } from "@sipfleet/bindings";
import type { BusHeaders } from "@sipfleet/bus";
import { SipUri, type SipRequest } from "@sipfleet/sip";
import {
  activeTracer,
  ATTR_SIP_AOR,
  ATTR_SIP_CALL_ID,
  ATTR_SIP_CSEQ,
  ATTR_SIP_DECISION,
  ATTR_SIP_DOMAIN,
  ATTR_SIP_METHOD,
  ATTR_SIP_STATUS_CLASS,
  contextFromCarrier,
  endSipSpan,
  METRIC_REGISTRAR_REGISTER_DURATION,
  METRIC_REGISTRAR_REGISTERS,
  NOOP_METER,
  startChildSpan,
  statusClass,
  workerSpanName,
} from "@sipfleet/telemetry";
import type { RegistrarReply } from "./reply.js";

export interface RegistrarTelemetryOptions {
  /** REGISTER spans (`registrar REGISTER`); default activeTracer() when the worker starts; undefined (given as such): none. */
  tracer?: Tracer | undefined;
  /** METRIC_REGISTRAR_REGISTERS and _DURATION (NOOP_METER: none). */
  meter: Meter;
}

export const DEFAULT_REGISTRAR_TELEMETRY_OPTIONS: RegistrarTelemetryOptions = { meter: NOOP_METER };

/** What a worker traces and counts with, resolved once at start. */
export interface RegistrarTelemetry {
  readonly tracer: Tracer | undefined;
  readonly metrics: RegistrarMetrics | undefined;
}

export const NO_REGISTRAR_TELEMETRY: RegistrarTelemetry = { tracer: undefined, metrics: undefined };

export function registrarTelemetry(options: Partial<RegistrarTelemetryOptions> = {}): RegistrarTelemetry {
  const o = { ...DEFAULT_REGISTRAR_TELEMETRY_OPTIONS, ...options };
  return {
    tracer: "tracer" in options ? options.tracer : activeTracer(),
    metrics: o.meter === NOOP_METER ? undefined : new RegistrarMetrics(o.meter),
  };
}

export class RegistrarMetrics {
  private readonly registers: Counter;
  private readonly duration: Histogram;
  /** {sip.status_class} per class, made once. */
  private readonly byClass = new Map<string, Attributes>();

  constructor(meter: Meter) {
    this.registers = meter.createCounter(METRIC_REGISTRAR_REGISTERS, { description: "REGISTERs the registrar worker answered, by status class" });
    this.duration = meter.createHistogram(METRIC_REGISTRAR_REGISTER_DURATION, { description: "REGISTER in to answer out, in the registrar worker", unit: "s" });
  }

  /** `startMs`: performance.now() at envelope in. */
  answered(status: number, startMs: number): void {
    try {
      const cls = statusClass(status);
      let attributes = this.byClass.get(cls);
      if (attributes === undefined) this.byClass.set(cls, (attributes = Object.freeze({ [ATTR_SIP_STATUS_CLASS]: cls })));
      this.registers.add(1, attributes);
      this.duration.record((performance.now() - startMs) / 1000);
    } catch {
      // Telemetry never throws into the call path.
    }
  }
}

/** sip.method, sip.call_id, sip.cseq, sip.domain, sip.aor of a REGISTER; what cannot be read is left out. */
function registerAttributes(req: SipRequest): Attributes {
  const a: Attributes = { [ATTR_SIP_METHOD]: req.method };
  try {
    a[ATTR_SIP_CALL_ID] = req.callId;
    a[ATTR_SIP_CSEQ] = req.cseq.seq;
    if (req.uri instanceof SipUri) a[ATTR_SIP_DOMAIN] = req.uri.host;
    const aor = addressOfRecord(req.to.uri);
    if (aor !== undefined) a[ATTR_SIP_AOR] = aor.aor;
  } catch {
    // A header the registrar cannot parse is answered by it; the span just lacks it.
  }
  return a;
}

/**
 * Runs `answer` in a SERVER span `registrar REGISTER`, the child of the edge's span carried in
 * the NATS headers, so the Save (and nonce use) it makes nest under it; the span ends with the
 * status the registrar answered.
 */
export async function tracedRegister(tracer: Tracer, headers: BusHeaders | undefined, req: SipRequest, answer: () => Promise<RegistrarReply>): Promise<RegistrarReply> {
  const parent = contextFromCarrier(headers);
  const span = startChildSpan(tracer, workerSpanName("registrar", req.method), SpanKind.SERVER, parent, () => registerAttributes(req));
  let status: number | undefined;
  try {
    // An unsampled span has no children to parent: no context to enter.
    const r = await (span.isRecording() ? context.with(trace.setSpan(parent, span), answer) : answer());
    status = r.status;
    return r;
  } finally {
    try {
      span.setAttribute(ATTR_SIP_DECISION, "respond");
    } catch {
      // Telemetry never throws into the call path.
    }
    endSipSpan(span, status, status === undefined || status >= 500);
  }
}
