import {
  TransactionError,
  TransactionLayer,
  TransactionState,
  type Clock,
  type HeaderList,
  type ResponseOptions,
  type ServerInviteTransaction,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
  type TransactionLayerUser,
  type TransactionTimers,
} from "@sipfleet/sip";
import type { DecisionClient, DecisionOutcome } from "./decision-client.js";
import { respondOptions } from "./decision-response.js";
import type { EdgeCounters } from "./edge-stats.js";
import type { RequestOrigin } from "./flow.js";
import type { EdgeLogger } from "./logger.js";
import { optionsAnswer, type PlatformIdentity } from "./options-responder.js";
import { buildResponse } from "./response-builder.js";
import { flowTransport } from "./transport-adapter.js";

export interface RequestRouterOptions {
  readonly decisions: DecisionClient;
  readonly platform: PlatformIdentity;
  /** Option tags listed in Supported of the OPTIONS answer. */
  readonly supported: readonly string[];
  /** Retry-After (seconds) on every 503 the edge sends. */
  readonly retryAfterSeconds: number;
  /** Decisions awaited at once; requests beyond get 503 without asking (invariant 7). */
  readonly maxDecisionsInFlight: number;
  readonly logger: EdgeLogger;
  readonly counters: EdgeCounters;
  readonly clock: Clock;
  readonly timers: TransactionTimers;
}

/**
 * The edge's transaction user: what to do with each new server transaction. REGISTER is asked
 * of the registrar workers over the bus and their decision is sent; OPTIONS to the platform is
 * answered here; CANCEL is matched (RFC 3261 §9.2); every other method is 501 until the proxy
 * tier exists. It owns the transaction layer it sits on.
 */
export class RequestRouter implements TransactionLayerUser<RequestOrigin> {
  readonly layer: TransactionLayer<RequestOrigin>;
  private inFlight = 0;
  private draining = false;
  /** Server transactions alive, to tell at shutdown which still owe a final response. */
  private readonly open = new Set<ServerTransaction<RequestOrigin>>();
  private readonly retryAfter: ResponseOptions;
  private readonly optionsOk: ResponseOptions;
  private readonly o: RequestRouterOptions;

  constructor(options: RequestRouterOptions) {
    this.o = options;
    this.layer = new TransactionLayer(flowTransport, this, { clock: options.clock, timers: options.timers });
    const retryAfterHeaders: HeaderList = [["Retry-After", String(options.retryAfterSeconds)]];
    this.retryAfter = { headers: retryAfterHeaders };
    this.optionsOk = optionsAnswer(options.supported);
  }

  get decisionsInFlight(): number {
    return this.inFlight;
  }

  /** Server transactions that have not sent a final response yet. */
  get awaitingAnswer(): number {
    let n = 0;
    for (const tx of this.open) {
      const s = tx.state;
      if (s === TransactionState.Trying || s === TransactionState.Proceeding) n++;
    }
    return n;
  }

  /**
   * From now on new requests get 503 with Retry-After. RFC 3261 §21.5.4: 503 says the server is
   * "temporarily unable to process the request due to a temporary overloading or maintenance";
   * a client (RFC 3263 §4.3) then tries the next server at once, where silence would leave it
   * retransmitting for 32 s. Retransmissions of requests in hand still reach their transactions.
   */
  startDraining(): void {
    this.draining = true;
  }

  onRequest(tx: ServerTransaction<RequestOrigin>, req: SipRequest): void {
    this.open.add(tx);
    if (this.draining) return this.respond(tx, 503, this.retryAfter);
    switch (req.method) {
      case "REGISTER":
        void this.decide(tx, req);
        return;
      case "OPTIONS":
        // RFC 3261 §11.2: the platform answers for itself; OPTIONS to a user needs the proxy tier.
        if (this.o.platform.isAddressedToPlatform(req, tx.dest.link.localIp)) return this.respond(tx, 200, this.optionsOk);
        return this.respond(tx, 501);
      case "CANCEL":
        // RFC 3261 §9.2: "If the UAS did not find a matching transaction for the CANCEL according
        // to the procedure above, it SHOULD respond to the CANCEL with a 481 [...]. Regardless of
        // the method of the original request, as long as the CANCEL matched an existing
        // transaction, the UAS answers the CANCEL request itself with a 200 (OK) response." The
        // INVITEs the edge holds have all been answered (501), so there is nothing to cancel.
        // "The To tag of the response to the CANCEL and the To tag in the response to the
        // original request SHOULD be the same."
        return this.answerCancel(tx, req);
      default:
        // RFC 3261 §8.2.1: a method the element does not implement; the proxy tier comes later.
        return this.respond(tx, 501);
    }
  }

  /** An ACK for a 2xx, or one that matches nothing: the edge sends no 2xx to INVITE yet. */
  onAck(ack: SipRequest, source: RequestOrigin): void {
    this.o.logger.debug?.({ callId: safeCallId(ack), remote: source.flow.connectionId }, "stray ACK dropped");
  }

  /** RFC 3261 §18.1.2: a response matching no client transaction (the edge has none yet). */
  onStrayResponse(res: SipResponse): void {
    this.o.counters.dropped++;
    this.o.logger.debug?.({ status: res.status, callId: safeCallId(res) }, "response without transaction dropped");
  }

  onTimeout(tx: ServerInviteTransaction<RequestOrigin>): void {
    this.o.logger.debug?.({ callId: safeCallId(tx.request) }, "no ACK for a final response to INVITE (Timer H)");
  }

  onTransportError(err: unknown, tx: ServerTransaction<RequestOrigin>): void {
    this.o.logger.warn({ err, method: tx.method, connection: tx.dest.flow.connectionId }, "response could not be sent");
  }

  onTerminated(tx: ServerTransaction<RequestOrigin>): void {
    this.open.delete(tx);
  }

  private answerCancel(tx: ServerTransaction<RequestOrigin>, cancel: SipRequest): void {
    const invite = this.layer.findInviteServerTransaction(cancel);
    if (invite === undefined) return this.respond(tx, 481);
    let toTag: string | undefined;
    try {
      toTag = invite.lastResponse?.to.tag;
    } catch {
      toTag = undefined;
    }
    return this.respond(tx, 200, toTag === undefined ? undefined : { toTag });
  }

  private async decide(tx: ServerTransaction<RequestOrigin>, req: SipRequest): Promise<void> {
    const { counters, logger } = this.o;
    if (this.inFlight >= this.o.maxDecisionsInFlight) {
      // RFC 3261 §21.5.4 and invariant 7: overload is answered, not queued without bound.
      counters.overloaded++;
      return this.respond(tx, 503, this.retryAfter);
    }
    this.inFlight++;
    let outcome: DecisionOutcome;
    try {
      outcome = await this.o.decisions.askRegistrar(req, tx.dest);
    } catch (e) {
      outcome = { kind: "failed", reason: "asking failed", error: e };
    } finally {
      this.inFlight--;
    }
    switch (outcome.kind) {
      case "decision": {
        const action = outcome.decision.action;
        if (action?.$case === "respond") {
          const r = respondOptions(action.value);
          if (r.ok) return this.respond(tx, r.status, r.options);
          counters.failedDecisions++;
          logger.error({ reason: r.reason, callId: safeCallId(req) }, "unusable decision: answering 500");
          return this.respond(tx, 500);
        }
        counters.failedDecisions++;
        logger.error({ action: action?.$case, callId: safeCallId(req) }, "decision the edge cannot carry out: answering 500");
        return this.respond(tx, 500);
      }
      case "unavailable":
        counters.unavailable++;
        logger.warn({ reason: outcome.reason, callId: safeCallId(req) }, "no decision: answering 503");
        return this.respond(tx, 503, this.retryAfter);
      case "failed":
        counters.failedDecisions++;
        logger.error({ reason: outcome.reason, err: outcome.error, callId: safeCallId(req) }, "decision failed: answering 500");
        return this.respond(tx, 500);
    }
  }

  /** Builds the response (with the stamped Via) and hands it to the transaction. */
  private respond(tx: ServerTransaction<RequestOrigin>, status: number, options?: ResponseOptions): void {
    let res: SipResponse;
    try {
      res = buildResponse(tx.request, tx.dest.stampedVia, status, options);
    } catch (e) {
      this.o.logger.error({ err: e, status }, "response could not be built");
      if (status !== 500) this.respond(tx, 500);
      return;
    }
    try {
      tx.respond(res);
    } catch (e) {
      // The transaction ended meanwhile (shutdown deadline) or was answered already.
      if (e instanceof TransactionError) this.o.logger.debug?.({ reason: e.message, status }, "response discarded");
      else this.o.logger.error({ err: e, status }, "response failed");
    }
  }
}

function safeCallId(m: SipRequest | SipResponse): string | undefined {
  try {
    return m.callId;
  } catch {
    return undefined;
  }
}
