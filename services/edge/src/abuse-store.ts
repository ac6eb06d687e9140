/**
 * What the edge's abuse limits keep where every edge sees it (Redis in a cluster, memory in one
 * process). Owned by its one consumer, `AbuseGuard`; both implementations pass one contract
 * suite (`abuse-store-contract.ts`). Sources are `sourceKey` strings (an IPv4 address, an IPv6 /64).
 */
export interface AbuseStore {
  /**
   * Adds this edge's request counts of one rate window (`window`: its number, time / window
   * length) and returns the totals of every edge for the same sources. The window is kept
   * `ttlMs` so that late edges still add to it, then forgotten.
   */
  addRequests(window: number, counts: ReadonlyMap<string, number>, ttlMs: number): Promise<Map<string, number>>;
  /**
   * Counts one failed authentication of `source`; returns the failures counted within the window
   * that began with the first of them (`windowMs` long).
   */
  addAuthFailure(source: string, windowMs: number): Promise<number>;
  /** Bans `source` until `untilMs` (Unix ms); a later end wins over an earlier one. */
  ban(source: string, untilMs: number): Promise<void>;
  /** The bans still in force at `nowMs`: source → end (Unix ms). An edge loads them at start. */
  bans(nowMs: number): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** The store of the embedded single-process mode: one edge, nothing to share. */
export class MemoryAbuseStore implements AbuseStore {
  private readonly windows = new Map<number, { counts: Map<string, number>; expiresAt: number }>();
  private readonly failures = new Map<string, { n: number; expiresAt: number }>();
  private readonly banned = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  addRequests(window: number, counts: ReadonlyMap<string, number>, ttlMs: number): Promise<Map<string, number>> {
    const now = this.now();
    for (const [w, entry] of this.windows) if (entry.expiresAt <= now) this.windows.delete(w);
    let entry = this.windows.get(window);
    if (entry === undefined) {
      entry = { counts: new Map(), expiresAt: now + ttlMs };
      this.windows.set(window, entry);
    }
    const totals = new Map<string, number>();
    for (const [source, n] of counts) {
      const total = (entry.counts.get(source) ?? 0) + n;
      entry.counts.set(source, total);
      totals.set(source, total);
    }
    return Promise.resolve(totals);
  }

  addAuthFailure(source: string, windowMs: number): Promise<number> {
    const now = this.now();
    let f = this.failures.get(source);
    if (f === undefined || f.expiresAt <= now) {
      f = { n: 0, expiresAt: now + windowMs };
      this.failures.set(source, f);
    }
    f.n++;
    return Promise.resolve(f.n);
  }

  ban(source: string, untilMs: number): Promise<void> {
    this.banned.set(source, Math.max(untilMs, this.banned.get(source) ?? 0));
    return Promise.resolve();
  }

  bans(nowMs: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [source, until] of this.banned) {
      if (until > nowMs) out.set(source, until);
      else this.banned.delete(source);
    }
    return Promise.resolve(out);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
