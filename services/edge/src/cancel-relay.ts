import type { Bus, BusMessage, BusSubscription } from "@sipfleet/bus";
import { CancelRelay, CancelResult, EDGE_CANCEL_SUBJECT, edgeCancelQueue, type Flow } from "@sipfleet/proto";
import { parseMessage, type SipRequest } from "@sipfleet/sip";
import type { EdgeCounters } from "./edge-stats.js";
import { safeCallId, type EdgeLogger } from "./logger.js";

/** What the edge that holds the INVITE did with a CANCEL another edge received. */
export interface CancelMatch {
  /** The To tag of the INVITE's last response (§9.2: the CANCEL's 200 carries the same). */
  readonly toTag: string | undefined;
}

/** The edge's side of a relayed CANCEL: match it against the local INVITE server transactions. */
export interface CancelTarget {
  /**
   * Cancels the INVITE server transaction `cancel` matches (RFC 3261 §9.2) as a local CANCEL
   * would; undefined when none here does.
   */
  cancelInvite(cancel: SipRequest): CancelMatch | undefined;
}

/**
 * Any edge can receive anything: a load balancer may send the caller's CANCEL to another edge
 * than the one that holds its INVITE. A CANCEL that matched nothing locally is asked of every
 * edge at once (each serves `EDGE_CANCEL_SUBJECT` in a queue group of its own); the edge holding
 * the INVITE cancels it and answers, the others stay silent. The CANCEL's own transaction stays
 * with the edge that received it (hop by hop, §9.2), which answers 200 or, when nobody claims it
 * within `timeoutMs` or the bus is down, 481.
 */
export class EdgeCancelRelay {
  private subscription: BusSubscription | undefined;
  /** Relayed CANCELs awaiting their answer. */
  inFlight = 0;

  constructor(
    private readonly bus: Bus,
    private readonly edgeId: string,
    private readonly timeoutMs: number,
    private readonly target: CancelTarget,
    private readonly counters: EdgeCounters,
    private readonly logger: EdgeLogger,
  ) {}

  start(): void {
    this.subscription ??= this.bus.serve(EDGE_CANCEL_SUBJECT, edgeCancelQueue(this.edgeId), (m) => this.onCancel(m));
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  /**
   * Asks the other edges to cancel the INVITE `cancel` targets. Resolves with what the edge that
   * holds it did, or undefined when no edge claimed it in time (or the bus is down): never rejects.
   */
  async ask(cancel: SipRequest, flow: Flow): Promise<CancelMatch | undefined> {
    this.inFlight++;
    try {
      const data = CancelRelay.encode({ cancel: cancel.bytes, flow, senderEdgeId: this.edgeId }).finish();
      const result = CancelResult.decode(await this.bus.request(EDGE_CANCEL_SUBJECT, data, { timeoutMs: this.timeoutMs }));
      if (!result.matched) return undefined;
      return { toTag: result.toTag === "" ? undefined : result.toTag };
    } catch (e) {
      // A timeout is the usual "nobody holds it"; no responders or a bus outage end the same way.
      this.logger.debug?.({ err: e, callId: safeCallId(cancel) }, "relayed CANCEL not claimed");
      return undefined;
    } finally {
      this.inFlight--;
    }
  }

  /** Another edge's CANCEL: answered only when the INVITE is here. Never throws into the bus. */
  private onCancel(m: BusMessage): Uint8Array | undefined {
    let relay: CancelRelay;
    let cancel: SipRequest;
    try {
      relay = CancelRelay.decode(m.data);
      // The asker found no match of its own: its broadcast is not for itself.
      if (relay.senderEdgeId === this.edgeId) return undefined;
      const parsed = parseMessage(Buffer.from(relay.cancel.buffer, relay.cancel.byteOffset, relay.cancel.byteLength));
      if (!parsed.isRequest || parsed.method !== "CANCEL") return this.drop("relayed CANCEL is not a CANCEL request", parsed.isRequest ? parsed.method : "response");
      cancel = parsed;
    } catch (e) {
      // Undecodable protobuf or unparsable SIP: whatever another edge sent, it is not answered.
      return this.drop("unusable relayed CANCEL", errorMessage(e));
    }
    let match: CancelMatch | undefined;
    try {
      match = this.target.cancelInvite(cancel);
    } catch (e) {
      // Malformed headers the parser left for later (Via, Call-ID): no transaction matches them.
      return this.drop("relayed CANCEL could not be matched", errorMessage(e));
    }
    if (match === undefined) return undefined;
    this.logger.debug?.({ callId: safeCallId(cancel), from: relay.senderEdgeId, connection: relay.flow?.connectionId }, "relayed CANCEL matched");
    return CancelResult.encode({ matched: true, toTag: match.toTag ?? "" }).finish();
  }

  private drop(what: string, reason: string): undefined {
    this.counters.dropped++;
    this.logger.debug?.({ reason }, `${what}: dropped`);
    return undefined;
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
