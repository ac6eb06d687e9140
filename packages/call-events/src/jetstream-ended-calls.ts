import { CallEvent, CALL_EVENTS_STREAM, CALL_EVENTS_SUBJECT_PREFIX } from "@sipfleet/proto";
import { AckPolicy, DeliverPolicy, nanos, type ConsumerMessages, type NatsConnection } from "nats";
import type { EndedCallHandler, EndedCalls, EndedCallsSubscription } from "./ended-calls.js";
import { CallEventsError, errorMessage } from "./errors.js";
import { CONSOLE_CALL_EVENTS_LOGGER, type CallEventsLogger } from "./logger.js";

export interface JetStreamEndedCallsOptions {
  stream: string;
  subjectPrefix: string;
  /**
   * The durable consumer's name: every worker giving the same name shares it, so each event goes
   * to one of them (a work queue over a stream that keeps everything for CDRs).
   */
  durable: string;
  /** How long a delivered event may stay unacknowledged before it is delivered again. */
  ackWaitMs: number;
  /** Deliveries of one event before it is given up (a handler that keeps failing). */
  maxDeliver: number;
  /** Delay before an event whose handler failed is delivered again. */
  retryDelayMs: number;
  /** Events one worker holds at once. */
  maxInHand: number;
  logger: CallEventsLogger;
}

export const DEFAULT_JETSTREAM_ENDED_CALLS_OPTIONS: JetStreamEndedCallsOptions = {
  stream: CALL_EVENTS_STREAM,
  subjectPrefix: CALL_EVENTS_SUBJECT_PREFIX,
  durable: "ended-calls",
  ackWaitMs: 30_000,
  maxDeliver: 10,
  retryDelayMs: 2_000,
  maxInHand: 64,
  logger: CONSOLE_CALL_EVENTS_LOGGER,
};

/**
 * EndedCalls over the call-event stream: a durable pull consumer of `<prefix>.ended.>` with
 * explicit acks, created (or joined) by every worker of the group. An event is acknowledged once
 * its handler resolved; a failed handler's event comes back after retryDelayMs, up to maxDeliver
 * times. The consumer starts at events stored after its creation (DeliverPolicy.New): a group that
 * starts for the first time has nothing to do for calls that ended before it existed. Until the
 * stream exists (the edges create it), the subscription retries every retryDelayMs.
 */
export class JetStreamEndedCalls implements EndedCalls {
  private readonly options: JetStreamEndedCallsOptions;

  constructor(
    private readonly nc: NatsConnection,
    options: Partial<JetStreamEndedCallsOptions> = {},
  ) {
    this.options = { ...DEFAULT_JETSTREAM_ENDED_CALLS_OPTIONS, ...options };
  }

  /** Creates the durable consumer when it is missing; fails while the stream does not exist. */
  private async ensureConsumer(): Promise<void> {
    const o = this.options;
    try {
      const jsm = await this.nc.jetstreamManager();
      await jsm.consumers.add(o.stream, {
        durable_name: o.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        filter_subject: `${o.subjectPrefix}.ended.>`,
        ack_wait: nanos(o.ackWaitMs),
        max_deliver: o.maxDeliver,
      });
    } catch (err) {
      throw new CallEventsError(`cannot create the ended-calls consumer ${o.durable} on stream ${o.stream}: ${errorMessage(err)}`, { cause: err });
    }
  }

  subscribe(handler: EndedCallHandler): EndedCallsSubscription {
    const o = this.options;
    let messages: ConsumerMessages | undefined;
    let stopped = false;
    const loop = (async () => {
      // The edges create the stream, and workers may start first: wait for it.
      for (let tries = 0; ; tries++) {
        if (stopped) return;
        try {
          await this.ensureConsumer();
          break;
        } catch (err) {
          if (tries === 0) o.logger.warn({ err }, "ended-calls consumer not ready; retrying until the call-event stream exists");
          await new Promise((r) => setTimeout(r, o.retryDelayMs));
        }
      }
      const consumer = await this.nc.jetstream().consumers.get(o.stream, o.durable);
      if (stopped) return;
      messages = await consumer.consume({ max_messages: o.maxInHand });
      for await (const m of messages) {
        let event: CallEvent;
        try {
          event = CallEvent.decode(m.data);
        } catch (err) {
          o.logger.warn({ seq: m.seq, subject: m.subject, err }, "ended call event does not decode; dropped");
          m.term();
          continue;
        }
        try {
          await handler(event);
          m.ack();
        } catch (err) {
          o.logger.warn({ callId: event.callId, deliveries: m.info.redeliveryCount, err }, "ended call not handled; delivered again later");
          m.nak(o.retryDelayMs);
        }
      }
    })().catch((err: unknown) => {
      if (!stopped) o.logger.error({ err }, "ended-calls consumer stopped");
    });
    return {
      stop: async () => {
        stopped = true;
        messages?.stop();
        await loop;
      },
    };
  }
}
