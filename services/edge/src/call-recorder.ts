import type { CallEventSink } from "@sipfleet/call-events/memory";
import { CallEvent, CallEvent_Ending, CallEvent_Kind, CallEvent_Party, type Flow } from "@sipfleet/proto";
import type { SipRequest, SipResponse } from "@sipfleet/sip";

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

interface Attempt {
  readonly attemptedAtMs: number;
  answeredAtMs: number;
  readonly callerTag: string;
  readonly base: Partial<CallEvent>;
}

/**
 * Turns what the forking proxy sees into call events (ATTEMPTED, ANSWERED, ENDED) for a
 * CallEventSink: JetStream in a cluster, memory in one process. A call's BYE may pass through
 * another edge than its INVITE (any edge can receive anything): that edge emits the ENDED with
 * what it has, the end time and who hung up relative to the BYE's tags, and the answer time and
 * duration only when the call was answered through it. CDR consumers join ANSWERED and ENDED
 * by Call-ID when the ENDED carries no answer time.
 */
export class CallRecorder implements CallObserver {
  private readonly calls = new Map<string, Attempt>();

  constructor(
    private readonly sink: CallEventSink,
    private readonly edgeId: string,
    private readonly now: () => number = Date.now,
  ) {}

  attempted(invite: SipRequest, callerFlow: Flow | undefined): void {
    const at = this.now();
    const from = invite.from;
    const base: Partial<CallEvent> = {
      callId: invite.callId,
      inviteCseq: invite.cseq.seq,
      fromUri: from.uriText,
      fromTag: from.tag ?? "",
      toUri: invite.to.uriText,
      requestUri: invite.uriText,
      callerFlow,
      edgeId: this.edgeId,
      attemptedAtMs: at,
    };
    this.remember(key(invite.callId, from.tag), { attemptedAtMs: at, answeredAtMs: 0, callerTag: from.tag ?? "", base });
    this.emit({ ...base, kind: CallEvent_Kind.KIND_ATTEMPTED });
  }

  answered(invite: SipRequest, res: SipResponse): void {
    const a = this.calls.get(key(invite.callId, invite.from.tag));
    if (a === undefined) return;
    a.answeredAtMs = this.now();
    this.emit({ ...a.base, kind: CallEvent_Kind.KIND_ANSWERED, toTag: res.to.tag ?? "", answeredAtMs: a.answeredAtMs, statusCode: res.status, reason: res.reason });
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
    if (a !== undefined) this.calls.delete(key(bye.callId, a.callerTag));
    const endedBy = a === undefined ? CallEvent_Party.PARTY_UNSPECIFIED : byCaller !== undefined ? CallEvent_Party.PARTY_CALLER : CallEvent_Party.PARTY_CALLEE;
    const answeredAtMs = a?.answeredAtMs ?? 0;
    this.emit({
      ...(a?.base ?? { callId: bye.callId, edgeId: this.edgeId, fromUri: bye.from.uriText, fromTag, toUri: bye.to.uriText }),
      kind: CallEvent_Kind.KIND_ENDED,
      toTag: a === undefined ? toTag : byCaller !== undefined ? toTag : fromTag,
      answeredAtMs,
      endedAtMs: at,
      statusCode: status,
      endedBy,
      ending: CallEvent_Ending.ENDING_BYE,
      durationMs: answeredAtMs > 0 ? at - answeredAtMs : 0,
    });
  }

  private remember(k: string, a: Attempt): void {
    if (this.calls.size >= MAX_DIALOGS) this.forgetOld();
    this.calls.set(k, a);
  }

  private forgetOld(): void {
    const cutoff = this.now() - DIALOG_TTL_MS;
    for (const [k, a] of this.calls) if (a.attemptedAtMs < cutoff || this.calls.size >= MAX_DIALOGS) this.calls.delete(k);
  }

  private emit(e: Partial<CallEvent>): void {
    this.sink.emit(CallEvent.fromPartial(e));
  }
}

function key(callId: string, fromTag: string | undefined): string {
  return `${callId}\n${fromTag ?? ""}`;
}
