import { CallEvent, CallEvent_Kind } from "@sipfleet/proto";
import type { CallEventFilter, CallEventSink, CallEventStats, StoredCallEvent } from "./call-event-sink.js";
import { callEventProblem, matchesFilter, newCallEventId } from "./event-check.js";
import { CONSOLE_CALL_EVENTS_LOGGER, type CallEventsLogger } from "./logger.js";
import { ThrottledWarning } from "./throttled-log.js";
import type { EndedCallHandler, EndedCalls, EndedCallsSubscription } from "./ended-calls.js";

export interface MemoryCallEventsOptions {
  /** How many events are kept; the oldest goes when a new one comes. */
  capacity: number;
  logger: CallEventsLogger;
}

export const DEFAULT_MEMORY_CALL_EVENTS_OPTIONS: MemoryCallEventsOptions = {
  capacity: 10_000,
  logger: CONSOLE_CALL_EVENTS_LOGGER,
};

/**
 * The sink of the embedded single-process mode: keeps the last `capacity` events in a ring, for
 * tests and the admin API to read. Stores synchronously, so nothing is ever in flight. Like the
 * stream, it stores an event id once: a re-emitted id still in the ring counts as a duplicate.
 */
export class MemoryCallEvents implements CallEventSink, EndedCalls {
  readonly #capacity: number;
  readonly #logger: CallEventsLogger;
  readonly #ring: (StoredCallEvent | undefined)[];
  /** Index of the oldest kept event in #ring. */
  #head = 0;
  #size = 0;
  #nextSeq = 1;
  readonly #ids = new Set<string>();
  #closed = false;
  readonly #invalidWarning: ThrottledWarning;
  readonly #counts = { emitted: 0, stored: 0, duplicates: 0, dropped: 0, invalid: 0 };

  readonly #endedHandlers = new Set<EndedCallHandler>();

  constructor(options: Partial<MemoryCallEventsOptions> = {}) {
    const capacity = options.capacity ?? DEFAULT_MEMORY_CALL_EVENTS_OPTIONS.capacity;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`MemoryCallEvents capacity must be a positive integer, not ${capacity}`);
    this.#capacity = capacity;
    this.#logger = options.logger ?? DEFAULT_MEMORY_CALL_EVENTS_OPTIONS.logger;
    this.#ring = new Array<StoredCallEvent | undefined>(capacity);
    this.#invalidWarning = new ThrottledWarning(this.#logger, "malformed call event not stored", 5_000);
  }

  emit(event: CallEvent): void {
    if (this.#closed) {
      this.#counts.dropped++;
      return;
    }
    let copy: CallEvent;
    try {
      const problem = callEventProblem(event);
      if (problem !== undefined) {
        this.#counts.invalid++;
        this.#invalidWarning.warn({ problem, callId: event.callId, kind: event.kind });
        return;
      }
      // A copy: the caller may reuse its object.
      copy = CallEvent.fromPartial(event);
    } catch (err) {
      this.#counts.invalid++;
      this.#invalidWarning.warn({ problem: String(err) });
      return;
    }
    if (copy.eventId === "") copy.eventId = newCallEventId();
    this.#counts.emitted++;
    if (this.#ids.has(copy.eventId)) {
      this.#counts.duplicates++;
      return;
    }
    this.#keep({ seq: this.#nextSeq++, storedAtMs: Date.now(), event: copy });
    this.#counts.stored++;
    if (copy.kind === CallEvent_Kind.KIND_ENDED) this.#deliverEnded(copy);
  }

  /**
   * Every ENDED event stored from now on, to each handler (EndedCalls: in one process the group
   * has one member), after `emit` has returned: the SIP path never waits for a handler.
   */
  subscribe(handler: EndedCallHandler): EndedCallsSubscription {
    this.#endedHandlers.add(handler);
    return {
      stop: async () => {
        this.#endedHandlers.delete(handler);
      },
    };
  }

  #deliverEnded(event: CallEvent): void {
    for (const handler of this.#endedHandlers) {
      queueMicrotask(() => {
        handler(event).catch((err: unknown) => this.#logger.warn({ err, callId: event.callId }, "ended-call handler failed"));
      });
    }
  }

  /** Kept events that pass the filter, the oldest first. The objects are the store's: do not change them. */
  read(filter: CallEventFilter = {}): StoredCallEvent[] {
    const out: StoredCallEvent[] = [];
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#size && out.length < limit; i++) {
      const stored = this.#ring[(this.#head + i) % this.#capacity] as StoredCallEvent;
      if (matchesFilter(stored, filter)) out.push(stored);
    }
    return out;
  }

  /** The newest kept ANSWERED event of this call, if still in the ring (a copy). */
  lookupAnswered(callId: string, callerTag: string): Promise<CallEvent | undefined> {
    for (let i = this.#size - 1; i >= 0; i--) {
      const { event } = this.#ring[(this.#head + i) % this.#capacity] as StoredCallEvent;
      if (event.kind === CallEvent_Kind.KIND_ANSWERED && event.callId === callId && event.fromTag === callerTag) return Promise.resolve(CallEvent.fromPartial(event));
    }
    return Promise.resolve(undefined);
  }

  /** How many events are kept now (at most `capacity`). */
  get size(): number {
    return this.#size;
  }

  stats(): CallEventStats {
    return { ...this.#counts, failed: 0, retries: 0, inFlight: 0 };
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #keep(stored: StoredCallEvent): void {
    if (this.#size === this.#capacity) {
      const oldest = this.#ring[this.#head] as StoredCallEvent;
      this.#ids.delete(oldest.event.eventId);
      this.#ring[this.#head] = stored;
      this.#head = (this.#head + 1) % this.#capacity;
    } else {
      this.#ring[(this.#head + this.#size) % this.#capacity] = stored;
      this.#size++;
    }
    this.#ids.add(stored.event.eventId);
  }
}
