import { TransactionError } from "../errors.js";

/** The base values of RFC 3261 §17.1.1.1 and Table 4 (§A), in milliseconds. */
export interface TimerConfig {
  /** RTT estimate; default 500 ms. */
  t1?: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses; default 4 s. */
  t2?: number;
  /** Maximum duration a message remains in the network; default 5 s. */
  t4?: number;
}

/**
 * Every transaction timer of RFC 3261 Table 4 (§A), and Timers L and M of RFC 6026 §8.7 and §8.4,
 * in milliseconds. D, I, J and K hold the values for unreliable transports; on reliable transports
 * they are zero (see `waitTime`).
 */
export interface TransactionTimers {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
  /** INVITE request retransmit interval, initially T1, doubled each time, not capped (§17.1.1.2). */
  readonly A: number;
  /** INVITE transaction timeout, 64*T1 (§17.1.1.2). */
  readonly B: number;
  /** Wait time for response retransmits: at least 32 s on unreliable transports (§17.1.1.2). */
  readonly D: number;
  /** Non-INVITE request retransmit interval, initially T1, doubled up to T2 (§17.1.2.2). */
  readonly E: number;
  /** Non-INVITE transaction timeout, 64*T1 (§17.1.2.2). */
  readonly F: number;
  /** INVITE response retransmit interval, initially T1, doubled up to T2 (§17.2.1). */
  readonly G: number;
  /** Wait time for ACK receipt, 64*T1 (§17.2.1). */
  readonly H: number;
  /** Wait time for ACK retransmits, T4 on unreliable transports (§17.2.1). */
  readonly I: number;
  /** Wait time for non-INVITE request retransmits, 64*T1 on unreliable transports (§17.2.2). */
  readonly J: number;
  /** Wait time for response retransmits, T4 on unreliable transports (§17.1.2.2). */
  readonly K: number;
  /** Wait time for accepted INVITE request retransmits, 64*T1 on any transport (RFC 6026 §8.7). */
  readonly L: number;
  /** Wait time for retransmission of 2xx to INVITE or additional 2xx from other branches of a forked INVITE, 64*T1 on any transport (RFC 6026 §8.4). */
  readonly M: number;
}

/** RFC 3261 §17.2.1: the server INVITE transaction sends 100 Trying "if the TU won't in 200 ms". */
export const DEFAULT_TRYING_DELAY = 200;

/** RFC 3261 §17.1.1.2: Timer D is "at least 32 seconds for unreliable transports". */
const MIN_TIMER_D = 32_000;

/**
 * Derives every transaction timer from T1, T2 and T4 (RFC 3261 Table 4). Throws
 * `TransactionError` naming the offending value when T1 or T4 is not a positive finite number
 * or T2 is below T1.
 */
export function deriveTimers(config: TimerConfig = {}): TransactionTimers {
  const { t1 = 500, t2 = 4000, t4 = 5000 } = config;
  if (typeof t1 !== "number" || !Number.isFinite(t1) || t1 <= 0) {
    throw new TransactionError(`deriveTimers: t1 must be a positive number of milliseconds, got ${String(t1)}`);
  }
  if (typeof t2 !== "number" || !Number.isFinite(t2) || t2 < t1) {
    throw new TransactionError(`deriveTimers: t2 must be a number of milliseconds >= t1 (${t1}), got ${String(t2)}`);
  }
  if (typeof t4 !== "number" || !Number.isFinite(t4) || t4 <= 0) {
    throw new TransactionError(`deriveTimers: t4 must be a positive number of milliseconds, got ${String(t4)}`);
  }
  const t64 = 64 * t1;
  return Object.freeze({
    t1,
    t2,
    t4,
    A: t1,
    B: t64,
    // At least 32 s, and never shorter than the 64*T1 for which the server retransmits its final
    // response (Timer H) when T1 is raised above its default.
    D: Math.max(MIN_TIMER_D, t64),
    E: t1,
    F: t64,
    G: t1,
    H: t64,
    I: t4,
    J: t64,
    K: t4,
    L: t64,
    M: t64,
  });
}

/** The timers for T1 = 500 ms, T2 = 4 s, T4 = 5 s. */
export const DEFAULT_TIMERS: TransactionTimers = deriveTimers();

/**
 * Timers D, I, J and K only absorb retransmissions, which reliable transports do not produce:
 * RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1 and §17.2.2 set them to zero for reliable transports.
 */
export function waitTime(timers: TransactionTimers, timer: "D" | "I" | "J" | "K", reliable: boolean): number {
  return reliable ? 0 : timers[timer];
}
