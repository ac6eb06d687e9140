import type { Binding, BindingChange, NonceUse, SaveBindings, UseNonce } from "./binding.js";

/**
 * Helpers every BindingStore shares so that they agree on the details the interface leaves open.
 */

/**
 * The order a store returns an AOR's bindings in: q descending (RFC 3261 §20.10 "more preferred
 * ... higher q"), then most recently updated, then by key so the order is total.
 */
export function compareBindings(a: Binding, b: Binding): number {
  if (a.qMillis !== b.qMillis) return b.qMillis - a.qMillis;
  if (a.updatedAtMs !== b.updatedAtMs) return b.updatedAtMs - a.updatedAtMs;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * One change per key, the last one a REGISTER lists winning (its Contact values are processed in
 * order, RFC 3261 §10.3 step 7, so a later one for the same binding supersedes an earlier one).
 * Returns the input itself when no key repeats, the common case.
 */
export function lastChangePerKey(changes: readonly BindingChange[]): readonly BindingChange[] {
  if (changes.length < 2) return changes;
  const seen = new Set<string>();
  let repeated = false;
  for (const c of changes) {
    if (seen.has(c.key)) {
      repeated = true;
      break;
    }
    seen.add(c.key);
  }
  if (!repeated) return changes;
  const last = new Map<string, BindingChange>();
  for (const c of changes) {
    last.delete(c.key);
    last.set(c.key, c);
  }
  return [...last.values()];
}

/** Thrown by stores for a SaveBindings no REGISTER can produce (a caller bug, not a store failure). */
export class InvalidSaveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidSaveError";
  }
}

/**
 * Checks what every store relies on; returns why the request is invalid, or undefined.
 * RFC 3261 §10.3 step 6: `Contact: *` "MUST NOT be used unless Expires is 0 and it is the only
 * Contact" — so removeAll comes without changes.
 */
export function saveProblem(request: SaveBindings): string | undefined {
  if (request.aor === "") return "aor is empty";
  if (request.callId === "") return "callId is empty";
  if (!isUint32(request.cseq)) return "cseq must be an integer 0..2^32-1";
  if (request.removeAll && request.changes.length > 0) return "removeAll excludes changes";
  if (!(Number.isInteger(request.maxBindings) && request.maxBindings >= 0)) return "maxBindings must be an integer >= 0";
  for (let i = 0; i < request.changes.length; i++) {
    const c = request.changes[i]!;
    if (c.key === "") return `changes[${i}].key is empty`;
    if (!(Number.isFinite(c.lifetimeMs) && c.lifetimeMs >= 0)) return `changes[${i}].lifetimeMs must be >= 0`;
  }
  return request.nonceUse === undefined ? undefined : nonceUseProblem(request.nonceUse);
}

/** Checks a nonce use on its own (a request that writes no bindings); why it is invalid, or undefined. */
export function useNonceProblem(request: UseNonce): string | undefined {
  if (request.aor === "") return "aor is empty";
  if (request.callId === "") return "callId is empty";
  if (!isUint32(request.cseq)) return "cseq must be an integer 0..2^32-1";
  return nonceUseProblem(request.nonceUse);
}

function nonceUseProblem(n: NonceUse): string | undefined {
  if (n.nonce === "") return "nonceUse.nonce is empty";
  if (!isUint32(n.nc)) return "nonceUse.nc must be an integer 0..2^32-1";
  if (!(Number.isFinite(n.ttlMs) && n.ttlMs > 0)) return "nonceUse.ttlMs must be > 0";
  return undefined;
}

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}
