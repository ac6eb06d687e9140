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
}
