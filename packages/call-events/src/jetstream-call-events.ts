import { CallEvent, callEventSubject } from "@sipfleet/proto";
import { BusClosedError, BusNoRespondersError, withDefaults, type Bus } from "@sipfleet/bus";
import type { JetStreamClient, JetStreamManager, NatsConnection, PubAck } from "nats";
import type { CallEventSink, CallEventStats } from "./call-event-sink.js";
import { DEFAULT_CALL_EVENT_STREAM_OPTIONS, ensureCallEventStream, type CallEventStreamOptions } from "./call-event-stream.js";
import { CallEventsError, errorMessage, jetStreamErrorCode, natsErrorCode } from "./errors.js";
import { callEventProblem, newCallEventId, subjectForEvent } from "./event-check.js";
import { CONSOLE_CALL_EVENTS_LOGGER, type CallEventsLogger } from "./logger.js";
import { ThrottledWarning } from "./throttled-log.js";

/** Decodes the stream's acknowledgements; one for the module, not one per publish. */
const UTF8 = new TextDecoder();

export interface JetStreamCallEventsOptions extends CallEventStreamOptions {
  logger: CallEventsLogger;
  /**
   * Publishes awaiting their acknowledgement at most; `emit` drops (and counts) beyond it. Bounds
   * the memory an outage can take: at most this many events wait for NATS to come back.
   */
  maxInFlight: number;
  /** How long one publish attempt waits for the stream's acknowledgement. */
  ackTimeoutMs: number;
  /** Pause between attempts of one event. */
  retryDelayMs: number;
  /**
   * An event is retried (with the same Nats-Msg-Id, so at most one copy is stored) until this long
   * after it was emitted, then counted as failed. Must end inside the stream's duplicate window:
   * `retryForMs + ackTimeoutMs <= duplicateWindowMs`.
   */
  retryForMs: number;
  /**
   * How long `lookupAnswered` waits for the stream's answer. Short: the ENDED event it completes
   * waits for it (the BYE does not).
   */
  lookupTimeoutMs: number;
  /**
   * The service's bus on the same connection, if it has one: each publish then goes as a bus
   * request over the bus's one shared reply inbox instead of through nats.js's JetStream client,
   * whose per-request machinery costs about twice as much CPU (hop-costs.md), three times per call.
   */
  bus: Pick<Bus, "request"> | undefined;
}

export const DEFAULT_JETSTREAM_CALL_EVENTS_OPTIONS: JetStreamCallEventsOptions = {
  ...DEFAULT_CALL_EVENT_STREAM_OPTIONS,
  logger: CONSOLE_CALL_EVENTS_LOGGER,
  maxInFlight: 1_000,
  ackTimeoutMs: 5_000,
  retryDelayMs: 500,
  retryForMs: 60_000,
  lookupTimeoutMs: 500,
  bus: undefined,
};

/** One accepted event on its way to the stream. */
interface Outgoing {
  readonly subject: string;
  readonly eventId: string;
  readonly callId: string;
  readonly data: Uint8Array;
  readonly deadline: number;
}

/**
 * The call-event sink of cluster mode: publishes each event to JetStream (stream SIPFLEET_CALLS by
 * default) with its event id as Nats-Msg-Id, waits for the stream's acknowledgement, and retries
 * an unacknowledged event until `retryForMs` — the id makes a retry whose earlier attempt did get
 * through a duplicate the stream stores once. It rides on a connection the service already holds
 * (`NatsBus.connection`), which reconnects by itself; while it is down, attempts wait for it.
 *
 * nats.js discards what it had buffered for a broken connection, so an event published during an
 * outage is stored only by a retry after the reconnect: the in-flight bound is what the sink holds
 * through an outage, and `retryForMs` how long.
 */
export class JetStreamCallEvents implements CallEventSink {
  /**
   * Makes sure the stream exists with the configured settings (creating or updating it), then
   * returns a sink ready to emit. Rejects with CallEventsError when the settings are inconsistent,
   * JetStream is not enabled or not reachable, or the stream cannot be set up.
   */
  static async start(nc: NatsConnection, options: Partial<JetStreamCallEventsOptions> = {}): Promise<JetStreamCallEvents> {
    const opts = withDefaults(DEFAULT_JETSTREAM_CALL_EVENTS_OPTIONS, options);
    checkOptions(opts);
    let jsm: JetStreamManager;
    try {
      jsm = await nc.jetstreamManager({ timeout: opts.ackTimeoutMs });
    } catch (err) {
      throw new CallEventsError(`JetStream is not available: ${errorMessage(err)}`, { cause: err });
    }
    const { setup, info } = await ensureCallEventStream(jsm, opts);
    opts.logger.info?.({ stream: opts.stream, subjects: info.config.subjects, setup, messages: info.state.messages }, "call event stream ready");
    // Its own manager for the lookup's shorter timeout; the API was checked just above.
    const lookups = await nc.jetstreamManager({ timeout: opts.lookupTimeoutMs, checkAPI: false });
    return new JetStreamCallEvents(nc, jsm, lookups, opts);
  }

  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #lookups: JetStreamManager;
  readonly #opts: JetStreamCallEventsOptions;
  readonly #logger: CallEventsLogger;
  readonly #counts = { emitted: 0, stored: 0, duplicates: 0, failed: 0, dropped: 0, invalid: 0, retries: 0 };
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;
  #connected = true;
  /** The connection is closed for good (its status stream ended). */
  #connectionClosed = false;
  /** Attempts pausing between tries; woken early by a reconnect or close(). */
  readonly #waiters = new Set<() => void>();
  /** Drops since the in-flight bound was last reached; reported when it clears. */
  #droppedInOverload = 0;
  /** A re-creation of the stream under way (at most one at a time). */
  #ensuring: Promise<void> | undefined;
  readonly #failedWarning: ThrottledWarning;
  readonly #invalidWarning: ThrottledWarning;
  readonly #streamWarning: ThrottledWarning;

  private constructor(nc: NatsConnection, jsm: JetStreamManager, lookups: JetStreamManager, opts: JetStreamCallEventsOptions) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#lookups = lookups;
    this.#js = nc.jetstream({ timeout: opts.ackTimeoutMs });
    this.#opts = opts;
    this.#logger = opts.logger;
    this.#failedWarning = new ThrottledWarning(this.#logger, "call event not stored: no acknowledgement within the retry window", 5_000);
    this.#invalidWarning = new ThrottledWarning(this.#logger, "malformed call event not published", 5_000);
    this.#streamWarning = new ThrottledWarning(this.#logger, "call event stream cannot be set up", 5_000);
    void this.#watchStatus();
  }

  emit(event: CallEvent): void {
    if (this.#closed) {
      this.#counts.dropped++;
      return;
    }
    if (this.#inFlight.size >= this.#opts.maxInFlight) {
      this.#counts.dropped++;
      if (this.#droppedInOverload++ === 0) {
        this.#logger.warn({ maxInFlight: this.#opts.maxInFlight, connected: this.#connected }, "call events dropped: too many publishes awaiting acknowledgement");
      }
      return;
    }
    let out: Outgoing;
    try {
      const problem = callEventProblem(event);
      if (problem !== undefined) {
        this.#counts.invalid++;
        this.#invalidWarning.warn({ problem, callId: event.callId, kind: event.kind });
        return;
      }
      const eventId = event.eventId === "" ? newCallEventId() : event.eventId;
      // Encoded now: a snapshot, so the caller may reuse its object.
      const data = CallEvent.encode(event.eventId === eventId ? event : { ...event, eventId }).finish();
      out = {
        subject: subjectForEvent(event, this.#opts.subjectPrefix) as string,
        eventId,
        callId: event.callId,
        data,
        deadline: Date.now() + this.#opts.retryForMs,
      };
    } catch (err) {
      this.#counts.invalid++;
      this.#invalidWarning.warn({ problem: errorMessage(err) });
      return;
    }
    this.#counts.emitted++;
    const p: Promise<void> = this.#deliver(out)
      .catch((err: unknown) => {
        // #deliver handles every failure it knows; this is a bug, still never the caller's problem.
        this.#counts.failed++;
        this.#logger.error({ err, eventId: out.eventId }, "call event publish failed unexpectedly");
      })
      .finally(() => this.#settled(p));
    this.#inFlight.add(p);
  }

  /**
   * The last message on the call's ANSWERED subject, by the stream's message-get API
   * (`last_by_subj`, one request, no consumer), within `lookupTimeoutMs`. Every failure (no such
   * message, timeout, no connection, a payload that does not decode) resolves undefined; all but
   * "no such message" are logged at debug.
   */
  async lookupAnswered(callId: string, callerTag: string): Promise<CallEvent | undefined> {
    const subject = callEventSubject("answered", callId, callerTag, this.#opts.subjectPrefix);
    try {
      const m = await this.#lookups.streams.getMessage(this.#opts.stream, { last_by_subj: subject });
      const e = CallEvent.decode(m.data);
      // The subject holds digests: the event itself says whether it is this call's.
      return e.callId === callId && e.fromTag === callerTag ? e : undefined;
    } catch (err) {
      // 10037: no message found.
      if (jetStreamErrorCode(err) !== 10037) this.#logger.debug?.({ callId, subject, err: errorMessage(err) }, "call event lookup failed");
      return undefined;
    }
  }

  stats(): CallEventStats {
    return { ...this.#counts, inFlight: this.#inFlight.size };
  }

  /**
   * Refuses new events, stops retrying, and resolves once every publish in flight has settled:
   * acknowledged, or failed its current attempt (within `ackTimeoutMs`). Does not close the
   * connection, which belongs to the caller.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#wakeAll();
    }
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(out: Outgoing): Promise<void> {
    for (let attempts = 1; ; attempts++) {
      let failure: unknown;
      try {
        const ack = await this.#publish(out);
        if (ack.duplicate) this.#counts.duplicates++;
        else this.#counts.stored++;
        return;
      } catch (err) {
        failure = err;
      }
      const code = failureCode(failure);
      if (code !== "CONNECTION_CLOSED" && !this.#closed) {
        // No stream captures the subject (deleted, or a server that lost its store): set it up again.
        if (code === "503") await this.#ensureStream();
        await this.#pause(this.#opts.retryDelayMs);
        // While disconnected an attempt would only be buffered and thrown away: wait for the reconnect.
        while (!this.#connected && !this.#connectionClosed && !this.#closed && Date.now() < out.deadline) await this.#pause(out.deadline - Date.now());
      }
      if (code === "CONNECTION_CLOSED" || this.#closed || this.#connectionClosed || Date.now() > out.deadline) {
        this.#counts.failed++;
        this.#failedWarning.warn({ eventId: out.eventId, callId: out.callId, subject: out.subject, attempts, err: errorMessage(failure) });
        return;
      }
      this.#counts.retries++;
    }
  }

  /** One attempt: the event to the stream, resolved with the stream's acknowledgement. */
  async #publish(out: Outgoing): Promise<Pick<PubAck, "duplicate">> {
    const bus = this.#opts.bus;
    if (bus === undefined) return this.#js.publish(out.subject, out.data, { msgID: out.eventId, timeout: this.#opts.ackTimeoutMs });
    // JetStream deduplicates on Nats-Msg-Id and answers on the reply subject with a PubAck
    // ({"stream","seq","duplicate"}) or an API error ({"error":{"code","description"}}).
    const reply = await bus.request(out.subject, out.data, { timeoutMs: this.#opts.ackTimeoutMs, headers: { "Nats-Msg-Id": out.eventId } });
    const ack = JSON.parse(UTF8.decode(reply)) as { duplicate?: boolean; error?: { code?: number; description?: string } };
    if (ack.error !== undefined) throw new CallEventsError(`stream refused the event: ${ack.error.description ?? "?"} (${ack.error.code ?? "?"})`);
    return { duplicate: ack.duplicate === true };
  }

  #settled(p: Promise<void>): void {
    this.#inFlight.delete(p);
    if (this.#droppedInOverload > 0 && this.#inFlight.size < this.#opts.maxInFlight) {
      this.#logger.warn({ dropped: this.#droppedInOverload }, "call events flowing again after drops");
      this.#droppedInOverload = 0;
    }
  }

  /** Waits `ms`, or less if the connection comes back or the sink closes. */
  #pause(ms: number): Promise<void> {
    if (this.#closed || this.#connectionClosed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  #wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  #ensureStream(): Promise<void> {
    this.#ensuring ??= ensureCallEventStream(this.#jsm, this.#opts)
      .then(({ setup }) => {
        if (setup !== "unchanged") this.#logger.warn({ stream: this.#opts.stream, setup }, "call event stream was missing or changed; set up again");
      })
      .catch((err: unknown) => this.#streamWarning.warn({ err: errorMessage(err), stream: this.#opts.stream }))
      .finally(() => (this.#ensuring = undefined));
    return this.#ensuring;
  }

  async #watchStatus(): Promise<void> {
    try {
      for await (const s of this.#nc.status()) {
        if (s.type === "disconnect") {
          this.#connected = false;
        } else if (s.type === "reconnect") {
          this.#connected = true;
          this.#wakeAll();
        }
      }
    } catch (err) {
      this.#logger.error({ err }, "call events: connection status watcher failed");
    }
    // The status stream ends when the connection closes: nothing will reconnect.
    this.#connected = false;
    this.#connectionClosed = true;
    this.#wakeAll();
  }
}

function checkOptions(o: JetStreamCallEventsOptions): void {
  const positive = { maxInFlight: o.maxInFlight, ackTimeoutMs: o.ackTimeoutMs, lookupTimeoutMs: o.lookupTimeoutMs, maxAgeMs: o.maxAgeMs, duplicateWindowMs: o.duplicateWindowMs, replicas: o.replicas };
  for (const [name, v] of Object.entries(positive)) {
    if (!Number.isInteger(v) || v < 1) throw new CallEventsError(`call events: ${name} must be a positive integer, not ${v}`);
  }
  for (const [name, v] of Object.entries({ retryDelayMs: o.retryDelayMs, retryForMs: o.retryForMs })) {
    if (!Number.isInteger(v) || v < 0) throw new CallEventsError(`call events: ${name} must be a non-negative integer, not ${v}`);
  }
  if (!Number.isInteger(o.maxBytes) || (o.maxBytes < 1 && o.maxBytes !== -1)) throw new CallEventsError(`call events: maxBytes must be a positive integer or -1, not ${o.maxBytes}`);
  if (o.retryForMs + o.ackTimeoutMs > o.duplicateWindowMs) {
    throw new CallEventsError(
      `call events: retryForMs (${o.retryForMs}) + ackTimeoutMs (${o.ackTimeoutMs}) exceeds duplicateWindowMs (${o.duplicateWindowMs}): a late retry could be stored twice`,
    );
  }
  if (!/^[A-Za-z0-9_-]+$/.test(o.stream)) throw new CallEventsError(`call events: stream name ${JSON.stringify(o.stream)} must be letters, digits, _ or -`);
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(o.subjectPrefix)) throw new CallEventsError(`call events: subject prefix ${JSON.stringify(o.subjectPrefix)} must be dot-separated tokens without wildcards`);
  if (o.storage !== "file" && o.storage !== "memory") throw new CallEventsError(`call events: storage must be "file" or "memory", not ${JSON.stringify(o.storage)}`);
}

/**
 * What an attempt's failure means for the next one, from nats.js's error codes or the bus's
 * errors: "503" no stream captures the subject, "CONNECTION_CLOSED" the connection is gone for good.
 */
function failureCode(err: unknown): string | undefined {
  if (err instanceof BusNoRespondersError) return "503";
  if (err instanceof BusClosedError) return "CONNECTION_CLOSED";
  return natsErrorCode(err);
}
