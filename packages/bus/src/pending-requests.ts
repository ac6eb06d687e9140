import { BusNoRespondersError, BusTimeoutError, type BusError } from "./bus.js";

interface PendingRequest {
  resolve(data: Uint8Array): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
  subject: string;
  timeoutMs: number;
}

/**
 * Requests waiting for their reply, by token: each settles once — by its reply, its timeout, a
 * no-responders status or the bus failing them all — and whatever comes later for it is ignored
 * (a late reply, a second queue group's answer).
 */
export class PendingRequests<K> {
  readonly #byToken = new Map<K, PendingRequest>();

  /** Waits for `token`'s reply; rejects with BusTimeoutError after `timeoutMs`. */
  add(token: K, subject: string, timeoutMs: number, resolve: (data: Uint8Array) => void, reject: (err: Error) => void): void {
    const timer = setTimeout(this.#onTimeout, timeoutMs, token);
    this.#byToken.set(token, { resolve, reject, timer, subject, timeoutMs });
  }

  resolve(token: K, data: Uint8Array): void {
    this.#take(token)?.resolve(data);
  }

  /** Nobody serves the request's subject. */
  noResponders(token: K): void {
    const p = this.#take(token);
    p?.reject(new BusNoRespondersError(`no responders for ${p.subject}`));
  }

  /** Rejects every request still waiting (closed, disconnected). */
  failAll(err: BusError): void {
    const all = [...this.#byToken.values()];
    this.#byToken.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  #take(token: K): PendingRequest | undefined {
    const p = this.#byToken.get(token);
    if (p === undefined) return undefined;
    this.#byToken.delete(token);
    clearTimeout(p.timer);
    return p;
  }

  readonly #onTimeout = (token: K): void => {
    const p = this.#byToken.get(token);
    if (p === undefined) return;
    this.#byToken.delete(token);
    p.reject(new BusTimeoutError(`no reply on ${p.subject} within ${p.timeoutMs} ms`));
  };
}
