import type { Bus, BusMessage, BusSubscription } from "@sipfleet/bus";
import { edgeSubject, Envelope, FlowFailed, SendOnFlow } from "@sipfleet/proto";
import { parseMessage, SipError, type SipResponse } from "@sipfleet/sip";
import type { EdgeCounters } from "./edge-stats.js";
import type { LocalLinks } from "./flow-links.js";
import type { EdgeLogger } from "./logger.js";

/** What the relay hands on to the edge's proxy core. */
export interface RelayTarget {
  /** A response for one of this edge's client transactions, received by another edge. */
  receiveResponse(res: SipResponse): void;
  /** A flow this edge sent on through another edge is gone. */
  flowFailed(branch: string): void;
}

/**
 * Architecture invariant 1, the receiving side: what other edges send this one on
 * `edge.<id>.*`. `send`: bytes to write on a flow this edge owns (a request for a UA registered
 * here, sent by the edge that runs the transaction); `response`: a response that reached another
 * edge but whose Via branch names this one; `flow-failed`: a flow this edge asked another to use
 * is gone. And the sending side of responses: `relayResponse` publishes to the owner.
 */
export class EdgeRelay {
  private readonly subscriptions: BusSubscription[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly edgeId: string,
    private readonly links: LocalLinks,
    private readonly target: RelayTarget,
    private readonly counters: EdgeCounters,
    private readonly logger: EdgeLogger,
  ) {}

  start(): void {
    this.subscriptions.push(
      this.bus.subscribe(edgeSubject(this.edgeId, "send"), (m) => this.guard(m, () => this.onSend(m))),
      this.bus.subscribe(edgeSubject(this.edgeId, "response"), (m) => this.guard(m, () => this.onResponse(m))),
      this.bus.subscribe(edgeSubject(this.edgeId, "flow-failed"), (m) => this.guard(m, () => this.onFlowFailed(m))),
    );
  }

  stop(): void {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
  }

  /**
   * Sends a response to the edge that owns its client transaction. Only the message travels: the
   * owner hands it to its transaction, which never asks where a response came from.
   */
  relayResponse(owner: string, res: SipResponse): void {
    this.bus.publish(edgeSubject(owner, "response"), Envelope.encode({ message: res.bytes, flow: undefined, receivedAtMs: 0, tlsPeerNames: [] }).finish());
  }

  private onSend(m: BusMessage): void {
    const msg = SendOnFlow.decode(m.data);
    const flow = msg.flow;
    const hop = flow === undefined ? undefined : this.links.hopFor(flow);
    if (hop !== undefined) {
      try {
        hop.link.send(Buffer.from(msg.message.buffer, msg.message.byteOffset, msg.message.byteLength), hop.ip, hop.port);
        return;
      } catch (e) {
        this.logger.debug?.({ err: e, connection: flow?.connectionId }, "relayed message not sent");
      }
    }
    // RFC 5626 §5.3: the flow is gone; the sender's branch fails with 430 Flow Failed.
    if (msg.senderEdgeId !== "") {
      this.bus.publish(edgeSubject(msg.senderEdgeId, "flow-failed"), FlowFailed.encode({ flow, branch: msg.branch }).finish());
    }
  }

  private onResponse(m: BusMessage): void {
    const env = Envelope.decode(m.data);
    let res;
    try {
      res = parseMessage(Buffer.from(env.message.buffer, env.message.byteOffset, env.message.byteLength));
    } catch (e) {
      if (e instanceof SipError) return this.drop("unparsable relayed response", e.message);
      throw e;
    }
    if (res.isRequest) return this.drop("relayed request on the response subject", res.method);
    this.target.receiveResponse(res);
  }

  private onFlowFailed(m: BusMessage): void {
    this.target.flowFailed(FlowFailed.decode(m.data).branch);
  }

  /** Nothing another edge sends may throw out of a bus callback. */
  private guard(m: BusMessage, handle: () => void): void {
    try {
      handle();
    } catch (e) {
      this.counters.dropped++;
      this.logger.warn({ err: e, subject: m.subject }, "relayed message dropped");
    }
  }

  private drop(what: string, reason: string): void {
    this.counters.dropped++;
    this.logger.debug?.({ reason }, `${what} dropped`);
  }
}
