import type { CallEventsLogger } from "./logger.js";

/**
 * A warning that can come once per event (every failed publish during an outage) is logged at
 * most once per interval, with how many were left out since the last line: an outage or an
 * overload is a state to report, not thousands of lines.
 */
export class ThrottledWarning {
  #lastAt = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(
    private readonly logger: CallEventsLogger,
    private readonly msg: string,
    private readonly intervalMs: number,
  ) {}

  warn(obj: object): void {
    const now = Date.now();
    if (now - this.#lastAt < this.intervalMs) {
      this.#suppressed++;
      return;
    }
    this.#lastAt = now;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    this.logger.warn(suppressed > 0 ? { ...obj, suppressed } : obj, this.msg);
  }
}
