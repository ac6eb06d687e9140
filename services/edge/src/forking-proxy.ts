import type { Span } from "@opentelemetry/api";
import type { Bus } from "@sipfleet/bus";
import type { Forward, Target } from "@sipfleet/proto";
import { loopHash, platformBranch, type ContactMasks } from "@sipfleet/routing";
import {
  createCancel,
  editMessage,
  parseMessage,
  parseNameAddr,
  parseUri,
  TransactionError,
  TransactionLayer,
  TransactionState,
  type Clock,
  type ClientTransaction,
  type ClientTransactionUser,
  type HeaderList,
  type ResponseOptions,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
  type TransactionLayerUser,
  type TransactionTimers,
  type Uri,
} from "@sipfleet/sip";
import type { OutboundCredentials } from "@sipfleet/trunks";
import { buildBranchBytes, buildBranchRequest } from "./branch-request.js";
import { answerBranchChallenge, NO_AUTH, offsetCanBeKept, type BranchAuth } from "./carrier-challenge.js";
import type { CallObserver } from "./call-recorder.js";
import type { BranchTrace, EdgeTelemetry } from "./edge-telemetry.js";
import { RemoteFlowLink, type LocalLinks } from "./flow-links.js";
import type { RequestOrigin } from "./flow.js";
import { groupAllDown, skipsDownGroups } from "./gateway-health.js";
import { failsOver } from "./group-failover.js";
import { hopTransport, viaTransport, type Hop } from "./hop.js";
import { hostPort } from "./ip-address.js";
import { safeCallId, type EdgeLogger } from "./logger.js";
import { nextHopFromWire, resolveNextHop } from "./next-hop.js";
import { challengesToAdd, selectBest, type BranchOutcome } from "./response-selection.js";
import { branchesHidden, maskContact, restoreUpstreamVias, upstreamHidden, type BranchHiding } from "./topology-hiding.js";

export interface ForkingProxyOptions {
  readonly edgeId: string;
  readonly bus: Bus;
  readonly links: LocalLinks;
  readonly clock: Clock;
  readonly timers: TransactionTimers;
  /**
   * RFC 3261 §16.6 step 11, Timer C: how long an INVITE branch may ring (reset by every
   * provisional response) before it is cancelled; "MUST be greater than 3 minutes".
   */
  readonly timerCMs: number;
  readonly logger: EdgeLogger;
  /** Told about call attempts, answers and ends (call events); none in tests that do not care. */
  readonly calls?: CallObserver | undefined;
  /**
   * Whether a target is a trunk's gateway this edge's OPTIONS pings found down (gateway-health.ts):
   * a serial group of such targets only is skipped; none: every group is tried.
   */
  readonly gatewayDown?: ((target: Target) => boolean) | undefined;
  /**
   * The outbound credentials of a trunk (Target.trunk), to answer its gateways' 401/407 with
   * (carrier-challenge.ts); none: such challenges are passed on like any response.
   */
  readonly credentialsOf?: ((trunk: string) => OutboundCredentials | undefined) | undefined;
  /**
   * The key of the masked Contacts the edge writes toward a carrier (Forward.carrier_side,
   * topology-hiding.ts); the proxy workers restore them with the same shared secret.
   */
  readonly contactMasks: ContactMasks;
  /** Client spans and retransmission counts; undefined: none recorded. */
  readonly telemetry?: EdgeTelemetry | undefined;
  /** Answers a server transaction with a response the edge builds (408, 500, 430...). */
  readonly respond: (tx: ServerTransaction<RequestOrigin>, status: number, options?: ResponseOptions) => void;
}

/**
 * One branch of a forwarded request: a client transaction toward one target, and that
 * transaction's user. Its events go to the proxy with the branch itself, so a transaction that
 * ends inside `sendRequest` (a synchronous transport error) finds its branch like any other.
 */
class Branch implements ClientTransactionUser<Hop> {
  /** Set once `sendRequest` returns; its `dest` is the hop the request went to. */
  tx: ClientTransaction<Hop> | undefined;
  /** A provisional response arrived (a CANCEL may be sent, RFC 3261 §9.1). */
  provisional = false;
  /** Asked to stop: a CANCEL goes out as soon as a provisional response allows it. */
  cancelWanted = false;
  cancelSent = false;
  /** Left behind by its group (timed out, cancelled): its end no longer moves the context on. */
  abandoned = false;
  /**
   * Given up by its group's provisional timeout, having received nothing: the 408 it counts as
   * in the group's outcomes (its own late end, like any abandoned branch's, does not count).
   */
  silentOutcome: BranchOutcome | undefined;
  outcome: BranchOutcome | undefined;
  /**
   * Its carrier's challenge was answered: a new branch re-sends the request. Its 401/407 is in no
   * outcome list, and its end concerns the context no more.
   */
  superseded = false;
  timerC: ReturnType<Clock["setTimer"]> | undefined;
  /** Its client span and send count, with telemetry. */
  trace: BranchTrace | undefined;

  constructor(
    readonly proxy: ForkingProxy,
    readonly ctx: ForkContext,
    readonly group: number,
    readonly target: Target,
    readonly id: string,
    /** The challenges answered on this target so far (carrier-challenge.ts). */
    readonly auth: BranchAuth = NO_AUTH,
  ) {}

  onResponse(res: SipResponse): void {
    this.proxy.branchResponse(this, res);
  }

  onTimeout(): void {
    this.proxy.branchTimedOut(this);
  }

  onTransportError(err: unknown): void {
    this.proxy.branchSendFailed(this, err);
  }

  onTerminated(): void {
    this.proxy.branchTerminated(this);
  }

  get done(): boolean {
    return this.outcome !== undefined || this.abandoned;
  }
}

/** RFC 3261 §16 "response context": everything about one forwarded request. */
class ForkContext {
  readonly branches: Branch[] = [];
  readonly outcomes: BranchOutcome[] = [];
  group = -1;
  groupTimer: ReturnType<Clock["setTimer"]> | undefined;
  /** The current group's TargetGroup.provisional_timeout_ms, until any of its branches responds. */
  provisionalTimer: ReturnType<Clock["setTimer"]> | undefined;
  /** A 2xx went upstream (INVITE: the call is answered; the other branches are cancelled). */
  answered = false;
  /** No more branches: CANCEL from upstream, a 6xx, or a 2xx. */
  stopped = false;
  /** Upstream CANCELled the request (487 is preferred when choosing the final response). */
  cancelledByCaller = false;
  /** The server transaction has its final response. */
  finished = false;
  /** Serial groups of down gateways only are skipped (skipsDownGroups: not when all are down). */
  skipDownGateways = false;
  /**
   * The CSeq number of the request as received: the responses that go back upstream carry it
   * even when a branch went out with a higher one (an answered challenge, Forward.cseq_offset).
   */
  readonly cseq: number;

  constructor(
    readonly tx: ServerTransaction<RequestOrigin>,
    readonly forward: Forward,
    readonly isInvite: boolean,
    /** Computed once: the loop hash goes into every branch (RFC 3261 §16.6 step 8). */
    readonly loopHash: string,
    /** No To tag: a request that starts a dialog (an INVITE of it is a call attempt). Read once. */
    readonly initial: boolean,
  ) {
    this.cseq = tx.request.cseq.seq;
  }

  /** The forwarded request: the server transaction's (only bytes are kept once it waits). */
  get request(): SipRequest {
    return this.tx.request;
  }
}

/**
 * The edge's proxy core (RFC 3261 §16.6-16.10): carries out a worker's Forward decision for a
 * server transaction. One client transaction per target; groups of targets in parallel, groups
 * one after another (serial forking, or trunk failover on server failures only); provisional and
 * 2xx responses forwarded at once, the best final response (§16.7) otherwise; the other branches
 * cancelled when one answers, on a 6xx, or when the caller cancels; Timer C on INVITE branches. A target on a flow another edge owns is
 * reached through that edge (invariant 1); responses come back by the Via branch, which names
 * this edge.
 */
export class ForkingProxy {
  readonly clients: TransactionLayer<Hop>;
  private readonly contexts = new Map<ServerTransaction<RequestOrigin>, ForkContext>();
  /**
   * Branches whose transaction is running, by their Via branch parameter: to find one a
   * FlowFailed names. Entries leave in `branchTerminated` only.
   */
  private readonly branchesById = new Map<string, Branch>();
  private readonly o: ForkingProxyOptions;

  constructor(options: ForkingProxyOptions, strayResponses: (res: SipResponse) => void) {
    this.o = options;
    const tu: TransactionLayerUser<Hop> = {
      // The client-side layer never receives requests.
      onRequest: () => {},
      onAck: () => {},
      onTimeout: () => {},
      onTransportError: () => {},
      onStrayResponse: strayResponses,
    };
    const transport = options.telemetry === undefined ? hopTransport : options.telemetry.clientTransport(hopTransport);
    this.clients = new TransactionLayer(transport, tu, { clock: options.clock, timers: options.timers, tryingDelay: false });
  }

  /** Forwarded requests still waiting for their final response. */
  get pending(): number {
    return this.contexts.size;
  }

  /** Carries out a Forward decision for a server transaction (anything but ACK). */
  forward(tx: ServerTransaction<RequestOrigin>, req: SipRequest, forward: Forward): void {
    const ctx = new ForkContext(tx, forward, req.method === "INVITE", loopHash(req), !hasToTag(req));
    this.contexts.set(tx, ctx);
    const down = this.o.gatewayDown;
    if (down !== undefined) ctx.skipDownGateways = skipsDownGroups(forward.groups, down);
    if (ctx.isInvite && ctx.initial) this.observe((c) => c.attempted(req, tx.dest.flow));
    this.nextGroup(ctx);
  }

  /**
   * The ACK for a 2xx (and any request the worker says to forward without a transaction): sent
   * on to the first target, statelessly (RFC 3261 §16.11; the ACK of a 2xx is end to end).
   */
  async forwardStateless(req: SipRequest, origin: RequestOrigin, forward: Forward, span?: Span): Promise<void> {
    const target = forward.groups.find((g) => g.targets.length > 0)?.targets[0];
    if (target === undefined) return;
    const id = platformBranch(this.o.edgeId, loopHash(req));
    const hop = await this.hopFor(target, id, req, forward);
    if (typeof hop === "string") {
      this.o.logger.debug?.({ reason: hop, method: req.method }, "stateless forward dropped");
      return;
    }
    try {
      hop.link.send(buildBranchBytes(req, forward, target, this.via(hop, id), origin.stampedVia, NO_AUTH, this.hiding(forward, hop)), hop.ip, hop.port);
      this.o.telemetry?.statelessSent(span, req, target, hop);
    } catch (e) {
      this.o.logger.warn({ err: e, method: req.method }, "stateless forward failed");
    }
  }

  /**
   * A CANCEL from upstream for a forwarded INVITE (RFC 3261 §16.10): every pending branch is
   * cancelled and no new one starts; the final response comes from the branches (487).
   * Returns whether the INVITE was being forwarded here.
   */
  cancel(invite: ServerTransaction<RequestOrigin>): boolean {
    const ctx = this.contexts.get(invite);
    if (ctx === undefined) return false;
    ctx.cancelledByCaller = true;
    this.stop(ctx);
    this.maybeFinish(ctx);
    return true;
  }

  /** A response for one of this edge's client transactions (from its sockets or relayed). */
  receiveResponse(res: SipResponse): void {
    this.clients.receiveResponse(res);
  }

  /** Another edge could not send a branch's request: its flow is gone (RFC 5626 §5.3: 430). */
  flowFailed(branchId: string): void {
    const b = this.branchesById.get(branchId);
    if (b === undefined || b.outcome !== undefined) return;
    this.o.logger.debug?.({ branch: branchId }, "flow of a branch is gone");
    b.tx?.terminate();
    this.settle(b, { status: 430, response: undefined });
  }

  /** Abandons everything (shutdown). */
  terminateAll(): void {
    for (const ctx of this.contexts.values()) this.stop(ctx);
    this.clients.terminateAll();
    this.contexts.clear();
  }

  // ---- a branch's transaction events (Branch passes them on) ------------------------------------

  branchResponse(b: Branch, res: SipResponse): void {
    const ctx = b.ctx;
    const status = res.status;
    // Any response, even a 100, shows the group's targets are alive: they may take their time now.
    if (b.group === ctx.group) this.clearProvisionalTimer(ctx);
    if (status < 200) {
      if (b.trace !== undefined) this.o.telemetry?.branchProvisional(b.trace, status);
      b.provisional = true;
      if (b.cancelWanted && !b.cancelSent) this.sendCancel(b);
      if (status === 100) return;
      if (ctx.isInvite && !b.cancelSent) this.armTimerC(b);
      // §16.7 step 5: provisional responses other than 100 are forwarded at once.
      if (!ctx.finished && !b.abandoned) this.forwardResponse(ctx, res);
      return;
    }
    this.clearTimerC(b);
    if (status < 300) {
      // §16.7 step 5: "Any 2xx response to an INVITE request" is forwarded immediately, every one
      // of them (each is a dialog); for other methods the first final response ends it.
      if (b.outcome === undefined) this.recordOutcome(b, { status, response: res });
      if (ctx.isInvite) {
        // Observed before the 2xx goes upstream: sending it lets the server transaction compact
        // the request (SipMessage.compact), which the observer would only parse again.
        const first = !ctx.answered;
        if (first && ctx.initial) this.observe((c) => c.answered(ctx.request, res));
        this.forwardResponse(ctx, res);
        if (first) {
          ctx.answered = true;
          ctx.finished = true;
          // §16.7 step 10: "the proxy MUST [...] cancel all client pending transactions".
          this.stop(ctx);
        }
        this.maybeForget(ctx);
        return;
      }
      if (!ctx.finished) {
        ctx.finished = true;
        if (ctx.request.method === "BYE") this.observe((c) => c.ended(ctx.request, status));
        this.forwardResponse(ctx, res);
        this.stop(ctx);
      }
      this.maybeForget(ctx);
      return;
    }
    if ((status === 401 || status === 407) && this.challenged(b, res)) return;
    this.settle(b, { status, response: res });
  }

  /**
   * A 401/407 on a branch toward a trunk with outbound credentials: answered by re-sending the
   * request on a new branch to the same hop (true), or settled with what stands in for it (true),
   * or left to be settled as any response (false: no credentials, or nothing to answer it for).
   */
  private challenged(b: Branch, res: SipResponse): boolean {
    const ctx = b.ctx;
    const credentials = b.target.trunk === "" ? undefined : this.o.credentialsOf?.(b.target.trunk);
    if (credentials === undefined || b.tx === undefined) return false;
    const method = ctx.request.method;
    if (ctx.finished || b.abandoned || !offsetCanBeKept(method, ctx.initial, b.target.recordRoutes.length)) return false;
    // The caller cancelled before the carrier said anything else: the challenge is the
    // platform's business, the caller gets its 487 (§16.10).
    if (ctx.stopped) {
      this.settle(b, { status: ctx.cancelledByCaller ? 487 : res.status, response: ctx.cancelledByCaller ? undefined : res });
      return true;
    }
    const sent = b.tx.request;
    const out = answerBranchChallenge(sent, res, credentials, b.auth);
    if (out.kind === "refuse") {
      // Credentials the carrier refuses are the platform's configuration, not the caller's: the
      // carrier's 401/407 would ask the caller for credentials of a realm it has no account in
      // (and §16.7 step 7 would pass the challenge on as if the caller could answer it), so the
      // caller gets a 403, which says "authorization will not help" (§21.4.4). A 403 is the
      // callee side's answer for the failover rule too: another gateway of the same trunk would
      // refuse the same credentials. Never answered again: no loop.
      this.o.logger.warn({ trunk: b.target.trunk, realm: out.realm, status: res.status, reason: out.reason, callId: safeCallId(ctx.request) }, "carrier challenge not answered");
      this.settle(b, { status: 403, response: undefined });
      return true;
    }
    this.o.logger.debug?.({ trunk: b.target.trunk, realm: out.realm, status: res.status, branch: b.id }, "carrier challenge answered");
    // The old transaction ACKs its 401/407 to the carrier by itself (§17.1.1.3) and ends.
    b.superseded = true;
    b.outcome = { status: res.status, response: undefined };
    this.endTrace(b, res.status, false);
    this.clearTimerC(b);
    const again = new Branch(this, ctx, b.group, b.target, platformBranch(this.o.edgeId, ctx.loopHash), out.auth);
    ctx.branches.push(again);
    // After the ACK, which the old transaction sends once this returns: the carrier sees its
    // challenge's transaction end before the new one starts (a UA's order, §22.2).
    const hop = b.tx.dest;
    queueMicrotask(() => this.sendBranch(again, hop));
    return true;
  }

  branchTimedOut(b: Branch): void {
    // §16.7 step 2 / §16.8: a timeout counts as a 408 in the response context.
    this.settle(b, { status: 408, response: undefined });
  }

  branchSendFailed(b: Branch, err: unknown): void {
    this.o.logger.debug?.({ err, branch: b.id }, "branch request could not be sent");
    // §16.9: "treated as if a 503 [...] had been received"; a registered flow that broke is the
    // RFC 5626 §5.3 case: 430 Flow Failed.
    this.settle(b, { status: b.target.flow !== undefined ? 430 : 503, response: undefined });
  }

  branchTerminated(b: Branch): void {
    this.branchesById.delete(b.id);
    // Ended without an outcome (abandoned, shutdown): the span ends without a status.
    this.endTrace(b, undefined, false);
    this.clearTimerC(b);
    this.maybeForget(b.ctx);
  }

  // ---- the response context --------------------------------------------------------------------

  private nextGroup(ctx: ForkContext): void {
    const groups = ctx.forward.groups;
    while (++ctx.group < groups.length) {
      const g = groups[ctx.group];
      if (g === undefined || g.targets.length === 0) continue;
      if (ctx.skipDownGateways && this.o.gatewayDown !== undefined && groupAllDown(g.targets, this.o.gatewayDown)) {
        // Nothing is sent to it: no branch, no outcome; the next group starts at once.
        this.o.logger.debug?.({ group: ctx.group, trunk: g.targets[0]?.trunk }, "serial group skipped: its gateways are down");
        continue;
      }
      if (g.timeoutMs > 0) ctx.groupTimer = this.o.clock.setTimer(g.timeoutMs, ForkingProxy.groupTimerFired, { proxy: this, ctx, group: ctx.group });
      if (g.provisionalTimeoutMs > 0) {
        ctx.provisionalTimer = this.o.clock.setTimer(g.provisionalTimeoutMs, ForkingProxy.provisionalTimerFired, { proxy: this, ctx, group: ctx.group });
      }
      if (g.targets.length > 1) this.o.telemetry?.forked(ctx.tx, g.targets.length);
      for (const target of g.targets) this.startBranch(ctx, target);
      return;
    }
    this.maybeFinish(ctx);
  }

  private startBranch(ctx: ForkContext, target: Target): void {
    const id = platformBranch(this.o.edgeId, ctx.loopHash);
    const b = new Branch(this, ctx, ctx.group, target, id);
    ctx.branches.push(b);
    const hop = this.hopFor(target, id, ctx.request, ctx.forward);
    // A flow's hop is known at once: its request leaves before the next target's is looked up.
    if (!(hop instanceof Promise)) return this.sendBranch(b, hop);
    void hop.then(
      (h) => this.sendBranch(b, h),
      (e: unknown) => this.sendBranch(b, `next hop: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  private sendBranch(b: Branch, hop: Hop | string): void {
    const ctx = b.ctx;
    // Given up while its next hop was looked up (a group or provisional timeout): never sent.
    if (b.done) return;
    if (ctx.stopped) {
      // Stopped while the next hop was looked up: nothing was sent, nothing to cancel.
      b.abandoned = true;
      return this.maybeFinish(ctx);
    }
    if (typeof hop === "string") {
      this.o.logger.debug?.({ reason: hop, branch: b.id }, "branch not sent");
      return this.settle(b, { status: b.target.flow !== undefined ? 430 : 503, response: undefined });
    }
    let req: SipRequest;
    try {
      req = buildBranchRequest(ctx.request, ctx.forward, b.target, this.via(hop, b.id), ctx.tx.dest.stampedVia, b.auth, this.hiding(ctx.forward, hop));
    } catch (e) {
      this.o.logger.warn({ err: e, branch: b.id }, "branch request could not be built");
      return this.settle(b, { status: 500, response: undefined });
    }
    const telemetry = this.o.telemetry;
    if (telemetry !== undefined) b.trace = telemetry.branchStarting(ctx.tx, req, b.target, hop);
    try {
      b.tx = this.clients.sendRequest(req, hop, hop.link.reliable, b);
    } catch (e) {
      this.o.logger.error({ err: e, branch: b.id }, "bug: branch transaction refused");
      return this.settle(b, { status: 500, response: undefined });
    }
    // A send that failed at once has settled and terminated the branch inside sendRequest: no
    // FlowFailed can concern it and Timer C has nothing to time.
    if (b.outcome !== undefined) return;
    this.branchesById.set(b.id, b);
    if (ctx.isInvite) this.armTimerC(b);
  }

  /** Records a branch's final outcome and moves the context on. */
  private settle(b: Branch, outcome: BranchOutcome): void {
    if (b.outcome !== undefined) return;
    this.clearTimerC(b);
    this.recordOutcome(b, outcome);
    const ctx = b.ctx;
    // §16.7 step 9 / §16.7 step 10: a 6xx to an INVITE ends the search: cancel the rest.
    if (ctx.isInvite && outcome.status >= 600 && !ctx.finished) this.stop(ctx);
    this.maybeFinish(ctx);
  }

  /**
   * A branch its group left behind (the group rang too long and was cancelled) keeps its outcome
   * out of the choice: its 487 is the platform's doing, not an answer the caller should get.
   */
  private recordOutcome(b: Branch, outcome: BranchOutcome): void {
    b.outcome = outcome;
    // One the edge made up (timeout, send failure, flow gone) is a failure of the branch; an
    // answer from the far end, even a 486, is not. 487 is the cancel the edge asked for.
    this.endTrace(b, outcome.status, outcome.response === undefined && outcome.status !== 487);
    if (b.ctx.finished) return;
    if (!b.abandoned || outcome.status < 300 || outcome.status >= 600) b.ctx.outcomes.push(outcome);
  }

  /**
   * When every branch of the current group is done: the next group when the Forward's failover
   * rule lets the group's outcome move on (`failsOver`), else the final response (§16.7 step 6).
   * A context whose final response went out is forgotten once its branches end.
   */
  private maybeFinish(ctx: ForkContext): void {
    if (ctx.finished) return this.maybeForget(ctx);
    for (const b of ctx.branches) if (!b.done && (b.group === ctx.group || ctx.stopped)) return;
    if (!ctx.stopped && ctx.group < ctx.forward.groups.length && failsOver(ctx.forward.failover, groupOutcomes(ctx))) {
      this.clearGroupTimer(ctx);
      return this.nextGroup(ctx);
    }
    ctx.finished = true;
    this.clearGroupTimer(ctx);
    this.sendBest(ctx);
    this.maybeForget(ctx);
  }

  private sendBest(ctx: ForkContext): void {
    const best = selectBest(ctx.outcomes, ctx.cancelledByCaller);
    // §16.7 step 6: "If the only response that was received is a 503, the proxy SHOULD generate
    // a 500 response and forward that upstream": a 503 would tell the caller the whole platform
    // is unavailable. No response at all: 487 when the caller cancelled, else a timeout.
    const status = best === undefined ? (ctx.cancelledByCaller ? 487 : 408) : best.status === 503 ? 500 : best.status;
    const req = ctx.request;
    if (ctx.isInvite && ctx.initial) this.observe((c) => c.failed(req, status, best?.response?.reason ?? "", ctx.cancelledByCaller));
    else if (req.method === "BYE") this.observe((c) => c.ended(req, status));
    // A response some branch received is forwarded (not a 503); any other status the edge builds.
    if (best?.response !== undefined && status === best.status) {
      return this.forwardResponse(ctx, best.response, challengesToAdd(best, ctx.outcomes));
    }
    this.o.respond(ctx.tx, status, status === 430 ? FLOW_FAILED : undefined);
  }

  /**
   * §16.7 steps 3 and 8: the response without the platform's Via, through the server transaction;
   * with the CSeq number of the request as received when the branch's was shifted (§8.1.3.1: the
   * caller matches responses by it; only that number changes). Topology hiding: a branch toward a
   * carrier carried the edge's Via only, so the upstream Vias come from the server transaction's
   * request; a response toward a carrier upstream has its Contact masked (topology-hiding.ts).
   */
  private forwardResponse(ctx: ForkContext, res: SipResponse, extra: HeaderList = NO_HEADERS): void {
    let out: SipResponse;
    try {
      const e = editMessage(res);
      if (branchesHidden(ctx.forward)) restoreUpstreamVias(e, ctx.request, ctx.tx.dest.stampedVia);
      else e.removeTopVia();
      if (upstreamHidden(ctx.forward)) maskContact(e, res, this.o.contactMasks, ctx.tx.dest.link);
      const cseq = res.cseq;
      if (cseq.seq !== ctx.cseq) e.setHeader("CSeq", `${ctx.cseq} ${cseq.method}`);
      for (const [name, value] of extra) e.appendHeader(name, value);
      out = parseMessage(e.toBuffer(), { maxSize: Number.MAX_SAFE_INTEGER }) as SipResponse;
    } catch (e) {
      this.o.logger.warn({ err: e, status: res.status }, "response could not be forwarded");
      return;
    }
    try {
      ctx.tx.respond(out);
      this.o.telemetry?.serverAnswered(ctx.tx, out.status);
    } catch (e) {
      if (e instanceof TransactionError) this.o.logger.debug?.({ reason: e.message, status: res.status }, "response not forwarded");
      else this.o.logger.error({ err: e, status: res.status }, "response forwarding failed");
    }
  }

  /** No new branches; pending ones are cancelled (INVITE) or left to end by themselves. */
  private stop(ctx: ForkContext): void {
    ctx.stopped = true;
    this.clearGroupTimer(ctx);
    for (const b of ctx.branches) {
      if (b.outcome !== undefined) continue;
      if (b.tx === undefined) continue; // still resolving: sendBranch sees `stopped`
      if (ctx.isInvite) this.requestCancel(b);
    }
  }

  /** §9.1: a CANCEL only once a provisional response came; until then it waits. */
  private requestCancel(b: Branch): void {
    if (b.cancelWanted) return;
    b.cancelWanted = true;
    if (b.provisional) this.sendCancel(b);
  }

  private sendCancel(b: Branch): void {
    const tx = b.tx;
    if (tx === undefined || b.cancelSent) return;
    const req = tx.request;
    b.cancelSent = true;
    // §9.1: a branch that does not end within 64*T1 of its CANCEL is given up.
    this.clearTimerC(b);
    b.timerC = this.o.clock.setTimer(this.o.timers.B, ForkingProxy.timerCFired, b);
    let cancel: SipRequest;
    try {
      cancel = createCancel(req);
    } catch (e) {
      this.o.logger.warn({ err: e, branch: b.id }, "CANCEL could not be built");
      return;
    }
    try {
      // Its answer (200) means nothing here: the INVITE branch ends with its own 487.
      // §9.1: the CANCEL goes where the request it cancels went.
      this.clients.sendRequest(cancel, tx.dest, tx.dest.link.reliable, IGNORE_RESPONSES);
    } catch (e) {
      this.o.logger.warn({ err: e, branch: b.id }, "CANCEL could not be sent");
    }
  }

  private maybeForget(ctx: ForkContext): void {
    if (!ctx.finished) return;
    for (const b of ctx.branches) if (b.tx !== undefined && b.tx.state !== TransactionState.Terminated && b.outcome === undefined) return;
    // 2xx retransmissions from answered branches still arrive through their transactions
    // (Accepted state, RFC 6026) and are forwarded until those end.
    if (ctx.branches.some((b) => b.tx !== undefined && b.tx.state === TransactionState.Accepted)) return this.shed(ctx);
    this.contexts.delete(ctx.tx);
  }

  /**
   * A finished context that lingers (for 64*T1, while answered branches may still see 2xx
   * retransmissions) keeps only what forwarding those needs: the responses it compared go (its
   * requests are the transactions', which keep only their bytes by then).
   */
  private shed(ctx: ForkContext): void {
    ctx.outcomes.length = 0;
    for (const b of ctx.branches) {
      if (b.outcome?.response !== undefined) b.outcome = { status: b.outcome.status, response: undefined };
    }
  }

  // ---- timers ----------------------------------------------------------------------------------

  private armTimerC(b: Branch): void {
    this.clearTimerC(b);
    b.timerC = this.o.clock.setTimer(this.o.timerCMs, ForkingProxy.timerCFired, b);
  }

  private clearTimerC(b: Branch): void {
    if (b.timerC !== undefined) this.o.clock.clearTimer(b.timerC);
    b.timerC = undefined;
  }

  /** Both of the current group's timers: it ended, or the context stopped. */
  private clearGroupTimer(ctx: ForkContext): void {
    if (ctx.groupTimer !== undefined) this.o.clock.clearTimer(ctx.groupTimer);
    ctx.groupTimer = undefined;
    this.clearProvisionalTimer(ctx);
  }

  private clearProvisionalTimer(ctx: ForkContext): void {
    if (ctx.provisionalTimer !== undefined) this.o.clock.clearTimer(ctx.provisionalTimer);
    ctx.provisionalTimer = undefined;
  }

  /**
   * §16.8: "If the client transaction has received a provisional response, the proxy MUST
   * generate a CANCEL request matching that transaction. If the client transaction has not
   * received a provisional response, the proxy MUST behave as if the transaction received a 408".
   */
  private static timerCFired(b: Branch): void {
    const proxy = b.proxy;
    b.timerC = undefined;
    if (b.outcome !== undefined) return;
    if (b.provisional && !b.cancelSent) return proxy.requestCancel(b);
    // No provisional response, or a CANCEL that was not answered with a final response in time
    // (§9.1: after 64*T1 "the client SHOULD then consider the original transaction cancelled").
    b.tx?.terminate();
    proxy.settle(b, { status: 408, response: undefined });
  }

  /** A serial group rang too long: its branches are cancelled and the next group starts. */
  private static groupTimerFired(arg: { proxy: ForkingProxy; ctx: ForkContext; group: number }): void {
    const { proxy, ctx, group } = arg;
    ctx.groupTimer = undefined;
    if (ctx.finished || ctx.stopped || ctx.group !== group) return;
    for (const b of ctx.branches) {
      if (b.group !== group || b.outcome !== undefined) continue;
      b.abandoned = true;
      if (ctx.isInvite) proxy.requestCancel(b);
    }
    proxy.maybeFinish(ctx);
  }

  /**
   * No branch of the group has sent anything, not even a 100 (a response clears this timer):
   * every branch still without an outcome is given up as the group timeout gives them up, and
   * counts as a 408 (§16.7 step 2: a timed-out transaction "behaves as if" it received one), so
   * the failover rule decides whether the next group is tried. §9.1: "If no provisional response
   * has been received, the CANCEL request MUST NOT be sent"; requestCancel keeps the CANCEL for
   * a provisional that comes late, and the transaction ends by itself (Timer B) otherwise.
   */
  private static provisionalTimerFired(arg: { proxy: ForkingProxy; ctx: ForkContext; group: number }): void {
    const { proxy, ctx, group } = arg;
    ctx.provisionalTimer = undefined;
    if (ctx.finished || ctx.stopped || ctx.group !== group) return;
    for (const b of ctx.branches) {
      if (b.group !== group || b.done) continue;
      b.abandoned = true;
      b.silentOutcome = { status: 408, response: undefined };
      ctx.outcomes.push(b.silentOutcome);
      if (ctx.isInvite) proxy.requestCancel(b);
    }
    proxy.o.logger.debug?.({ group }, "no response from a group within its provisional timeout");
    proxy.maybeFinish(ctx);
  }

  // ---- hops ------------------------------------------------------------------------------------

  /** The hop of a target on a registered flow: this edge's own socket, or the owner edge. */
  private flowHop(target: Target, branchId: string): Hop | undefined {
    const flow = target.flow;
    if (flow === undefined || flow.remote === undefined) return undefined;
    if (flow.edgeId === this.o.edgeId) return this.o.links.hopFor(flow);
    return { link: new RemoteFlowLink(this.o.bus, flow, this.o.edgeId, branchId), ip: flow.remote.ip, port: flow.remote.port };
  }

  /**
   * The hop of any target, or why there is none: its registered flow, known at once (this edge's
   * socket or the owner edge), or the address of its next-hop URI, which takes a lookup.
   */
  private hopFor(target: Target, branchId: string, req: SipRequest, forward: Forward): Hop | string | Promise<Hop | string> {
    if (target.flow !== undefined) return this.flowHop(target, branchId) ?? "the registered flow is gone";
    return this.addressHop(target, req, forward);
  }

  private async addressHop(target: Target, req: SipRequest, forward: Forward): Promise<Hop | string> {
    // The worker located the server (RFC 3263 for a trunk's domain): go there, no lookup.
    if (target.nextHop !== undefined) {
      const located = nextHopFromWire(target.nextHop);
      return typeof located === "string" ? located : this.o.links.hopTo(located);
    }
    let uri: Uri;
    try {
      uri = nextHopUri(req, forward, target);
    } catch (e) {
      return `unparsable next-hop URI: ${e instanceof Error ? e.message : String(e)}`;
    }
    const next = await resolveNextHop(uri);
    return typeof next === "string" ? next : this.o.links.hopTo(next);
  }

  private endTrace(b: Branch, status: number | undefined, failed: boolean): void {
    if (b.trace !== undefined) this.o.telemetry?.branchEnded(b.trace, status, failed);
  }

  /** Call events must never disturb the call: a failure there is logged and forgotten. */
  private observe(report: (c: CallObserver) => void): void {
    const calls = this.o.calls;
    if (calls === undefined) return;
    try {
      report(calls);
    } catch (e) {
      this.o.logger.warn({ err: e }, "call event not recorded");
    }
  }

  /** How a branch over `hop` is hidden: only toward a carrier (Forward.carrier_side). */
  private hiding(forward: Forward, hop: Hop): BranchHiding | undefined {
    return branchesHidden(forward) ? { masks: this.o.contactMasks, at: hop.link } : undefined;
  }

  private via(hop: Hop, branchId: string): string {
    return `${viaTransport(hop.link)} ${hostPort(hop.link.advertisedHost, hop.link.advertisedPort)};branch=${branchId};rport`;
  }
}

/**
 * The final responses of the current group's own branches; those its timeout left behind are out,
 * as in the response context (`recordOutcome`); those its provisional timeout gave up are 408s.
 */
function groupOutcomes(ctx: ForkContext): BranchOutcome[] {
  const out: BranchOutcome[] = [];
  for (const b of ctx.branches) {
    if (b.group !== ctx.group || b.superseded) continue;
    if (b.silentOutcome !== undefined) out.push(b.silentOutcome);
    else if (!b.abandoned && b.outcome !== undefined) out.push(b.outcome);
  }
  return out;
}

function hasToTag(req: SipRequest): boolean {
  try {
    return req.to.tag !== undefined;
  } catch {
    return true;
  }
}

const NO_HEADERS: HeaderList = [];
const FLOW_FAILED: ResponseOptions = { reason: "Flow Failed" };

const IGNORE_RESPONSES: ClientTransactionUser<Hop> = {
  onResponse: () => {},
  onTimeout: () => {},
  onTransportError: () => {},
};

/**
 * The URI a branch is sent to (RFC 3261 §16.6 steps 6-7): the top Route of the request it sends
 * (the target's own, a rewritten set's, or the received one left after the decision's pops), else
 * its Request-URI. Route values are name-addrs (`<sip:...;lr>`); throws on one that is not.
 */
function nextHopUri(req: SipRequest, forward: Forward, target: Target): Uri {
  const route = target.routes[0] ?? (forward.rewriteRoutes ? forward.routes[0] : undefined);
  if (route !== undefined) return parseNameAddr(route, 0, route.length, "Route").uri;
  const left = forward.rewriteRoutes ? undefined : req.route[forward.popRoutes];
  if (left !== undefined) return left.uri;
  return target.requestUri !== "" ? parseUri(target.requestUri, "Request-URI") : req.uri;
}
