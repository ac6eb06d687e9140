import { BusError, type BusHeaders } from "./bus.js";
import { isValidSubject } from "./subject.js";

/*
 * Argument checks shared by both adapters, so each refuses exactly the same input with the same
 * error (NATS would otherwise answer some of it with an asynchronous -ERR on the connection).
 */

/** Throws `BusError` naming the subject when it is not a valid NATS subject. */
export function checkSubject(subject: string, allowWildcards: boolean): void {
  if (!isValidSubject(subject, allowWildcards)) {
    const kind = allowWildcards ? "subscription" : "publish";
    throw new BusError(`invalid ${kind} subject ${JSON.stringify(subject)}`);
  }
}

/** The longest delay setTimeout honours; beyond it Node fires after 1 ms instead. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Request timeouts must be positive and fit a timer. */
export function checkTimeout(timeoutMs: number): void {
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) throw new BusError(`timeoutMs must be > 0 and <= 2147483647 ms, got ${timeoutMs}`);
}

/**
 * NATS header rules (nats.js): a key is printable ASCII without ":" or space, a value has no CR
 * or LF. Throws `BusError` naming the header.
 */
export function checkHeaders(headers: BusHeaders): void {
  for (const k in headers) {
    if (k.length === 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(k)) throw new BusError(`invalid header name ${JSON.stringify(k)}`);
    const v = headers[k];
    if (typeof v !== "string" || /[\r\n]/.test(v)) throw new BusError(`invalid value for header ${k}`);
  }
}

/** A queue group name is one NATS token: not empty, no spaces or control characters. */
export function checkQueue(queue: string): void {
  if (queue.length === 0 || /[\x00-\x20\x7f]/.test(queue)) throw new BusError(`invalid queue group ${JSON.stringify(queue)}`);
}
