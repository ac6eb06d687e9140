import type { Tracer } from "@opentelemetry/api";
import type { Flow } from "@sipfleet/bindings";
import type { Bus, BusHeaders, BusSubscription } from "@sipfleet/bus";
import { flowFromWire } from "@sipfleet/location-client/wire";
import { Decision, Envelope, REGISTRAR_QUEUE, REGISTRAR_SUBJECT } from "@sipfleet/proto";
import { parseMessage, SipError, SipRequest } from "@sipfleet/sip";
import type { Registrar, RegistrarLogger } from "./registrar.js";
import { NO_REGISTRAR_TELEMETRY, tracedRegister, type RegistrarTelemetry } from "./registrar-telemetry.js";
import { reply, toDecision, type RegistrarReply } from "./reply.js";

/**
 * A registrar worker: one member of the registrar queue group. Each request is an Envelope with a
 * REGISTER as the edge received it; each reply a Decision. Bad input is answered, never thrown:
 * a throw would leave the edge waiting until its timeout. With a tracer, each REGISTER is a span
 * under the edge's (its context rides in the NATS headers); with metrics, each is counted and timed.
 */
export function serveRegistrar(bus: Bus, registrar: Registrar, logger: RegistrarLogger, telemetry: RegistrarTelemetry = NO_REGISTRAR_TELEMETRY): BusSubscription {
  return bus.serve(REGISTRAR_SUBJECT, REGISTRAR_QUEUE, async (msg) => {
    const answer = await answerEnvelope(msg.data, registrar, logger, telemetry, msg.headers);
    return Decision.encode(toDecision(answer)).finish();
  });
}

export async function answerEnvelope(
  data: Uint8Array,
  registrar: Registrar,
  logger: RegistrarLogger,
  telemetry: RegistrarTelemetry = NO_REGISTRAR_TELEMETRY,
  headers?: BusHeaders,
): Promise<RegistrarReply> {
  const metrics = telemetry.metrics;
  if (metrics === undefined) return answerRegister(data, registrar, logger, telemetry.tracer, headers);
  const startMs = performance.now();
  const answer = await answerRegister(data, registrar, logger, telemetry.tracer, headers);
  metrics.answered(answer.status, startMs);
  return answer;
}

async function answerRegister(data: Uint8Array, registrar: Registrar, logger: RegistrarLogger, tracer: Tracer | undefined, headers: BusHeaders | undefined): Promise<RegistrarReply> {
  let envelope: Envelope;
  try {
    envelope = Envelope.decode(data);
  } catch (e) {
    logger.warn({ err: e }, "undecodable envelope");
    return reply(500, "Bad Envelope");
  }
  const flow = flowFromWire(envelope.flow);
  if (typeof flow === "string" || flow.edgeId === "") {
    logger.warn({ problem: typeof flow === "string" ? flow : "flow.edgeId is empty" }, "envelope without a usable flow");
    return reply(500, "Bad Envelope");
  }
  let req: SipRequest;
  try {
    const m = parseMessage(Buffer.from(envelope.message.buffer, envelope.message.byteOffset, envelope.message.byteLength));
    if (!(m instanceof SipRequest)) return reply(500, "Not A Request");
    req = m;
  } catch (e) {
    // The edge validated it; a message it let through that we cannot parse is a bug to see.
    if (e instanceof SipError) {
      logger.warn({ err: e }, "unparsable REGISTER in envelope");
      return reply(400, "Malformed Request");
    }
    throw e;
  }
  if (tracer === undefined) return handle(registrar, logger, req, flow);
  return tracedRegister(tracer, headers, req, () => handle(registrar, logger, req, flow));
}

async function handle(registrar: Registrar, logger: RegistrarLogger, req: SipRequest, flow: Flow): Promise<RegistrarReply> {
  try {
    return await registrar.handle(req, flow);
  } catch (e) {
    logger.error({ err: e, callId: safeCallId(req) }, "registrar failed");
    return reply(500, "Server Internal Error");
  }
}

function safeCallId(req: SipRequest): string | undefined {
  try {
    return req.callId;
  } catch {
    return undefined;
  }
}
