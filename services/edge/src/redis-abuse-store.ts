import type { Cluster, Redis } from "ioredis";
import type { AbuseStore } from "./abuse-store.js";

/**
 * Keys (every key of one command group shares a hash tag, so Redis Cluster takes each group on
 * one node):
 * - `sipfleet:abuse:{rate:<window>}`: hash source → requests in that one-second window, every
 *   edge's summed (HINCRBY returns the total, so adding and reading back is one command);
 * - `sipfleet:abuse:{fail:<source>}`: failed authentications, expiring a window after the first;
 * - `sipfleet:abuse:{bans}`: sorted set source → end of its ban (Unix ms), so an edge starting up
 *   reads every ban with one command and no SCAN across cluster nodes. Ended entries are pruned
 *   whenever a ban is written or read.
 */
const PREFIX = "sipfleet:abuse:";
const rateKey = (window: number): string => `${PREFIX}{rate:${window}}`;
const failKey = (source: string): string => `${PREFIX}{fail:${source}}`;
const BANS_KEY = `${PREFIX}{bans}`;

/**
 * AbuseStore over a Redis (or Redis Cluster) connection the caller owns: the edge's abuse
 * limits share it with nothing, but who connects (and how: URL, cluster, TLS) is the process's
 * business (main.ts). `close()` does not close the connection.
 */
export class RedisAbuseStore implements AbuseStore {
  constructor(private readonly redis: Redis | Cluster) {}

  async addRequests(window: number, counts: ReadonlyMap<string, number>, ttlMs: number): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    if (counts.size === 0) return totals;
    const key = rateKey(window);
    // One key: one MULTI on one node, one round trip for every source this edge saw.
    const tx = this.redis.multi();
    const sources = [...counts.keys()];
    for (const s of sources) tx.hincrby(key, s, counts.get(s)!);
    tx.pexpire(key, ttlMs);
    const results = await tx.exec();
    if (results === null) throw new Error("abuse store: transaction aborted");
    sources.forEach((s, i) => {
      const [err, value] = results[i]!;
      if (err) throw err;
      totals.set(s, Number(value));
    });
    return totals;
  }

  async addAuthFailure(source: string, windowMs: number): Promise<number> {
    const key = failKey(source);
    const results = await this.redis.multi().incr(key).pexpire(key, windowMs, "NX").exec();
    if (results === null) throw new Error("abuse store: transaction aborted");
    const [err, value] = results[0]!;
    if (err) throw err;
    return Number(value);
  }

  async ban(source: string, untilMs: number): Promise<void> {
    // GT: a ban already ending later is kept (two edges banning at once agree on the longer).
    await this.redis.multi().zadd(BANS_KEY, "GT", untilMs, source).zremrangebyscore(BANS_KEY, "-inf", Date.now()).exec();
  }

  async bans(nowMs: number): Promise<Map<string, number>> {
    const flat = await this.redis.zrangebyscore(BANS_KEY, `(${nowMs}`, "+inf", "WITHSCORES");
    const out = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!, Number(flat[i + 1]));
    return out;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
