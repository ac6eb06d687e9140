import type { Span } from "@opentelemetry/api";
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
  type TransactionTransport,
  type RequestDisposition,
  type TransactionLayerOptions,
} from "@sipfleet/sip";
import type { Bus, BusHeaders } from "@sipfleet/bus";
import { PROXY_SUBJECT, REGISTRAR_SUBJECT, type Decision, type Target } from "@sipfleet/proto";
import { branchOwner, type ContactMasks } from "@sipfleet/routing";
import type { CallObserver } from "./call-recorder.js";
import { EdgeCancelRelay, type CancelMatch } from "./cancel-relay.js";
import type { DecisionClient, DecisionOutcome } from "./decision-client.js";
import { forwardProblem, respondOptions } from "./decision-response.js";
import type { EdgeCounters } from "./edge-stats.js";
import type { EdgeTelemetry } from "./edge-telemetry.js";
import { EdgeRelay } from "./edge-relay.js";
import type { LocalLinks } from "./flow-links.js";
import type { RequestOrigin } from "./flow.js";
import type { OutboundCredentials } from "@sipfleet/trunks";
import { ForkingProxy } from "./forking-proxy.js";
import { safeCallId, type EdgeLogger } from "./logger.js";
import type { PlatformView } from "./edge-directory.js";
import { optionsAnswer } from "./options-responder.js";
import { buildResponse } from "./response-builder.js";
import { responseTransport } from "./transport-adapter.js";

export interface RequestRouterOptions {
  readonly decisions: DecisionClient;
  /** The served domains and own addresses of the moment (edge-directory.ts). */
  readonly platform: PlatformView;
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
  readonly edgeId: string;
  /** Where other edges are reached (`edge.<id>.*`). */
  readonly bus: Bus;
  readonly links: LocalLinks;
  /** Timer C of forwarded INVITEs (RFC 3261 §16.6 step 11). */
  readonly timerCMs: number;
  /** How long a CANCEL without a local match waits for another edge to claim it. */
  readonly cancelRelayTimeoutMs: number;
  readonly calls: CallObserver | undefined;
  /** Gateways this edge's OPTIONS pings found down, skipped by the forking proxy (gateway-health.ts). */
  readonly gatewayDown?: ((target: Target) => boolean) | undefined;
  /** A trunk's outbound credentials by name, to answer its gateways' 401/407 (ForkingProxy). */
  readonly credentialsOf?: ((trunk: string) => OutboundCredentials | undefined) | undefined;
  /** The key of masked Contacts toward carriers (ForkingProxy, topology-hiding.ts). */
  readonly contactMasks: ContactMasks;
  /** A worker's response says the request's credentials failed (counted toward a ban of `sourceIp`). */
  readonly onCredentialsFailed: (sourceIp: string) => void;
  /** Spans and per-transaction metrics; undefined: none recorded, no work done for them. */
  readonly telemetry?: EdgeTelemetry | undefined;
}

/**
 * The edge's transaction user: what to do with each new server transaction. REGISTER is asked
 * of the registrar workers, every other request of the proxy workers, over the bus; their
 * decision is carried out: a response sent, or the request forwarded by the forking proxy.
 * OPTIONS to the platform is answered here, CANCEL is matched (RFC 3261 §9.2) and cancels the
 * forwarded INVITE (held here or, asked over the bus, by another edge), an ACK for a 2xx is
 * forwarded as the proxy workers say. Responses go to the
 * client transaction that sent the request, on this edge or, by the Via branch, on the edge that
 * owns it. It owns the transaction layer it sits on.
 */
export class RequestRouter implements TransactionLayerUser<RequestOrigin> {
  readonly layer: TransactionLayer<RequestOrigin>;
  readonly proxy: ForkingProxy;
  readonly relay: EdgeRelay;
  readonly cancels: EdgeCancelRelay;
  /** INVITEs cancelled while their decision was still being asked: answered 487 when it comes. */
  private readonly cancelledEarly = new WeakSet<ServerTransaction<RequestOrigin>>();
  /**
   * Per dialog, the last in-dialog request whose decision is being carried out: decisions are
   * asked at once but carried out in the order the requests arrived, so an ACK and the BYE right
   * behind it leave in that order even when their answers come back the other way round.
   */
  private readonly dialogQueue = new Map<string, Promise<void>>();
  private inFlight = 0;
  /**
   * "new": dialog-creating and out-of-dialog requests are refused, requests within a dialog
   * (and ACKs, CANCELs of requests in hand) still relayed; "all": everything is refused.
   */
  private draining: "no" | "new" | "all" = "no";
  /** Server transactions alive, to tell at shutdown which still owe a final response. */
  private readonly open = new Set<ServerTransaction<RequestOrigin>>();
  private readonly retryAfter: ResponseOptions;
  private readonly optionsOk: ResponseOptions;
  private readonly o: RequestRouterOptions;

  constructor(options: RequestRouterOptions) {
    this.o = options;
    const layerOptions = { clock: options.clock, timers: options.timers };
    const t = options.telemetry;
    this.layer =
      t === undefined
        ? new TransactionLayer(responseTransport(options.links), this, layerOptions)
        : new RetransmissionObservingLayer(responseTransport(options.links), this, layerOptions, t);
    this.proxy = new ForkingProxy(
      {
        edgeId: options.edgeId,
        bus: options.bus,
        links: options.links,
        clock: options.clock,
        timers: options.timers,
        timerCMs: options.timerCMs,
        calls: options.calls,
        gatewayDown: options.gatewayDown,
        credentialsOf: options.credentialsOf,
        contactMasks: options.contactMasks,
        logger: options.logger,
        telemetry: options.telemetry,
        respond: (tx, status, o) => this.respond(tx, status, o),
      },
      (res) => this.onStrayResponse(res),
    );
    this.relay = new EdgeRelay(options.bus, options.edgeId, options.links, this.proxy, options.counters, options.logger);
    this.cancels = new EdgeCancelRelay(options.bus, options.edgeId, options.cancelRelayTimeoutMs, this, options.counters, options.logger);
    const retryAfterHeaders: HeaderList = [["Retry-After", String(options.retryAfterSeconds)]];
    this.retryAfter = { headers: retryAfterHeaders };
    this.optionsOk = optionsAnswer(options.supported);
  }

  get decisionsInFlight(): number {
    return this.inFlight;
  }

  /** Decisions and CANCEL claims asked over NATS and not yet answered (METRIC_EDGE_DECISIONS_PENDING). */
  get decisionsPending(): number {
    return this.inFlight + this.cancels.inFlight;
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
   *
   * `inDialog` (a scale-in's drain): requests within an established dialog (a To tag: BYE,
   * re-INVITE, UPDATE, INFO...), ACKs and CANCELs keep being relayed, so the calls in progress
   * through this edge can end, until `stopInDialog()`. Only what would start something new
   * (an initial INVITE, a REGISTER, an OPTIONS) is refused.
   */
  startDraining(inDialog = false): void {
    if (this.draining === "all") return;
    this.draining = inDialog ? "new" : "all";
  }

  /** The end of the drain: in-dialog requests and ACKs are refused (dropped) too. */
  stopInDialog(): void {
    this.draining = "all";
  }

  onRequest(tx: ServerTransaction<RequestOrigin>, req: SipRequest): void {
    this.open.add(tx);
    this.o.telemetry?.serverStarted(tx, req);
    if (this.draining !== "no" && !(this.draining === "new" && continuesDialog(req))) return this.respond(tx, 503, this.retryAfter);
    switch (req.method) {
      case "REGISTER":
        void this.decide(tx, req, REGISTRAR_SUBJECT);
        return;
      case "OPTIONS":
        // RFC 3261 §11.2: the platform answers for itself; OPTIONS to a user is routed.
        if (this.o.platform.current.platform.isAddressedToPlatform(req, tx.dest.link.localIp)) return this.respond(tx, 200, this.optionsOk);
        void this.decide(tx, req, PROXY_SUBJECT);
        return;
      case "CANCEL":
        // RFC 3261 §9.2: "If the UAS did not find a matching transaction for the CANCEL according
        // to the procedure above, it SHOULD respond to the CANCEL with a 481 [...]. Regardless of
        // the method of the original request, as long as the CANCEL matched an existing
        // transaction, the UAS answers the CANCEL request itself with a 200 (OK) response."
        // §16.10: a proxy then cancels the branches of the matched INVITE.
        return this.answerCancel(tx, req);
      default:
        void this.decide(tx, req, PROXY_SUBJECT);
        return;
    }
  }

  /**
   * A response from a socket (§18.1.2): to this edge's client transaction it belongs to, or to the
   * edge that owns it (the Via branch names it: architecture invariant 1). One the platform did
   * not send a request for is dropped.
   */
  receiveResponse(res: SipResponse): void {
    let owner: string | undefined;
    try {
      owner = branchOwner(res.topVia?.branch);
    } catch {
      owner = undefined;
    }
    if (owner === undefined) return this.onStrayResponse(res);
    if (owner === this.o.edgeId) return this.proxy.receiveResponse(res);
    this.relay.relayResponse(owner, res);
  }

  /**
   * The ACK for a 2xx (it matches no transaction, RFC 3261 §17.2.3, or an Accepted one, RFC 6026
   * §7.1): end to end, so it is routed like an in-dialog request, by the proxy workers, and
   * forwarded without a transaction. An ACK is never answered.
   */
  onAck(ack: SipRequest, source: RequestOrigin): void {
    if (this.draining === "all") return this.o.logger.debug?.({ callId: safeCallId(ack) }, "ACK dropped while draining");
    void this.decideAck(ack, source);
  }

  /**
   * RFC 3261 §18.1.2: a response that matches no client transaction is dropped. A proxy holding
   * transactions has nothing to send it through: a callee's 2xx retransmissions reach the caller
   * through the client transaction's Accepted state (RFC 6026, Timer M).
   */
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
    this.o.telemetry?.serverTerminated(tx);
  }

  private answerCancel(tx: ServerTransaction<RequestOrigin>, cancel: SipRequest): void {
    const match = this.cancelInvite(cancel);
    if (match === undefined) {
      void this.relayCancel(tx, cancel);
      return;
    }
    this.respond(tx, 200, match.toTag === undefined ? undefined : { toTag: match.toTag });
  }

  /**
   * Any edge can receive anything: the INVITE may be held by another edge. It is asked of them
   * all; the CANCEL's own transaction stays here (hop by hop, §9.2) and is answered 200 if one
   * claimed it, else 481.
   */
  private async relayCancel(tx: ServerTransaction<RequestOrigin>, cancel: SipRequest): Promise<void> {
    if (this.inFlight + this.cancels.inFlight >= this.o.maxDecisionsInFlight) {
      // Invariant 7: a storm of stray CANCELs is answered, not queued without bound.
      this.o.counters.overloaded++;
      return this.respond(tx, 503, this.retryAfter);
    }
    const match = await this.cancels.ask(cancel, tx.dest.flow);
    if (match === undefined) return this.respond(tx, 481);
    this.respond(tx, 200, match.toTag === undefined ? undefined : { toTag: match.toTag });
  }

  /**
   * A CANCEL, this edge's own or one another edge relayed, for an INVITE that may be held here:
   * the INVITE is cancelled (§9.2, §16.10); undefined when none here matches.
   */
  cancelInvite(cancel: SipRequest): CancelMatch | undefined {
    const invite = this.layer.findInviteServerTransaction(cancel);
    if (invite === undefined) return undefined;
    this.o.telemetry?.cancelled(invite);
    // The tag of the responses the caller has seen: read before cancelling, which may answer the
    // INVITE (487) with a tag of its own.
    const toTag = lastToTag(invite);
    // Not forwarded yet (its decision is being asked): it is answered 487 when the decision comes.
    if (!this.proxy.cancel(invite) && invite.state === TransactionState.Proceeding) this.cancelledEarly.add(invite);
    return { toTag };
  }

  private async decide(tx: ServerTransaction<RequestOrigin>, req: SipRequest, subject: string): Promise<void> {
    const { counters } = this.o;
    if (this.inFlight >= this.o.maxDecisionsInFlight) {
      // RFC 3261 §21.5.4 and invariant 7: overload is answered, not queued without bound.
      counters.overloaded++;
      return this.respond(tx, 503, this.retryAfter);
    }
    await this.inArrivalOrder(req, this.ask(subject, req, tx.dest, this.o.telemetry?.carrier(tx)), (outcome) => this.answer(tx, req, outcome));
  }

  private answer(tx: ServerTransaction<RequestOrigin>, req: SipRequest, outcome: DecisionOutcome): void {
    const { counters, logger } = this.o;
    if (this.cancelledEarly.has(tx)) {
      // §9.2: "the UAS [...] SHOULD respond to the original request with a 487".
      return this.respond(tx, 487);
    }
    switch (outcome.kind) {
      case "decision":
        return this.carryOut(tx, req, outcome.decision);
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

  private async ask(subject: string, req: SipRequest, origin: RequestOrigin, headers: BusHeaders | undefined): Promise<DecisionOutcome> {
    this.inFlight++;
    try {
      return await this.o.decisions.ask(subject, req, origin, headers);
    } catch (e) {
      return { kind: "failed", reason: "asking failed", error: e };
    } finally {
      this.inFlight--;
    }
  }

  private carryOut(tx: ServerTransaction<RequestOrigin>, req: SipRequest, decision: Decision): void {
    const { counters, logger } = this.o;
    const action = decision.action;
    switch (action?.$case) {
      case "respond": {
        // Counted before the response leaves: the source's next request meets the ban, if any.
        if (action.value.credentialsFailed) this.o.onCredentialsFailed(tx.dest.replyIp);
        const r = respondOptions(action.value);
        if (r.ok) return this.respond(tx, r.status, r.options);
        counters.failedDecisions++;
        logger.error({ reason: r.reason, callId: safeCallId(req) }, "unusable decision: answering 500");
        return this.respond(tx, 500);
      }
      case "forward": {
        const problem = forwardProblem(action.value);
        if (problem === undefined) return this.proxy.forward(tx, req, action.value);
        counters.failedDecisions++;
        logger.error({ reason: problem, callId: safeCallId(req) }, "unusable forward decision: answering 500");
        return this.respond(tx, 500);
      }
      default:
        // A drop is for an ACK only: a request with a transaction must be answered.
        counters.failedDecisions++;
        logger.error({ action: action?.$case, callId: safeCallId(req) }, "decision the edge cannot carry out: answering 500");
        return this.respond(tx, 500);
    }
  }

  /**
   * Carries out `asked` once every earlier in-dialog request of the same dialog (Call-ID and
   * tags) has been carried out. Out-of-dialog requests do not wait.
   */
  private async inArrivalOrder(req: SipRequest, asked: Promise<DecisionOutcome>, carryOut: (o: DecisionOutcome) => void | Promise<void>): Promise<void> {
    const key = dialogKey(req);
    if (key === undefined) return carryOut(await asked);
    const before = this.dialogQueue.get(key);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.dialogQueue.set(key, mine);
    try {
      if (before !== undefined) await before;
      await carryOut(await asked);
    } finally {
      done();
      if (this.dialogQueue.get(key) === mine) this.dialogQueue.delete(key);
    }
  }

  private async decideAck(ack: SipRequest, source: RequestOrigin): Promise<void> {
    const { counters, logger, telemetry } = this.o;
    // No transaction: a span of its own while it is routed (ended whatever becomes of it).
    const span = telemetry?.ackStarted(ack, source);
    try {
      if (this.inFlight >= this.o.maxDecisionsInFlight) {
        counters.overloaded++;
        return logger.debug?.({ callId: safeCallId(ack) }, "ACK dropped: too many decisions in flight");
      }
      const asked = this.ask(PROXY_SUBJECT, ack, source, span === undefined ? undefined : telemetry?.spanCarrier(span));
      await this.inArrivalOrder(ack, asked, (outcome) => this.forwardAck(ack, source, outcome, span));
    } finally {
      telemetry?.ackEnded(span);
    }
  }

  private forwardAck(ack: SipRequest, source: RequestOrigin, outcome: DecisionOutcome, span: Span | undefined): Promise<void> | void {
    const { counters, logger } = this.o;
    if (outcome.kind !== "decision") return logger.warn({ reason: outcome.reason, callId: safeCallId(ack) }, "ACK dropped: no decision");
    const action = outcome.decision.action;
    if (action?.$case === "forward") {
      const problem = forwardProblem(action.value);
      if (problem === undefined) return this.proxy.forwardStateless(ack, source, action.value, span);
      counters.failedDecisions++;
      return logger.error({ reason: problem, callId: safeCallId(ack) }, "unusable forward decision for an ACK");
    }
    counters.dropped++;
    logger.debug?.({ action: action?.$case, reason: action?.$case === "drop" ? action.value.reason : undefined, callId: safeCallId(ack) }, "ACK dropped");
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
      this.o.telemetry?.serverAnswered(tx, status);
    } catch (e) {
      // The transaction ended meanwhile (shutdown deadline) or was answered already.
      if (e instanceof TransactionError) this.o.logger.debug?.({ reason: e.message, status }, "response discarded");
      else this.o.logger.error({ err: e, status }, "response failed");
    }
  }
}

/**
 * The transaction layer of an edge that records telemetry: a request the layer matched to a
 * transaction (other than an ACK) is a retransmission it absorbed. Only used with telemetry, so
 * an edge without it pays nothing.
 */
class RetransmissionObservingLayer extends TransactionLayer<RequestOrigin> {
  constructor(
    transport: TransactionTransport<RequestOrigin>,
    tu: TransactionLayerUser<RequestOrigin>,
    options: Partial<TransactionLayerOptions>,
    private readonly telemetry: EdgeTelemetry,
  ) {
    super(transport, tu, options);
  }

  override receiveRequest(req: SipRequest, source: RequestOrigin, reliable: boolean): RequestDisposition {
    const d = super.receiveRequest(req, source, reliable);
    if (d === "matched" && req.method !== "ACK") this.telemetry.serverRetransmission(req);
    return d;
  }
}

/** The To tag of the INVITE's last response: the CANCEL's 200 carries it too (§9.2). */
function lastToTag(invite: ServerInviteTransaction<RequestOrigin>): string | undefined {
  try {
    return invite.lastResponse?.to.tag;
  } catch {
    return undefined;
  }
}

/** Call-ID and both tags of an in-dialog request (a To tag); undefined outside a dialog. */
function dialogKey(req: SipRequest): string | undefined {
  try {
    const toTag = req.to.tag;
    if (toTag === undefined) return undefined;
    const fromTag = req.from.tag ?? "";
    // The same dialog seen from either side: the tags in a fixed order.
    return fromTag < toTag ? `${req.callId}\n${fromTag}\n${toTag}` : `${req.callId}\n${toTag}\n${fromTag}`;
  } catch {
    return undefined;
  }
}

/**
 * Whether a request belongs to something already under way, which a draining edge still relays:
 * a request within a dialog (its To has a tag, RFC 3261 §12.2), or a CANCEL (it ends a request
 * in hand, §9). A To that does not parse is not.
 */
function continuesDialog(req: SipRequest): boolean {
  if (req.method === "CANCEL") return true;
  try {
    return req.to.tag !== undefined;
  } catch {
    return false;
  }
}
