import type { BusMessage, BusResponder } from "./bus.js";

/** Where a responder's outcome goes: its reply (not yet checked to be bytes) or its failure. */
export interface ResponderOutcome<T> {
  reply(target: T, data: unknown, subject: string): void;
  failed(err: unknown, subject: string): void;
}

/**
 * Counts responders still computing a reply, so that drain() can wait until the last one has
 * answered. `release()` (on close) wakes every waiter whatever the count: nothing more will come.
 */
export class RespondersInFlight {
  #count = 0;
  #waiters: (() => void)[] = [];

  started(): void {
    this.#count++;
  }

  finished(): void {
    this.#count--;
    if (this.#count === 0) this.release();
  }

  /** Resolves when none is in flight, or on release(). */
  idle(): Promise<void> {
    return this.#count === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Runs a responder for `msg`, counting it while its promise is pending, and hands its reply for
   * `target`, or its failure (thrown or rejected), to `outcome`.
   */
  run<T>(responder: BusResponder, msg: BusMessage, target: T, outcome: ResponderOutcome<T>): void {
    let result: Uint8Array | undefined | Promise<Uint8Array | undefined>;
    try {
      result = responder(msg);
    } catch (err) {
      outcome.failed(err, msg.subject);
      return;
    }
    if (!(result instanceof Promise)) {
      outcome.reply(target, result, msg.subject);
      return;
    }
    this.started();
    result.then(
      (data) => {
        this.finished();
        outcome.reply(target, data, msg.subject);
      },
      (err: unknown) => {
        this.finished();
        outcome.failed(err, msg.subject);
      },
    );
  }
}
