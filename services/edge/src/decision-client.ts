import { performance } from "node:perf_hooks";
import { BusClosedError, BusNoRespondersError, BusTimeoutError, BusUnavailableError, type Bus, type BusHeaders, type BusRequestOptions } from "@sipfleet/bus";
import { Decision, Envelope } from "@sipfleet/proto";
import type { SipRequest } from "@sipfleet/sip";
import type { EdgeMetrics, NatsErrorType } from "./edge-metrics.js";
import type { RequestOrigin } from "./flow.js";
import { NO_PEER_NAMES } from "./tls-peer-names.js";

/** What came of asking the workers about a request. */
export type DecisionOutcome =
  | { readonly kind: "decision"; readonly decision: Decision }
  /** No worker could answer (none serving, none in time, bus down): 503 with Retry-After. */
  | { readonly kind: "unavailable"; readonly reason: string }
  /** An answer that cannot be used, or a failure that is nobody's load: 500, logged as an error. */
  | { readonly kind: "failed"; readonly reason: string; readonly error?: unknown };

export interface DecisionClientOptions {
  readonly bus: Bus;
  /** How long one ask waits for a reply. */
  readonly timeoutMs: number;
  /** Asks after the first one that timed out. */
  readonly retries: number;
  /** Decision durations and failed bus requests; none: not measured. */
  readonly metrics?: EdgeMetrics | undefined;
}

/**
 * Asks the worker queue group for a decision over the bus (NATS request/reply). The envelope
 * carries the request's bytes as received (architecture invariant 4): what the edge learnt from
 * the socket (received, rport, connection) travels in `flow`, never by re-serializing the request.
 */
export class DecisionClient {
  /** Bus requests sent so far (a retry counts again). */
  asked = 0;

  constructor(private readonly options: DecisionClientOptions) {}

  /** `headers`: the W3C trace context of the request's span, when traced. */
  async ask(subject: string, req: SipRequest, origin: RequestOrigin, headers?: BusHeaders): Promise<DecisionOutcome> {
    const metrics = this.options.metrics;
    if (metrics === undefined) return this.askBus(subject, req, origin, headers);
    const started = performance.now();
    try {
      return await this.askBus(subject, req, origin, headers);
    } finally {
      metrics.decisionDuration.record((performance.now() - started) / 1000, metrics.method(req.method));
    }
  }

  private async askBus(subject: string, req: SipRequest, origin: RequestOrigin, headers: BusHeaders | undefined): Promise<DecisionOutcome> {
    // encode only reads the names: the connection's frozen array goes as it is.
    const tlsPeerNames = (origin.tlsPeerNames ?? NO_PEER_NAMES) as string[];
    const envelope = Envelope.encode({ message: req.bytes, flow: origin.flow, receivedAtMs: origin.receivedAtMs, tlsPeerNames }).finish();
    const { bus, timeoutMs, retries, metrics } = this.options;
    const options: BusRequestOptions = headers === undefined ? { timeoutMs } : { timeoutMs, headers };
    for (let attempt = 0; ; attempt++) {
      let reply: Uint8Array;
      this.asked++;
      try {
        reply = await bus.request(subject, envelope, options);
      } catch (e) {
        metrics?.natsError(subject, natsErrorType(e));
        // A timeout may mean the worker that took the request died (architecture invariant 2):
        // ask again, and another member of the queue group will likely take it.
        if (e instanceof BusTimeoutError) {
          if (attempt < retries) continue;
          return { kind: "unavailable", reason: `no decision within ${timeoutMs} ms after ${attempt + 1} asks` };
        }
        if (e instanceof BusNoRespondersError) return { kind: "unavailable", reason: "no worker serves " + subject };
        if (e instanceof BusUnavailableError) return { kind: "unavailable", reason: "bus not connected" };
        if (e instanceof BusClosedError) return { kind: "unavailable", reason: "bus closed" };
        return { kind: "failed", reason: "bus request failed", error: e };
      }
      return decodeDecision(reply);
    }
  }
}

function natsErrorType(e: unknown): NatsErrorType {
  if (e instanceof BusTimeoutError) return "timeout";
  if (e instanceof BusNoRespondersError) return "no_responders";
  if (e instanceof BusUnavailableError) return "unavailable";
  if (e instanceof BusClosedError) return "closed";
  return "other";
}

function decodeDecision(reply: Uint8Array): DecisionOutcome {
  if (reply.length === 0) return { kind: "failed", reason: "empty decision" };
  let decision: Decision;
  try {
    decision = Decision.decode(reply);
  } catch (e) {
    return { kind: "failed", reason: "undecodable decision", error: e };
  }
  if (decision.action === undefined) return { kind: "failed", reason: "decision without action" };
  return { kind: "decision", decision };
}
