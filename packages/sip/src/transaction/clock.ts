import { TransactionError } from "../errors.js";

declare const timerHandleBrand: unique symbol;

/** An armed timer, as returned by `Clock.setTimer`; opaque to the transactions. */
export type TimerHandle = { readonly [timerHandleBrand]: true };

/**
 * Time as the transaction layer sees it. Every transaction timer goes through one of these, so
 * tests run the RFC 3261 §17 timers on a `VirtualClock` instead of sleeping.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /**
   * Calls `fn(arg)` once, `ms` milliseconds from now. Passing the argument (as `setTimeout` does)
   * lets a caller arm timers with a shared function instead of a closure per timer.
   */
  setTimer<T>(ms: number, fn: (arg: T) => void, arg: T): TimerHandle;
  /** Disarms a timer; a no-op if it already fired or was cleared. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * The process clock. Timers are unref'd: a pending transaction timer alone does not keep
 * Node running (the sockets that feed the transactions do).
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn, arg) {
    const t = setTimeout(fn, ms, arg);
    t.unref();
    return t as unknown as TimerHandle;
  },
  clearTimer(handle) {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

interface VirtualTimer {
  due: number;
  seq: number;
  fn: (arg: unknown) => void;
  arg: unknown;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires every timer that falls due, in due
 * order (ties in the order they were set), with `now()` at each timer's due time, including timers
 * that callbacks set while the advance is running.
 */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  /** Sorted by due time, then by `seq`. */
  private readonly queue: VirtualTimer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer<T>(ms: number, fn: (arg: T) => void, arg: T): TimerHandle {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new TransactionError(`VirtualClock.setTimer: invalid delay ${ms}`);
    const t: VirtualTimer = { due: this.time + ms, seq: this.seq++, fn: fn as (arg: unknown) => void, arg };
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1] as VirtualTimer).due > t.due) i--;
    this.queue.splice(i, 0, t);
    return t as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    const i = this.queue.indexOf(handle as unknown as VirtualTimer);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Moves time forward by `ms`, firing the timers that fall due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new TransactionError(`VirtualClock.advance: invalid duration ${ms}`);
    const target = this.time + ms;
    for (;;) {
      const next = this.queue[0];
      if (next === undefined || next.due > target) break;
      this.queue.shift();
      this.time = next.due;
      next.fn(next.arg);
    }
    this.time = target;
  }

  /** Number of armed timers. */
  get pending(): number {
    return this.queue.length;
  }

  /** Milliseconds until the next timer falls due, or undefined when none is armed. */
  nextDue(): number | undefined {
    const next = this.queue[0];
    return next === undefined ? undefined : next.due - this.time;
  }
}
