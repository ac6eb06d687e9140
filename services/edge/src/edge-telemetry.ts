import { performance } from "node:perf_hooks";
import { ROOT_CONTEXT, SpanKind, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import type { Target } from "@sipfleet/proto";
import { serverTransactionKey, type ServerTransaction, type SipRequest, type SipResponse, type TransactionTransport } from "@sipfleet/sip";
import {
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SIP_CALL_ID,
  ATTR_SIP_CSEQ,
  ATTR_SIP_DOMAIN,
  ATTR_SIP_METHOD,
  ATTR_SIP_STATUS_CODE,
  ATTR_SIP_TARGET,
  ATTR_SIP_TARGET_COUNT,
  ATTR_SIP_TRANSPORT,
  ATTR_SIP_TRUNK,
  ATTR_SIPFLEET_EDGE_ID,
  EVENT_SIP_CANCEL,
  EVENT_SIP_FORK,
  EVENT_SIP_PROVISIONAL,
  EVENT_SIP_RETRANSMISSION,
  endSipSpan,
  sipSpanName,
  startChildSpan,
  startSipServerSpan,
  traceCarrier,
} from "@sipfleet/telemetry";
import { trunkForSource } from "@sipfleet/trunks";
import type { TrunksView } from "./edge-directory.js";
import type { CallObserver } from "./call-recorder.js";
import type { EdgeMetrics } from "./edge-metrics.js";
import type { Link, RequestOrigin } from "./flow.js";
import { transportName, type Hop } from "./hop.js";

type Tx = ServerTransaction<RequestOrigin>;

/** A server transaction as telemetry follows it, from its request to its final response. */
interface ServerTrace {
  readonly tx: Tx;
  readonly method: string;
  readonly startedMs: number;
  /** An INVITE without a To tag: a call attempt (ASR). */
  readonly initialInvite: boolean;
  /** Only when tracing. */
  readonly span: Span | undefined;
}

/** A client branch as telemetry follows it: its span, and whether its request has left once. */
export interface BranchTrace {
  readonly method: string;
  /** Only when tracing; undefined once ended. */
  span: Span | undefined;
  sent: boolean;
}

/**
 * The edge's spans and per-transaction metrics. One exists only when there is something to record
 * (a tracer, or a meter other than the no-op one): callers hold `EdgeTelemetry | undefined` and a
 * disabled edge does no telemetry work at all. Span work happens only with a tracer. Nothing here
 * throws into the call path: the SDK's calls do not throw, and what could (parsing a header for an
 * attribute) is guarded.
 */
export class EdgeTelemetry {
  /** Server transactions awaiting their final response, by transaction key. */
  private readonly servers = new Map<string, ServerTrace>();
  /**
   * Client requests by their bytes: a client transaction re-sends the very same Buffer on Timer
   * A/E, so a second send of one is a retransmission (weak: nothing to forget).
   */
  private readonly branchBytes = new WeakMap<Buffer, BranchTrace>();

  constructor(
    readonly tracer: Tracer | undefined,
    readonly metrics: EdgeMetrics,
    private readonly edgeId: string,
    private readonly trunks: TrunksView,
  ) {}

  // ---- server transactions ---------------------------------------------------------------------

  /** A request created a server transaction. */
  serverStarted(tx: Tx, req: SipRequest): void {
    const m = this.metrics;
    const method = req.method;
    m.requests.add(1, m.method(method));
    m.transactionsActive.add(1);
    const initialInvite = method === "INVITE" && !hasToTag(req);
    if (initialInvite) m.callsAttempted.add(1);
    const span = this.tracer === undefined ? undefined : this.serverSpan(this.tracer, req, tx.dest);
    this.servers.set(tx.id, { tx, method, startedMs: performance.now(), initialInvite, span });
  }

  /** The transaction's final response went out (only the first one counts: further 2xx are forks'). */
  serverAnswered(tx: Tx, status: number): void {
    if (status < 200) return;
    const t = this.servers.get(tx.id);
    if (t === undefined || t.tx !== tx) return;
    this.servers.delete(tx.id);
    const m = this.metrics;
    const attrs = m.methodStatus(t.method, status);
    m.responses.add(1, attrs);
    m.transactionDuration.record((performance.now() - t.startedMs) / 1000, attrs);
    m.transactionsActive.add(-1);
    if (t.initialInvite && status < 300) m.callsAnswered.add(1);
    if (t.span !== undefined) endSipSpan(t.span, status);
  }

  /** The transaction ended; one never answered (shutdown) ends its span without a status. */
  serverTerminated(tx: Tx): void {
    const t = this.servers.get(tx.id);
    if (t === undefined || t.tx !== tx) return;
    this.servers.delete(tx.id);
    this.metrics.transactionsActive.add(-1);
    if (t.span !== undefined) endSipSpan(t.span, undefined);
  }

  /** A request a server transaction absorbed (not an ACK: that is no retransmission). */
  serverRetransmission(req: SipRequest): void {
    this.metrics.retransmission(req.method, "received");
    if (this.tracer === undefined) return;
    try {
      this.servers.get(serverTransactionKey(req))?.span?.addEvent(EVENT_SIP_RETRANSMISSION);
    } catch {
      // A request the layer matched has a key; nothing to record otherwise.
    }
  }

  /** A CANCEL matched this INVITE transaction (this edge's CANCEL or one relayed). */
  cancelled(invite: Tx): void {
    this.spanOf(invite)?.addEvent(EVENT_SIP_CANCEL);
  }

  /** A group of more than one target starts: the request forks. */
  forked(tx: Tx, targets: number): void {
    this.spanOf(tx)?.addEvent(EVENT_SIP_FORK, { [ATTR_SIP_TARGET_COUNT]: targets });
  }

  /** W3C trace context of the transaction's span, for the NATS headers of its decision request. */
  carrier(tx: Tx): Record<string, string> | undefined {
    return this.spanCarrier(this.spanOf(tx));
  }

  private spanOf(tx: Tx): Span | undefined {
    if (this.tracer === undefined) return undefined;
    const t = this.servers.get(tx.id);
    return t !== undefined && t.tx === tx ? t.span : undefined;
  }

  // ---- the ACK for a 2xx (no transaction) ------------------------------------------------------

  /** An ACK no transaction absorbed: a request of its own, and a short span while it is routed. */
  ackStarted(ack: SipRequest, source: RequestOrigin): Span | undefined {
    const m = this.metrics;
    m.requests.add(1, m.method("ACK"));
    return this.tracer === undefined ? undefined : this.serverSpan(this.tracer, ack, source);
  }

  spanCarrier(span: Span | undefined): Record<string, string> | undefined {
    return span === undefined ? undefined : traceCarrier(trace.setSpan(ROOT_CONTEXT, span));
  }

  /** A request forwarded without a transaction (the ACK for a 2xx): a client span that ends as it leaves. */
  statelessSent(parent: Span | undefined, req: SipRequest, target: Target, hop: Hop): void {
    if (this.tracer === undefined || parent === undefined) return;
    endSipSpan(this.clientSpan(this.tracer, parent, req, target, hop), undefined);
  }

  /** The ACK was forwarded or dropped: its span ends. */
  ackEnded(span: Span | undefined): void {
    if (span !== undefined) endSipSpan(span, undefined);
  }

  // ---- client branches -------------------------------------------------------------------------

  /**
   * A branch's request is about to be sent to `hop`: a CLIENT span under the server transaction's,
   * and its bytes remembered so that Timer A/E re-sends are told from the first send.
   */
  branchStarting(tx: Tx, req: SipRequest, target: Target, hop: Hop): BranchTrace {
    const parent = this.spanOf(tx);
    const span = parent === undefined || this.tracer === undefined ? undefined : this.clientSpan(this.tracer, parent, req, target, hop);
    const b: BranchTrace = { method: req.method, span, sent: false };
    this.branchBytes.set(req.bytes, b);
    return b;
  }

  branchProvisional(b: BranchTrace, status: number): void {
    b.span?.addEvent(EVENT_SIP_PROVISIONAL, { [ATTR_SIP_STATUS_CODE]: status });
  }

  /** The branch's final outcome; `failed` when the edge made it up (timeout, send failure). */
  branchEnded(b: BranchTrace, status: number | undefined, failed: boolean): void {
    const span = b.span;
    if (span === undefined) return;
    b.span = undefined;
    endSipSpan(span, status, failed);
  }

  /** The client transactions' transport, seeing each send: a request's second send is a retransmission. */
  clientTransport(inner: TransactionTransport<Hop>): TransactionTransport<Hop> {
    return {
      send: (bytes, hop) => {
        const b = this.branchBytes.get(bytes);
        if (b !== undefined) {
          if (b.sent) {
            this.metrics.retransmission(b.method, "sent");
            b.span?.addEvent(EVENT_SIP_RETRANSMISSION);
          } else b.sent = true;
        }
        return inner.send(bytes, hop);
      },
    };
  }

  // ---- dialogs ---------------------------------------------------------------------------------

  /**
   * The call events the forking proxy reports, also counted as dialogs: +1 on an answer, -1 on a
   * BYE answered 2xx. A call answered through one edge and ended through another moves both edges'
   * counts, and their sum stays right.
   */
  callObserver(next: CallObserver | undefined): CallObserver {
    const dialogs = this.metrics.dialogsActive;
    return {
      attempted: (invite, flow) => next?.attempted(invite, flow),
      answered: (invite: SipRequest, res: SipResponse) => {
        dialogs.add(1);
        next?.answered(invite, res);
      },
      failed: (invite, status, reason, cancelled) => next?.failed(invite, status, reason, cancelled),
      ended: (bye, status) => {
        if (status >= 200 && status < 300) dialogs.add(-1);
        next?.ended(bye, status);
      },
    };
  }

  // ---- spans -----------------------------------------------------------------------------------

  private serverSpan(tracer: Tracer, req: SipRequest, origin: RequestOrigin): Span {
    let callId = "";
    try {
      callId = req.callId;
    } catch {
      // Validated before it gets here; without one the span takes a random trace id.
    }
    return startSipServerSpan(tracer, req.method, callId, () => this.serverAttributes(req, callId, origin));
  }

  /** Only for a sampled span. */
  private serverAttributes(req: SipRequest, callId: string, origin: RequestOrigin): Attributes {
    const attrs: Attributes = {
      [ATTR_SIP_METHOD]: req.method,
      [ATTR_SIPFLEET_EDGE_ID]: this.edgeId,
      [ATTR_NETWORK_PEER_ADDRESS]: origin.replyIp,
      [ATTR_NETWORK_PEER_PORT]: origin.replyPort,
      [ATTR_SIP_TRANSPORT]: transportName(origin.link.transport),
      [ATTR_NETWORK_TRANSPORT]: networkTransport(origin.link),
    };
    if (callId !== "") attrs[ATTR_SIP_CALL_ID] = callId;
    try {
      attrs[ATTR_SIP_CSEQ] = req.cseq.seq;
      const uri = req.uri;
      if ("host" in uri) attrs[ATTR_SIP_DOMAIN] = uri.host;
    } catch {
      // Validated before it gets here; an attribute is never worth a failure.
    }
    const trunk = trunkForSource(this.trunks.current.trunks, origin.replyIp);
    if (trunk !== undefined) attrs[ATTR_SIP_TRUNK] = trunk.name;
    return attrs;
  }

  private clientSpan(tracer: Tracer, parent: Span, req: SipRequest, target: Target, hop: Hop): Span {
    const span = startChildSpan(tracer, sipSpanName(req.method), SpanKind.CLIENT, trace.setSpan(ROOT_CONTEXT, parent), () => {
      const attrs: Attributes = {
        [ATTR_SIP_METHOD]: req.method,
        [ATTR_SIP_TARGET]: target.requestUri !== "" ? target.requestUri : req.uriText,
        [ATTR_SIPFLEET_EDGE_ID]: this.edgeId,
        [ATTR_NETWORK_PEER_ADDRESS]: hop.ip,
        [ATTR_NETWORK_PEER_PORT]: hop.port,
        [ATTR_SIP_TRANSPORT]: transportName(hop.link.transport),
        [ATTR_NETWORK_TRANSPORT]: networkTransport(hop.link),
      };
      if (target.trunk !== "") attrs[ATTR_SIP_TRUNK] = target.trunk;
      return attrs;
    });
    // The trunk a request goes to is the server span's business too (a call toward a carrier).
    if (target.trunk !== "" && parent.isRecording()) parent.setAttribute(ATTR_SIP_TRUNK, target.trunk);
    return span;
  }
}

function networkTransport(link: Link): string {
  return link.reliable ? "tcp" : "udp";
}

function hasToTag(req: SipRequest): boolean {
  try {
    return req.to.tag !== undefined;
  } catch {
    return true;
  }
}
