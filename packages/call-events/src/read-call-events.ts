import { CallEvent, CALL_EVENTS_STREAM, CALL_EVENTS_SUBJECT_PREFIX } from "@sipfleet/proto";
import { AckPolicy, DeliverPolicy, nanos, type ConsumerConfig, type JsMsg, type NatsConnection } from "nats";
import type { CallEventFilter, StoredCallEvent } from "./call-event-sink.js";
import { CallEventsError, errorMessage } from "./errors.js";
import { matchesFilter, subjectFilterFor } from "./event-check.js";
import { CONSOLE_CALL_EVENTS_LOGGER, type CallEventsLogger } from "./logger.js";

export interface ReadCallEventsOptions extends CallEventFilter {
  /** Default SIPFLEET_CALLS. */
  stream?: string;
  /** Default sipfleet.calls.v1; only used to filter by `kind` and `callId` on the server. */
  subjectPrefix?: string;
  /** How long one batch may take to arrive. Default 5 s. */
  batchTimeoutMs?: number;
  /** Where a message that does not decode as a CallEvent is reported (and skipped). */
  logger?: CallEventsLogger;
}

const BATCH = 256;

/**
 * The call events stored in the stream that pass the filter, the oldest first, up to what the
 * stream held when the read reached its end. For tests, operators and the admin API: it reads
 * through an ephemeral pull consumer of its own (no acks, deleted when done), so it disturbs no
 * other reader. `since`, `kind` and `callId` are applied by the server (the subject,
 * `<prefix>.<kind>.<call>.<caller>`, names the kind and a digest of the Call-ID), and again on the
 * decoded events.
 */
export async function* readCallEvents(nc: NatsConnection, options: ReadCallEventsOptions = {}): AsyncGenerator<StoredCallEvent> {
  const stream = options.stream ?? CALL_EVENTS_STREAM;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const logger = options.logger ?? CONSOLE_CALL_EVENTS_LOGGER;
  const batchTimeoutMs = options.batchTimeoutMs ?? 5_000;
  if (limit <= 0) return;

  const config: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    mem_storage: true,
    // Removed by the server if this reader goes away without deleting it.
    inactive_threshold: nanos(Math.max(30_000, batchTimeoutMs * 2)),
  };
  if (options.since !== undefined) {
    config.deliver_policy = DeliverPolicy.StartTime;
    config.opt_start_time = new Date(options.since).toISOString();
  }
  if (options.kind !== undefined || options.callId !== undefined) {
    const subject = subjectFilterFor(options, options.subjectPrefix ?? CALL_EVENTS_SUBJECT_PREFIX);
    if (subject === undefined) return;
    config.filter_subject = subject;
  }

  let name: string;
  let pending: number;
  const jsm = await nc.jetstreamManager().catch((err: unknown) => {
    throw new CallEventsError(`JetStream is not available: ${errorMessage(err)}`, { cause: err });
  });
  try {
    const info = await jsm.consumers.add(stream, config);
    name = info.name;
    pending = info.num_pending;
  } catch (err) {
    throw new CallEventsError(`cannot read call events from stream ${stream}: ${errorMessage(err)}`, { cause: err });
  }

  try {
    const consumer = await nc.jetstream().consumers.get(stream, name);
    let yielded = 0;
    while (pending > 0 && yielded < limit) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, BATCH), expires: batchTimeoutMs });
      let got = 0;
      for await (const m of batch) {
        got++;
        pending = m.info.pending;
        const stored = decode(m, logger);
        if (stored === undefined || !matchesFilter(stored, options)) continue;
        yield stored;
        if (++yielded >= limit) break;
      }
      // Nothing came within the timeout: the stream lost what it counted as pending (age, size).
      if (got === 0) break;
    }
  } finally {
    await jsm.consumers.delete(stream, name).catch(() => {});
  }
}

function decode(m: JsMsg, logger: CallEventsLogger): StoredCallEvent | undefined {
  try {
    return { seq: m.seq, storedAtMs: Math.floor(m.info.timestampNanos / 1e6), event: CallEvent.decode(m.data) };
  } catch (err) {
    logger.warn({ seq: m.seq, subject: m.subject, err }, "stored call event does not decode; skipped");
    return undefined;
  }
}
