import type { CallEvent, CallEvent_Kind } from "@sipfleet/proto";

/**
 * Where the edge emits call events. `emit` is called on the SIP path, so it never throws and
 * never waits: the event is queued for storage, or dropped and counted (overload, a closed sink,
 * a malformed event), and the sink logs what it lost. Losing a call event never fails a call.
 */
export interface CallEventSink {
  /**
   * Stores the event, in the background. An empty `eventId` is replaced by a fresh one
   * (`newCallEventId()`); the caller may change or reuse its object once this returns.
   */
  emit(event: CallEvent): void;
  /** Counters since the sink was made, and what is in flight now. */
  stats(): CallEventStats;
  /** Refuses further events (counted as dropped) and resolves once those in flight are settled. */
  close(): Promise<void>;
  /**
   * The stored ANSWERED event of the call with this Call-ID and caller's From tag (the last one,
   * should there be several), or undefined when there is none. An edge that ends a call whose
   * INVITE passed through another edge asks this to make its ENDED whole. Bounded in time by the
   * sink: resolves undefined on a timeout or an unreachable store (the caller cannot tell "not
   * found" from "could not look", and does the same in both cases); never rejects. Optional: a
   * sink without it leaves such ENDED events with what the ending edge saw.
   */
  lookupAnswered?(callId: string, callerTag: string): Promise<CallEvent | undefined>;
}

/**
 * Counters of a sink. Every event accepted by `emit` ends as exactly one of stored, duplicate or
 * failed, or is still in flight: `emitted = stored + duplicates + failed + inFlight`.
 */
export interface CallEventStats {
  /** Events accepted by `emit()`. */
  readonly emitted: number;
  /** Stored: acknowledged by the stream as new (memory: kept). */
  readonly stored: number;
  /** Acknowledged as a duplicate of an event id the stream already had: a retry whose earlier attempt got through. */
  readonly duplicates: number;
  /** Given up: no acknowledgement within the retry window, or still unacknowledged at `close()`. */
  readonly failed: number;
  /** Refused by `emit()` because the in-flight bound was reached (overload) or the sink was closed. */
  readonly dropped: number;
  /** Refused by `emit()` as malformed (no kind, no Call-ID, an unusable event id): a bug in the emitter. */
  readonly invalid: number;
  /** Publish attempts after the first. */
  readonly retries: number;
  /** Accepted and not yet settled. */
  readonly inFlight: number;
}

/** A call event as kept by a store, with where and when it was kept. */
export interface StoredCallEvent {
  /** Position in the store (JetStream: the stream sequence; memory: a counter from 1). */
  readonly seq: number;
  /** Unix ms at which the store kept it (JetStream: the server's timestamp). */
  readonly storedAtMs: number;
  readonly event: CallEvent;
}

/** Which stored events to read. Every condition given must hold. */
export interface CallEventFilter {
  /** Stored at or after this unix ms. */
  since?: number;
  callId?: string;
  kind?: CallEvent_Kind;
  /** At most this many, the oldest first. */
  limit?: number;
}
