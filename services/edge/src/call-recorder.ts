import type { CallEventSink } from "@sipfleet/call-events/memory";
import { CallEvent, CallEvent_Ending, CallEvent_Kind, CallEvent_Party, type Flow } from "@sipfleet/proto";
import { ownText, type SipRequest, type SipResponse } from "@sipfleet/sip";
import type { EdgeLogger } from "./logger.js";

/** What the forking proxy tells about the calls it forwards. */
export interface CallObserver {
  /** An out-of-dialog INVITE was forwarded (a call attempt). */
  attempted(invite: SipRequest, callerFlow: Flow | undefined): void;
  /** The first 2xx of an attempt went upstream. */
  answered(invite: SipRequest, res: SipResponse): void;
  /** An attempt ended without an answer: its final response (or the edge's stand-in) went upstream. */
  failed(invite: SipRequest, status: number, reason: string, cancelledByCaller: boolean): void;
  /** A BYE was answered: the dialog it belongs to is over. */
  ended(bye: SipRequest, status: number): void;
}

/** Answered calls remembered for the duration of their ENDED event; bounded so it cannot grow. */
const MAX_DIALOGS = 100_000;
/** A dialog not ended after this long is forgotten (its ENDED then carries no answer time). */
const DIALOG_TTL_MS = 24 * 3600_000;
/**
 * Lookups of other edges' ANSWERED events under way at most; an ENDED beyond it is emitted with
 * what this edge saw. Each lookup is bounded in time by the sink, so this bounds the memory a slow
 * store can take.
 */
const MAX_LOOKUPS = 1_000;

interface Attempt {
  readonly attemptedAtMs: number;
  answeredAtMs: number;
  /** The INVITE's final response once answered: what the ENDED of a BYE reports (not the BYE's). */
  status: number;
  reason: string;
  readonly callerTag: string;
  readonly base: Partial<CallEvent>;
}

/**
 * Turns what the forking proxy sees into call events (ATTEMPTED, ANSWERED, ENDED) for a
 * CallEventSink: JetStream in a cluster, memory in one process. A call's BYE may pass through
 * another edge than its INVITE (any edge can receive anything). The edge that carried the INVITE
 * remembers the call; another edge that sees the BYE asks the sink for the call's ANSWERED event
 * (`lookupAnswered`, by Call-ID and the caller's tag, which is the BYE's From tag when the caller
 * hangs up and its To tag when the callee does), and fills the ENDED from it. Only when that finds
 * nothing (no lookup in the sink, a timeout, the event aged out) does the ENDED carry just what the
 * ending edge saw: the end time, no answer time, no duration, who hung up unknown.
 */
export class CallRecorder implements CallObserver {
  private readonly calls = new Map<string, Attempt>();
  private readonly lookups = new Set<Promise<void>>();

  constructor(
    private readonly sink: CallEventSink,
    private readonly edgeId: string,
    private readonly now: () => number = Date.now,
    private readonly logger: Pick<EdgeLogger, "debug" | "error"> = { error: () => {} },
  ) {}

  /** Resolves once every ENDED waiting for a lookup has been emitted (before closing the sink). */
  async settled(): Promise<void> {
    while (this.lookups.size > 0) await Promise.allSettled([...this.lookups]);
  }

  attempted(invite: SipRequest, callerFlow: Flow | undefined): void {
    const at = this.now();
    const from = invite.from;
    // Kept until the call ends (minutes): own copies, not views of the INVITE's text (ownText).
    const callerTag = ownText(from.tag ?? "");
    const base: Partial<CallEvent> = {
      callId: ownText(invite.callId),
      inviteCseq: invite.cseq.seq,
      fromUri: ownText(from.uriText),
      fromTag: callerTag,
      toUri: ownText(invite.to.uriText),
      requestUri: ownText(invite.uriText),
      callerFlow,
      edgeId: this.edgeId,
      attemptedAtMs: at,
    };
    this.remember(key(base.callId ?? "", callerTag), { attemptedAtMs: at, answeredAtMs: 0, status: 0, reason: "", callerTag, base });
    this.emit({ ...base, kind: CallEvent_Kind.KIND_ATTEMPTED });
  }

  answered(invite: SipRequest, res: SipResponse): void {
    const a = this.calls.get(key(invite.callId, invite.from.tag));
    if (a === undefined) return;
    a.answeredAtMs = this.now();
    a.status = res.status;
    a.reason = ownText(res.reason);
    this.emit({ ...a.base, kind: CallEvent_Kind.KIND_ANSWERED, toTag: res.to.tag ?? "", answeredAtMs: a.answeredAtMs, statusCode: res.status, reason: a.reason });
  }

  failed(invite: SipRequest, status: number, reason: string, cancelledByCaller: boolean): void {
    const k = key(invite.callId, invite.from.tag);
    const a = this.calls.get(k);
    if (a === undefined) return;
    this.calls.delete(k);
    this.emit({
      ...a.base,
      kind: CallEvent_Kind.KIND_ENDED,
      endedAtMs: this.now(),
      statusCode: status,
      reason,
      endedBy: CallEvent_Party.PARTY_NONE,
      ending: cancelledByCaller ? CallEvent_Ending.ENDING_CANCEL : status === 408 ? CallEvent_Ending.ENDING_TIMEOUT : CallEvent_Ending.ENDING_FAILED,
    });
  }

  ended(bye: SipRequest, status: number): void {
    const at = this.now();
    const fromTag = bye.from.tag ?? "";
    const toTag = bye.to.tag ?? "";
    // The caller's BYE carries the caller's tag in From; the callee's carries it in To.
    const byCaller = this.calls.get(key(bye.callId, fromTag));
    const a = byCaller ?? this.calls.get(key(bye.callId, toTag));
    if (a !== undefined) {
      this.calls.delete(key(bye.callId, a.callerTag));
      this.emit({
        ...a.base,
        kind: CallEvent_Kind.KIND_ENDED,
        toTag: byCaller !== undefined ? toTag : fromTag,
        answeredAtMs: a.answeredAtMs,
        endedAtMs: at,
        // The INVITE's final response, as the ENDED of a call answered elsewhere reports it too.
        statusCode: a.status || status,
        reason: a.reason,
        endedBy: byCaller !== undefined ? CallEvent_Party.PARTY_CALLER : CallEvent_Party.PARTY_CALLEE,
        ending: CallEvent_Ending.ENDING_BYE,
        durationMs: a.answeredAtMs > 0 ? at - a.answeredAtMs : 0,
      });
      return;
    }
    const lookup = this.sink.lookupAnswered?.bind(this.sink);
    if (lookup === undefined || this.lookups.size >= MAX_LOOKUPS) {
      if (lookup !== undefined) this.logger.debug?.({ callId: bye.callId, lookups: this.lookups.size }, "call ended through this edge: too many lookups under way, ENDED without its answer");
      this.emitUnresolved(bye, status, at);
      return;
    }
    const p: Promise<void> = this.endFromStore(bye, status, at, lookup)
      .catch((err: unknown) => this.logger.error({ err, callId: bye.callId }, "call ENDED event lost: lookup failed unexpectedly"))
      .finally(() => this.lookups.delete(p));
    this.lookups.add(p);
  }

  /** The ENDED of a call answered through another edge, from that edge's ANSWERED event. */
  private async endFromStore(bye: SipRequest, status: number, at: number, lookup: NonNullable<CallEventSink["lookupAnswered"]>): Promise<void> {
    const fromTag = bye.from.tag ?? "";
    const toTag = bye.to.tag ?? "";
    const [asCaller, asCallee] = await Promise.all([lookup(bye.callId, fromTag), toTag === "" ? undefined : lookup(bye.callId, toTag)]);
    const answered = asCaller ?? asCallee;
    if (answered === undefined) {
      this.logger.debug?.({ callId: bye.callId }, "call ended through this edge: its ANSWERED event not found, ENDED without its answer");
      this.emitUnresolved(bye, status, at);
      return;
    }
    this.emit({
      callId: answered.callId,
      inviteCseq: answered.inviteCseq,
      fromUri: answered.fromUri,
      fromTag: answered.fromTag,
      toUri: answered.toUri,
      toTag: answered.toTag,
      requestUri: answered.requestUri,
      authenticatedUser: answered.authenticatedUser,
      callerFlow: answered.callerFlow,
      calleeFlow: answered.calleeFlow,
      attemptedAtMs: answered.attemptedAtMs,
      answeredAtMs: answered.answeredAtMs,
      // The INVITE's final response, as for a call this edge carried (the BYE's own status is not it).
      statusCode: answered.statusCode,
      reason: answered.reason,
      edgeId: this.edgeId,
      kind: CallEvent_Kind.KIND_ENDED,
      endedAtMs: at,
      endedBy: asCaller !== undefined ? CallEvent_Party.PARTY_CALLER : CallEvent_Party.PARTY_CALLEE,
      ending: CallEvent_Ending.ENDING_BYE,
      // The answer was timed by another edge's clock: a skew must not make a negative duration.
      durationMs: answered.answeredAtMs > 0 ? Math.max(0, at - answered.answeredAtMs) : 0,
    });
  }

  /** The ENDED of a call nothing is known about but its BYE: who hung up and the answer unknown. */
  private emitUnresolved(bye: SipRequest, status: number, at: number): void {
    this.emit({
      callId: bye.callId,
      edgeId: this.edgeId,
      fromUri: bye.from.uriText,
      fromTag: bye.from.tag ?? "",
      toUri: bye.to.uriText,
      toTag: bye.to.tag ?? "",
      kind: CallEvent_Kind.KIND_ENDED,
      endedAtMs: at,
      statusCode: status,
      endedBy: CallEvent_Party.PARTY_UNSPECIFIED,
      ending: CallEvent_Ending.ENDING_BYE,
    });
  }

  private remember(k: string, a: Attempt): void {
    if (this.calls.size >= MAX_DIALOGS) this.forgetOld();
    this.calls.set(k, a);
  }

  /**
   * The map is in insertion order, which is attempt order: the oldest go first, and the scan stops
   * at the first one still within its TTL once there is room, not at the end of 100k entries.
   */
  private forgetOld(): void {
    const cutoff = this.now() - DIALOG_TTL_MS;
    for (const [k, a] of this.calls) {
      if (a.attemptedAtMs >= cutoff && this.calls.size < MAX_DIALOGS) break;
      this.calls.delete(k);
    }
  }

  private emit(e: Partial<CallEvent>): void {
    this.sink.emit(CallEvent.fromPartial(e));
  }
}

function key(callId: string, fromTag: string | undefined): string {
  return `${callId}\n${fromTag ?? ""}`;
}
