import type { Tracer } from "@opentelemetry/api";
import type { Flow } from "@sipfleet/bindings";
import type { Bus, BusHeaders, BusSubscription } from "@sipfleet/bus";
import { flowFromWire, type WireFlow } from "@sipfleet/location-client/wire";
import { Decision, Envelope, PROXY_QUEUE, PROXY_SUBJECT } from "@sipfleet/proto";
import { parseMessage, SipError, SipRequest } from "@sipfleet/sip";
import { refuse, respond } from "./decisions.js";
import { NO_PROXY_TELEMETRY, tracedDecision, type ProxyTelemetry } from "./proxy-telemetry.js";
import type { ProxyLogger, SipProxy } from "./sip-proxy.js";

/**
 * A proxy worker: one member of the proxy queue group. Each request is an Envelope with a request
 * as the edge received it; each reply a Decision. Bad input is answered, never thrown: a throw
 * would leave the edge waiting until its timeout. With a tracer, each decision is a span under
 * the edge's (its context rides in the NATS headers); with metrics, each is counted and timed.
 */
export function serveProxy(bus: Bus, proxy: SipProxy, logger: ProxyLogger, telemetry: ProxyTelemetry = NO_PROXY_TELEMETRY): BusSubscription {
  return bus.serve(PROXY_SUBJECT, PROXY_QUEUE, async (msg) => {
    const decision = await answerEnvelope(msg.data, proxy, logger, telemetry, msg.headers);
    return Decision.encode(decision).finish();
  });
}

export async function answerEnvelope(
  data: Uint8Array,
  proxy: SipProxy,
  logger: ProxyLogger,
  telemetry: ProxyTelemetry = NO_PROXY_TELEMETRY,
  headers?: BusHeaders,
): Promise<Decision> {
  const metrics = telemetry.metrics;
  if (metrics === undefined) return decideEnvelope(data, proxy, logger, telemetry.tracer, headers);
  const startMs = performance.now();
  let method: string | undefined;
  const decision = await decideEnvelope(data, proxy, logger, telemetry.tracer, headers, (m) => (method = m));
  metrics.decided(method, decision, startMs);
  return decision;
}

async function decideEnvelope(
  data: Uint8Array,
  proxy: SipProxy,
  logger: ProxyLogger,
  tracer: Tracer | undefined,
  headers: BusHeaders | undefined,
  onMethod?: (method: string) => void,
): Promise<Decision> {
  let envelope: Envelope;
  try {
    envelope = Envelope.decode(data);
  } catch (e) {
    logger.warn({ err: e }, "undecodable envelope");
    return respond(500, "Bad Envelope");
  }
  let req: SipRequest;
  try {
    const m = parseMessage(Buffer.from(envelope.message.buffer, envelope.message.byteOffset, envelope.message.byteLength));
    if (!(m instanceof SipRequest)) return respond(500, "Not A Request");
    req = m;
    onMethod?.(req.method);
  } catch (e) {
    // The edge validated it; a message it let through that we cannot parse is a bug to see.
    if (e instanceof SipError) {
      logger.warn({ err: e }, "unparsable request in envelope");
      return respond(400, "Malformed Request");
    }
    throw e;
  }
  const flow = usableFlow(envelope.flow);
  if (typeof flow === "string") {
    logger.warn({ problem: flow }, "envelope without a usable flow");
    return refuse(req.method, 500, "Bad Envelope");
  }
  if (tracer === undefined) return handle(proxy, logger, req, flow, envelope);
  return tracedDecision(tracer, headers, req, () => handle(proxy, logger, req, flow, envelope));
}

async function handle(proxy: SipProxy, logger: ProxyLogger, req: SipRequest, flow: Flow, envelope: Envelope): Promise<Decision> {
  try {
    return await proxy.handle(req, flow, envelope.flow, envelope.tlsPeerNames);
  } catch (e) {
    logger.error({ err: e, method: req.method, callId: safeCallId(req) }, "proxy failed");
    return refuse(req.method, 500, "Server Internal Error");
  }
}

/**
 * The flow the request came over, or what is wrong with it. Its edge and local address are
 * needed: they are where the dialog comes back to (Record-Route) and what "our address" means.
 */
function usableFlow(wire: WireFlow | undefined): Flow | string {
  const flow = flowFromWire(wire);
  if (typeof flow === "string") return flow;
  if (flow.edgeId === "") return "flow.edgeId is empty";
  if (flow.local.ip === "" || flow.local.port === 0) return "flow.local is missing";
  return flow;
}

function safeCallId(req: SipRequest): string | undefined {
  try {
    return req.callId;
  } catch {
    return undefined;
  }
}
