import type { Binding, ListPage, SaveBindings, SaveResult, UseNonce, UseNonceResult } from "./binding.js";

/**
 * Where bindings live. Adapters: `MemoryBindingStore` (embedded), the Redis store of the location
 * service, and the location service's gRPC client. Every adapter passes `bindingStoreContract`.
 *
 * Bindings expire by themselves: a binding whose lifetime has passed is never returned, with no
 * sweeper running.
 */
export interface BindingStore {
  /**
   * Applies one REGISTER's changes to one AOR atomically with the RFC 3261 §10.3 step 7 rules,
   * checking the nonce use in the same step.
   */
  save(request: SaveBindings): Promise<SaveResult>;
  /**
   * Checks and records a nonce count on its own (RFC 7616 §3.4.2), atomically: refused when the
   * nonce was used with this count or a higher one by another request (an equal count from the
   * same Call-ID and CSeq is that request retransmitted, and passes). The record is shared with
   * `save`'s nonce use for the same AOR and nonce, and expires after `nonceUse.ttlMs`.
   */
  useNonce(request: UseNonce): Promise<UseNonceResult>;
  /** The live bindings of an AOR (none: an empty array). */
  lookup(aor: string): Promise<Binding[]>;
  /** Removes the given keys of an AOR (all when `keys` is empty) and says how many went. */
  remove(aor: string, keys: readonly string[]): Promise<number>;
  /** AORs with live bindings, a page at a time; `pageToken` from the previous page. */
  list(pageSize: number, pageToken: string | undefined): Promise<ListPage>;
  /** Releases connections; the store is not used afterwards. */
  close(): Promise<void>;
}
