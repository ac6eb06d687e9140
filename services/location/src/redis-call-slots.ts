import type { Cluster, Redis } from "ioredis";
import { acquireCallSlotsProblem, attemptId, InvalidCallSlotsError, type AcquireCallSlots, type AcquireCallSlotsResult, type CallSlotStore } from "@sipfleet/bindings";

export const DEFAULT_CALL_SLOTS_KEY_PREFIX = "sipfleet:slots:";

/**
 * Takes one slot of one key, atomically: expired slots are dropped first (score = expiry, on the
 * server's clock, so location replicas with skewed clocks agree), then the attempt is added unless
 * the key is at its limit. The key's own TTL follows its latest slot, so an idle key disappears.
 * Returns 2: added, 1: the attempt already held it (refreshed), 0: full.
 */
export const ACQUIRE_SLOT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
if held then return 1 end
return 2
`;

/**
 * Slot keys and the call index (the keys each attempt of a Call-ID holds), each with its own hash
 * tag:
 *
 *   <prefix>{<key>}:z       ZSET member "<Call-ID> <CSeq>", score = expiry (unix ms)
 *   <prefix>{call:<Call-ID>}:a  SET of "<CSeq> <key>"; PEXPIRE = the slots' lifetime
 *
 * One script touches one key, so Redis Cluster may place every key on any node. The price: taking
 * several keys is not one atomic step. Keys are taken one after another and, when one is full,
 * those taken for this request are given back. Meanwhile another call may see a key one slot
 * fuller than it will stay and be refused: a limit may refuse a call too many in a race, never
 * let one too many through.
 */
export class RedisCallSlots implements CallSlotStore {
  private readonly acquireSlot: (key: string, member: string, limit: number, ttlMs: number) => Promise<number>;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string = DEFAULT_CALL_SLOTS_KEY_PREFIX,
  ) {
    redis.defineCommand("sipfleetAcquireCallSlot", { lua: ACQUIRE_SLOT_SCRIPT, numberOfKeys: 1 });
    const r = redis as unknown as { sipfleetAcquireCallSlot(key: string, member: string, limit: number, ttl: number): Promise<number> };
    this.acquireSlot = (key, member, limit, ttlMs) => r.sipfleetAcquireCallSlot(key, member, limit, ttlMs);
  }

  async acquireCallSlots(request: AcquireCallSlots): Promise<AcquireCallSlotsResult> {
    const problem = acquireCallSlotsProblem(request);
    if (problem !== undefined) throw new InvalidCallSlotsError(problem);
    const attempt = attemptId(request.callId, request.inviteCseq);
    const index = this.indexKey(request.callId);
    const entries = request.claims.map((c) => `${request.inviteCseq} ${c.key}`);
    // The index first: a release that comes while (or after) this runs finds every key it may hold.
    await this.redis.multi().sadd(index, ...entries).pexpire(index, request.ttlMs).exec();
    const added: string[] = [];
    const heldBefore = new Set<string>();
    for (const claim of request.claims) {
      const outcome = await this.acquireSlot(this.slotKey(claim.key), attempt, claim.limit, request.ttlMs);
      if (outcome === 2) added.push(claim.key);
      if (outcome === 1) heldBefore.add(claim.key);
      if (outcome === 0) {
        // Give back what this request took; what the attempt held before stays held (and indexed).
        await Promise.all(added.map((key) => this.redis.zrem(this.slotKey(key), attempt)));
        const unheld = entries.filter((_, i) => !heldBefore.has(request.claims[i]!.key));
        if (unheld.length > 0) await this.redis.srem(index, ...unheld);
        return { acquired: false, fullKey: claim.key };
      }
    }
    return { acquired: true };
  }

  async releaseCallSlots(callId: string, upToCseq: number): Promise<number> {
    const index = this.indexKey(callId);
    const entries = await this.redis.smembers(index);
    let released = 0;
    await Promise.all(
      entries.map(async (entry) => {
        const space = entry.indexOf(" ");
        const cseq = Number(entry.slice(0, space));
        if (space < 0 || (upToCseq !== 0 && cseq > upToCseq)) return;
        const freed = await this.redis.zrem(this.slotKey(entry.slice(space + 1)), attemptId(callId, cseq));
        released += freed;
        await this.redis.srem(index, entry);
      }),
    );
    return released;
  }

  private slotKey(key: string): string {
    return `${this.prefix}{${key}}:z`;
  }

  private indexKey(callId: string): string {
    return `${this.prefix}{call:${callId}}:a`;
  }
}
