/**
 * Concurrent-call limits: a user or a trunk may be in at most N calls at once. Each call attempt
 * holds one slot of each limited key it involves; the slots are freed when the call ends (its
 * ENDED call event) or, failing that, when they expire. Adapters: `MemoryCallSlots` (embedded),
 * the location service's Redis store and its gRPC client. Every adapter passes `callSlotsContract`.
 */

/** One limited key: `user:<aor>` or `trunk:<name>` (see callSlotKey), and its limit. */
export interface CallSlotClaim {
  readonly key: string;
  /** Most slots the key may hold at once, this one included; at least 1. */
  readonly limit: number;
}

export interface AcquireCallSlots {
  /** The attempt: Call-ID and the CSeq number of its initial INVITE. */
  readonly callId: string;
  readonly inviteCseq: number;
  readonly claims: readonly CallSlotClaim[];
  /** How long the slots live unless released first (the longest call expected). */
  readonly ttlMs: number;
}

/** Acquired: every claim holds a slot for the attempt. Otherwise none was taken, and `fullKey` was at its limit. */
export type AcquireCallSlotsResult = { readonly acquired: true } | { readonly acquired: false; readonly fullKey: string };

export interface CallSlotStore {
  /**
   * Takes a slot of every claim for the attempt, or none. An attempt that already holds a slot of
   * a key keeps it (refreshed), whatever the limit: the same request asked again.
   */
  acquireCallSlots(request: AcquireCallSlots): Promise<AcquireCallSlotsResult>;
  /**
   * Frees the slots of the call's attempts with an INVITE CSeq up to `upToCseq` (0: all of them),
   * and says how many were freed. Idempotent.
   */
  releaseCallSlots(callId: string, upToCseq: number): Promise<number>;
}

/** The limited key of a user (by address-of-record) or a trunk (by name). */
export function callSlotKey(kind: "user" | "trunk", name: string): string {
  return `${kind}:${name}`;
}

/** What is wrong with an acquire request, or undefined: the same checks in every adapter. */
export function acquireCallSlotsProblem(r: AcquireCallSlots): string | undefined {
  if (r.callId === "") return "callId is required";
  if (!Number.isInteger(r.inviteCseq) || r.inviteCseq < 1 || r.inviteCseq > 0xffffffff) return "inviteCseq must be 1..2^32-1";
  if (!Number.isInteger(r.ttlMs) || r.ttlMs < 1) return "ttlMs must be a positive integer";
  if (r.claims.length === 0) return "claims: none given";
  const seen = new Set<string>();
  for (const [i, c] of r.claims.entries()) {
    if (c.key === "") return `claims[${i}].key is empty`;
    if (!Number.isInteger(c.limit) || c.limit < 1) return `claims[${i}].limit must be at least 1`;
    if (seen.has(c.key)) return `claims[${i}].key repeats ${c.key}`;
    seen.add(c.key);
  }
  return undefined;
}

export interface MemoryCallSlotsOptions {
  now: () => number;
}

export const DEFAULT_MEMORY_CALL_SLOTS_OPTIONS: MemoryCallSlotsOptions = { now: Date.now };

/** CallSlotStore in one process (embedded mode, tests): slot expiry is checked on every read. */
export class MemoryCallSlots implements CallSlotStore {
  private readonly options: MemoryCallSlotsOptions;
  /** key → attempt ("<Call-ID> <CSeq>") → expiry (unix ms). */
  private readonly slots = new Map<string, Map<string, number>>();
  /** Call-ID → the keys each of its attempts holds. */
  private readonly calls = new Map<string, Map<number, Set<string>>>();

  constructor(options: Partial<MemoryCallSlotsOptions> = {}) {
    this.options = { ...DEFAULT_MEMORY_CALL_SLOTS_OPTIONS, ...options };
  }

  async acquireCallSlots(request: AcquireCallSlots): Promise<AcquireCallSlotsResult> {
    const problem = acquireCallSlotsProblem(request);
    if (problem !== undefined) throw new InvalidCallSlotsError(problem);
    const now = this.options.now();
    const attempt = attemptId(request.callId, request.inviteCseq);
    for (const claim of request.claims) {
      const held = this.live(claim.key, now);
      if (!held.has(attempt) && held.size >= claim.limit) return { acquired: false, fullKey: claim.key };
    }
    const expiry = now + request.ttlMs;
    const attempts = this.calls.get(request.callId) ?? new Map<number, Set<string>>();
    this.calls.set(request.callId, attempts);
    const keys = attempts.get(request.inviteCseq) ?? new Set<string>();
    attempts.set(request.inviteCseq, keys);
    for (const claim of request.claims) {
      let held = this.slots.get(claim.key);
      if (held === undefined) this.slots.set(claim.key, (held = new Map()));
      held.set(attempt, expiry);
      keys.add(claim.key);
    }
    return { acquired: true };
  }

  async releaseCallSlots(callId: string, upToCseq: number): Promise<number> {
    const attempts = this.calls.get(callId);
    if (attempts === undefined) return 0;
    const now = this.options.now();
    let released = 0;
    for (const [cseq, keys] of attempts) {
      if (upToCseq !== 0 && cseq > upToCseq) continue;
      const attempt = attemptId(callId, cseq);
      for (const key of keys) {
        const held = this.live(key, now);
        if (held.delete(attempt)) released++;
        if (held.size === 0) this.slots.delete(key);
      }
      attempts.delete(cseq);
    }
    if (attempts.size === 0) this.calls.delete(callId);
    return released;
  }

  /** The unexpired slots of a key (expired ones dropped). */
  private live(key: string, now: number): Map<string, number> {
    const held = this.slots.get(key) ?? new Map<string, number>();
    for (const [attempt, expiry] of held) if (expiry <= now) held.delete(attempt);
    return held;
  }
}

/** A malformed acquire request: a bug in the caller. */
export class InvalidCallSlotsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidCallSlotsError";
  }
}

/** How an attempt is named in a key's slots: Call-IDs hold no spaces (RFC 3261 §25.1 `word`). */
export function attemptId(callId: string, inviteCseq: number): string {
  return `${callId} ${inviteCseq}`;
}
