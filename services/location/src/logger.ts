/** What the location service logs through; pino (@sipfleet/runtime createLogger) satisfies it. */
export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {} };

/** Logs the first occurrence of a kind of failure at once, then at most one summary per interval: an outage does not flood the log. */
export class ThrottledLog {
  private last = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(obj: object, msg: string): void {
    const t = this.now();
    if (t - this.last < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.logger.warn(this.suppressed > 0 ? { ...obj, suppressed: this.suppressed } : obj, msg);
    this.last = t;
    this.suppressed = 0;
  }
}
