import type { AorBindings, Binding, ListPage, SaveBindings, SaveResult, UseNonce, UseNonceResult } from "./binding.js";
import type { BindingStore } from "./binding-store.js";
import { InvalidSaveError, compareBindings, lastChangePerKey, saveProblem, useNonceProblem } from "./save-rules.js";

export interface MemoryBindingStoreOptions {
  /** Unix ms now; expiry compares against it (no timers). */
  now: () => number;
  /** Every this many writes, forget expired entries of AORs nobody has read since. */
  sweepEvery: number;
}

export const DEFAULT_MEMORY_BINDING_STORE_OPTIONS: MemoryBindingStoreOptions = {
  now: Date.now,
  sweepEvery: 1024,
};

interface NonceRecord {
  readonly nc: number;
  readonly callId: string;
  readonly cseq: number;
  readonly expiresAtMs: number;
}

interface AorState {
  /** key → binding, expiresAtMs being the absolute expiry on the store's clock. */
  readonly bindings: Map<string, Binding>;
  readonly nonces: Map<string, NonceRecord>;
}

type Op = { readonly kind: "put"; readonly binding: Binding } | { readonly kind: "delete"; readonly key: string };

/**
 * BindingStore in one process's memory, for the embedded mode and tests: the same rules as the
 * location service's Redis store (both pass `bindingStoreContract`). A binding is gone when the
 * clock passes its expiry; nothing runs in the background.
 */
export class MemoryBindingStore implements BindingStore {
  private readonly options: MemoryBindingStoreOptions;
  private readonly aors = new Map<string, AorState>();
  private writes = 0;

  constructor(options: Partial<MemoryBindingStoreOptions> = {}) {
    this.options = { ...DEFAULT_MEMORY_BINDING_STORE_OPTIONS, ...options };
  }

  async save(request: SaveBindings): Promise<SaveResult> {
    const problem = saveProblem(request);
    if (problem !== undefined) throw new InvalidSaveError(problem);
    const now = this.options.now();
    const state = this.liveState(request.aor, now);
    const stored = state?.bindings;

    // The nonce is checked first: a replayed request learns nothing about the bindings.
    const nonceUse = request.nonceUse;
    if (nonceUse !== undefined) {
      const last = state?.nonces.get(nonceUse.nonce);
      if (last !== undefined && !nonceAccepted(last, nonceUse.nc, request.callId, request.cseq)) return { outcome: "nonce-replayed" };
    }

    // Decide every change against the stored state before applying any: all or nothing.
    const ops: Op[] = [];
    let count = stored?.size ?? 0;
    if (request.removeAll) {
      if (stored !== undefined) {
        for (const b of stored.values()) {
          const rule = cseqRule(b, request.callId, request.cseq);
          if (rule === "out-of-order") return { outcome: "out-of-order" };
          if (rule === "apply") {
            ops.push({ kind: "delete", key: b.key });
            count--;
          }
        }
      }
    } else {
      for (const change of lastChangePerKey(request.changes)) {
        const current = stored?.get(change.key);
        if (current !== undefined) {
          const rule = cseqRule(current, request.callId, request.cseq);
          if (rule === "out-of-order") return { outcome: "out-of-order" };
          if (rule === "retransmission") continue;
        } else if (change.lifetimeMs === 0) {
          continue;
        }
        if (change.lifetimeMs === 0) {
          ops.push({ kind: "delete", key: change.key });
          count--;
          continue;
        }
        if (current === undefined) count++;
        const { lifetimeMs, ...fields } = change;
        ops.push({
          kind: "put",
          binding: { ...fields, path: [...fields.path], callId: request.callId, cseq: request.cseq, updatedAtMs: request.nowMs, expiresAtMs: now + lifetimeMs },
        });
      }
    }
    if (request.maxBindings > 0 && count > request.maxBindings) return { outcome: "too-many-bindings" };

    const target = state ?? this.createState(request.aor);
    if (nonceUse !== undefined) {
      target.nonces.set(nonceUse.nonce, { nc: nonceUse.nc, callId: request.callId, cseq: request.cseq, expiresAtMs: now + nonceUse.ttlMs });
    }
    for (const op of ops) {
      if (op.kind === "put") target.bindings.set(op.binding.key, op.binding);
      else target.bindings.delete(op.key);
    }
    const bindings = sorted(target.bindings);
    this.forgetIfEmpty(request.aor, target);
    this.countWrite(now);
    return { outcome: "saved", bindings };
  }

  async useNonce(request: UseNonce): Promise<UseNonceResult> {
    const problem = useNonceProblem(request);
    if (problem !== undefined) throw new InvalidSaveError(problem);
    const now = this.options.now();
    const state = this.liveState(request.aor, now);
    const use = request.nonceUse;
    const last = state?.nonces.get(use.nonce);
    if (last !== undefined && !nonceAccepted(last, use.nc, request.callId, request.cseq)) return "nonce-replayed";
    const target = state ?? this.createState(request.aor);
    target.nonces.set(use.nonce, { nc: use.nc, callId: request.callId, cseq: request.cseq, expiresAtMs: now + use.ttlMs });
    this.countWrite(now);
    return "accepted";
  }

  async lookup(aor: string): Promise<Binding[]> {
    const state = this.liveState(aor, this.options.now());
    return state === undefined ? [] : sorted(state.bindings);
  }

  async remove(aor: string, keys: readonly string[]): Promise<number> {
    const state = this.liveState(aor, this.options.now());
    if (state === undefined) return 0;
    let removed = 0;
    if (keys.length === 0) {
      removed = state.bindings.size;
      state.bindings.clear();
    } else {
      for (const key of keys) if (state.bindings.delete(key)) removed++;
    }
    this.forgetIfEmpty(aor, state);
    return removed;
  }

  /** Pages in AOR order; the token is the last AOR of the previous page, so AORs added or removed between pages never shift others. */
  async list(pageSize: number, pageToken: string | undefined): Promise<ListPage> {
    const size = pageSize > 0 ? pageSize : 100;
    const now = this.options.now();
    const after = pageToken === undefined || pageToken === "" ? undefined : pageToken;
    const names = [...this.aors.keys()].filter((a) => after === undefined || a > after).sort();
    const entries: AorBindings[] = [];
    let i = 0;
    for (; i < names.length && entries.length < size; i++) {
      const aor = names[i]!;
      const state = this.liveState(aor, now);
      if (state !== undefined && state.bindings.size > 0) entries.push({ aor, bindings: sorted(state.bindings) });
    }
    const more = i < names.length;
    return { entries, nextPageToken: more && entries.length > 0 ? entries[entries.length - 1]!.aor : undefined };
  }

  async close(): Promise<void> {
    this.aors.clear();
  }

  /** The AOR's state with expired bindings and nonce records dropped; undefined when nothing is left. */
  private liveState(aor: string, now: number): AorState | undefined {
    const state = this.aors.get(aor);
    if (state === undefined) return undefined;
    for (const [key, b] of state.bindings) if (b.expiresAtMs <= now) state.bindings.delete(key);
    for (const [nonce, r] of state.nonces) if (r.expiresAtMs <= now) state.nonces.delete(nonce);
    return this.forgetIfEmpty(aor, state) ? undefined : state;
  }

  private createState(aor: string): AorState {
    const state: AorState = { bindings: new Map(), nonces: new Map() };
    this.aors.set(aor, state);
    return state;
  }

  private forgetIfEmpty(aor: string, state: AorState): boolean {
    if (state.bindings.size > 0 || state.nonces.size > 0) return false;
    this.aors.delete(aor);
    return true;
  }

  /** Without a sweeper, AORs never read again would keep their expired entries: drop them now and then. */
  private countWrite(now: number): void {
    if (++this.writes % this.options.sweepEvery !== 0) return;
    for (const aor of [...this.aors.keys()]) this.liveState(aor, now);
  }
}

/**
 * RFC 3261 §10.3 step 7: "If the binding does exist, the registrar checks the Call-ID value. If
 * the Call-ID value in the existing binding differs from the Call-ID value in the request, the
 * binding MUST be removed if the expiration time is zero and updated otherwise. If they are the
 * same, the registrar compares the CSeq value. If the value is higher than that of the existing
 * binding, it MUST update or remove the binding as above. If not, the update MUST be aborted and
 * the request fails."
 *
 * One deliberate departure: an EQUAL CSeq with the same Call-ID leaves the binding as it is and
 * lets the request succeed. A binding carrying this Call-ID and CSeq was written by this very
 * request, so the request is a retransmission of it: a UDP REGISTER retransmitted after the
 * registrar worker that handled the first copy died, or a save the location client retried on
 * another replica after the first attempt had reached Redis. Failing it would answer a
 * successful registration with an error; applying it again would change nothing.
 */
export function cseqRule(stored: { readonly callId: string; readonly cseq: number }, callId: string, cseq: number): "apply" | "retransmission" | "out-of-order" {
  if (stored.callId !== callId || stored.cseq < cseq) return "apply";
  return stored.cseq === cseq ? "retransmission" : "out-of-order";
}

/**
 * RFC 7616 §3.4.2: the nonce count "to detect request replays by maintaining its own copy of this
 * count — if the same nc-value is seen twice, then the request is a replay". Seen twice with the
 * same Call-ID and CSeq it is the same request retransmitted (the reason above), and passes.
 */
export function nonceAccepted(last: { readonly nc: number; readonly callId: string; readonly cseq: number }, nc: number, callId: string, cseq: number): boolean {
  if (nc > last.nc) return true;
  return nc === last.nc && callId === last.callId && cseq === last.cseq;
}

function sorted(bindings: Map<string, Binding>): Binding[] {
  return [...bindings.values()].sort(compareBindings);
}
