/**
 * The bus the tiers talk over (NATS in a cluster, in-process when embedded). Both adapters pass
 * one contract suite (`bus-contract.ts`), so code above cannot tell them apart except by speed.
 */

/** Message headers: W3C trace context and the like. Names are case-sensitive, as in NATS. */
export type BusHeaders = Readonly<Record<string, string>>;

export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Undefined when the sender set none. */
  readonly headers: BusHeaders | undefined;
}

export interface BusRequestOptions {
  /** How long to wait for the reply before rejecting with `BusTimeoutError`. */
  timeoutMs: number;
  headers?: BusHeaders;
}

/**
 * Answers a request. Its resolved value is the reply. `undefined` sends no reply, quietly: for a
 * request every member of several groups gets, where only the one concerned answers (NATS
 * scatter-gather; the requester takes the first reply or times out). When it throws or rejects,
 * no reply is sent (the requester times out) and the error goes to the bus's error log: a worker
 * must turn bad input into a reply itself.
 */
export type BusResponder = (msg: BusMessage) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export type BusListener = (msg: BusMessage) => void;

export interface BusSubscription {
  /** Stops delivery; requests already handed to the responder still get their reply. */
  unsubscribe(): void;
}

export interface Bus {
  /**
   * Sends a request to one member of whatever queue group serves `subject`, and resolves with its
   * reply. Rejects with `BusNoRespondersError` when nobody serves the subject, `BusTimeoutError`
   * when no reply came in time, `BusClosedError` after close().
   */
  request(subject: string, data: Uint8Array, options: BusRequestOptions): Promise<Uint8Array>;
  /** Serves requests on `subject`; each request goes to one member of the `queue` group. */
  serve(subject: string, queue: string, responder: BusResponder): BusSubscription;
  /** Fire and forget to every subscriber of `subject`. */
  publish(subject: string, data: Uint8Array, headers?: BusHeaders): void;
  /** Every message published on `subject` (NATS wildcards `*` and `>` allowed). */
  subscribe(subject: string, listener: BusListener): BusSubscription;
  /**
   * Graceful end: stop taking requests, let responders finish and their replies go out, flush
   * what was published, then close.
   */
  drain(): Promise<void>;
  /** Immediate end: pending requests reject with `BusClosedError`. */
  close(): Promise<void>;
  /**
   * Resolves once everything this bus sent so far (subscriptions, unsubscriptions, publications)
   * has reached the broker, so another connection now sees them. Call it after serve()/subscribe()
   * before announcing readiness. Optional: a bus whose subscriptions take effect at once may omit it.
   */
  flush?(): Promise<void>;
}

export class BusError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Nobody serves the subject (NATS 503 no-responders status). */
export class BusNoRespondersError extends BusError {}

/** The reply did not come within `timeoutMs`. */
export class BusTimeoutError extends BusError {}

/** The bus was closed or drained. */
export class BusClosedError extends BusError {}

/**
 * The bus is not connected to the broker right now (it reconnects by itself): the request was not
 * sent, or its reply was lost with the connection. Retry later or answer 503.
 */
export class BusUnavailableError extends BusError {}
