/**
 * The contract every BindingStore passes (`@sipfleet/bindings/testing`): the RFC 3261 §10.3
 * step 7 Call-ID/CSeq rules with the equal-CSeq retransmission rule, RFC 5626 keys, nonce-count
 * replay refusal, maxBindings, ordering, all-or-nothing saves, expiry in real time, paging,
 * removal and concurrent saves on one AOR.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Binding, BindingChange, Flow, NonceUse, SaveBindings, SaveResult } from "./binding.js";
import type { BindingStore } from "./binding-store.js";

export interface StoreUnderTest {
  readonly store: BindingStore;
  cleanup(): Promise<void>;
}

const FLOW: Flow = {
  edgeId: "edge-a",
  connectionId: "udp:127.0.0.1:5060/127.0.0.2:5070",
  transport: "udp",
  remote: { ip: "127.0.0.2", port: 5070 },
  local: { ip: "127.0.0.1", port: 5060 },
};

const MINUTE = 60_000;

interface ChangeSpec {
  lifetimeMs?: number;
  qMillis?: number;
  contact?: string;
  instanceId?: string;
  regId?: number;
  path?: string[];
  userAgent?: string;
}

function change(key: string, spec: ChangeSpec = {}): BindingChange {
  return {
    key,
    contact: spec.contact ?? `<${key}>`,
    qMillis: spec.qMillis ?? 1000,
    instanceId: spec.instanceId ?? "",
    regId: spec.regId ?? 0,
    path: spec.path ?? [],
    flow: FLOW,
    userAgent: spec.userAgent ?? "contract/1.0",
    lifetimeMs: spec.lifetimeMs ?? MINUTE,
  };
}

interface RequestSpec {
  callId?: string;
  cseq: number;
  changes?: BindingChange[];
  removeAll?: boolean;
  nonceUse?: NonceUse;
  maxBindings?: number;
  nowMs?: number;
}

function request(aor: string, spec: RequestSpec): SaveBindings {
  return {
    aor,
    callId: spec.callId ?? "call-1",
    cseq: spec.cseq,
    changes: spec.changes ?? [],
    removeAll: spec.removeAll ?? false,
    nonceUse: spec.nonceUse,
    maxBindings: spec.maxBindings ?? 0,
    nowMs: spec.nowMs ?? Date.now(),
  };
}

function uniqueAor(label: string): string {
  return `sip:${label}-${randomUUID()}@contract.test`;
}

function saved(result: SaveResult): readonly Binding[] {
  assert.equal(result.outcome, "saved", `expected "saved", got "${result.outcome}"`);
  return (result as { bindings: readonly Binding[] }).bindings;
}

function keys(bindings: readonly Binding[]): string[] {
  return bindings.map((b) => b.key);
}

function withoutExpiry(b: Binding): Omit<Binding, "expiresAtMs"> {
  const { expiresAtMs: _, ...rest } = b;
  return { ...rest, path: [...rest.path] };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Registers the contract tests (node:test describe/it) for a store. `makeStore` is called once
 * per test; stores may share one backend: every test uses AORs of its own.
 */
export function bindingStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  const withStore = (fn: (store: BindingStore) => Promise<void>) => async () => {
    const { store, cleanup } = await makeStore();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  };

  describe(`BindingStore contract: ${name}`, () => {
    describe("adding, refreshing, removing (RFC 3261 §10.3 step 7)", () => {
      it("adds a binding and returns every field as saved, expiresAtMs from the lifetime", withStore(async (store) => {
        const aor = uniqueAor("add");
        const nowMs = Date.now();
        const c = change("sip:alice@127.0.0.2:5070", {
          contact: '"Alice" <sip:alice@127.0.0.2:5070>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000a95a0e128>";reg-id=1',
          qMillis: 700,
          instanceId: "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>",
          regId: 1,
          path: ["<sip:edge-a@127.0.0.1;lr;ob>", "<sip:p2@127.0.0.1;lr>"],
          userAgent: "Phone/2.1",
        });
        const bindings = saved(await store.save(request(aor, { cseq: 1, changes: [c], nowMs })));
        assert.equal(bindings.length, 1);
        const b = bindings[0]!;
        assert.equal(b.key, c.key);
        assert.equal(b.contact, c.contact);
        assert.equal(b.callId, "call-1");
        assert.equal(b.cseq, 1);
        assert.equal(b.qMillis, 700);
        assert.equal(b.instanceId, c.instanceId);
        assert.equal(b.regId, 1);
        assert.deepEqual([...b.path], c.path);
        assert.deepEqual(b.flow, FLOW);
        assert.equal(b.userAgent, "Phone/2.1");
        assert.equal(b.updatedAtMs, nowMs);
        const after = Date.now();
        assert.ok(b.expiresAtMs >= nowMs + MINUTE - 1500 && b.expiresAtMs <= after + MINUTE + 1500, `expiresAtMs ${b.expiresAtMs - after} ms from now`);
        const looked = await store.lookup(aor);
        assert.equal(looked.length, 1);
        assert.deepEqual(withoutExpiry(looked[0]!), withoutExpiry(b));
        assert.ok(Math.abs(looked[0]!.expiresAtMs - b.expiresAtMs) < 1500, "lookup tells the same expiry");
      }));

      it("ignores a removal (lifetime 0) of a binding it does not hold", withStore(async (store) => {
        const aor = uniqueAor("ignore");
        assert.deepEqual(saved(await store.save(request(aor, { cseq: 1, changes: [change("sip:a@127.0.0.2", { lifetimeMs: 0 })] }))), []);
        assert.deepEqual(await store.lookup(aor), []);
      }));

      it("refreshes with a higher CSeq and the same Call-ID, then removes with lifetime 0", withStore(async (store) => {
        const aor = uniqueAor("refresh");
        const k = "sip:bob@127.0.0.2";
        saved(await store.save(request(aor, { cseq: 1, changes: [change(k, { contact: "<sip:bob@127.0.0.2>;v=1" })], nowMs: 1000 })));
        const refreshed = saved(await store.save(request(aor, { cseq: 2, changes: [change(k, { contact: "<sip:bob@127.0.0.2>;v=2", qMillis: 400 })], nowMs: 2000 })));
        assert.equal(refreshed.length, 1);
        assert.equal(refreshed[0]!.contact, "<sip:bob@127.0.0.2>;v=2");
        assert.equal(refreshed[0]!.cseq, 2);
        assert.equal(refreshed[0]!.qMillis, 400);
        assert.equal(refreshed[0]!.updatedAtMs, 2000);
        assert.deepEqual(saved(await store.save(request(aor, { cseq: 3, changes: [change(k, { lifetimeMs: 0 })] }))), []);
        assert.deepEqual(await store.lookup(aor), []);
      }));

      it("updates or removes a binding of another Call-ID whatever its CSeq", withStore(async (store) => {
        const aor = uniqueAor("other-call");
        const k = "sip:carol@127.0.0.2";
        saved(await store.save(request(aor, { callId: "first", cseq: 100, changes: [change(k)] })));
        const updated = saved(await store.save(request(aor, { callId: "second", cseq: 1, changes: [change(k, { contact: "<sip:carol@127.0.0.2>;new" })] })));
        assert.equal(updated[0]!.callId, "second");
        assert.equal(updated[0]!.cseq, 1);
        assert.equal(updated[0]!.contact, "<sip:carol@127.0.0.2>;new");
        assert.deepEqual(saved(await store.save(request(aor, { callId: "third", cseq: 1, changes: [change(k, { lifetimeMs: 0 })] }))), []);
      }));

      it("refuses a lower CSeq with the same Call-ID as out-of-order and keeps the binding", withStore(async (store) => {
        const aor = uniqueAor("lower");
        const k = "sip:dave@127.0.0.2";
        const before = saved(await store.save(request(aor, { cseq: 5, changes: [change(k, { contact: "<sip:dave@127.0.0.2>;v=5" })] })));
        assert.deepEqual(await store.save(request(aor, { cseq: 4, changes: [change(k, { contact: "<sip:dave@127.0.0.2>;v=4" })] })), { outcome: "out-of-order" });
        assert.deepEqual(await store.save(request(aor, { cseq: 4, changes: [change(k, { lifetimeMs: 0 })] })), { outcome: "out-of-order" });
        const now = await store.lookup(aor);
        assert.deepEqual(keys(now), [k]);
        assert.equal(now[0]!.contact, before[0]!.contact);
        assert.equal(now[0]!.cseq, 5);
      }));

      it("takes an equal CSeq with the same Call-ID as a retransmission: saved, binding unchanged", withStore(async (store) => {
        const aor = uniqueAor("equal");
        const k = "sip:erin@127.0.0.2";
        saved(await store.save(request(aor, { cseq: 7, changes: [change(k, { contact: "<sip:erin@127.0.0.2>;first" })], nowMs: 1000 })));
        const again = saved(await store.save(request(aor, { cseq: 7, changes: [change(k, { contact: "<sip:erin@127.0.0.2>;second" })], nowMs: 2000 })));
        assert.equal(again.length, 1);
        assert.equal(again[0]!.contact, "<sip:erin@127.0.0.2>;first");
        assert.equal(again[0]!.updatedAtMs, 1000);
        const removal = saved(await store.save(request(aor, { cseq: 7, changes: [change(k, { lifetimeMs: 0 })] })));
        assert.deepEqual(keys(removal), [k], "an equal CSeq does not remove either");
      }));

      it("the last change for a key in one request wins", withStore(async (store) => {
        const aor = uniqueAor("dup");
        const k = "sip:dup@127.0.0.2";
        const b = saved(await store.save(request(aor, { cseq: 1, changes: [change(k, { contact: "<sip:dup@127.0.0.2>;a" }), change(k, { contact: "<sip:dup@127.0.0.2>;b" })] })));
        assert.deepEqual(b.map((x) => x.contact), ["<sip:dup@127.0.0.2>;b"]);
      }));
    });

    describe("Contact: * (removeAll)", () => {
      it("removes every binding of the AOR, of any Call-ID", withStore(async (store) => {
        const aor = uniqueAor("star");
        saved(await store.save(request(aor, { callId: "a", cseq: 1, changes: [change("sip:1@127.0.0.2"), change("sip:2@127.0.0.2")] })));
        saved(await store.save(request(aor, { callId: "b", cseq: 9, changes: [change("sip:3@127.0.0.2")] })));
        assert.deepEqual(saved(await store.save(request(aor, { callId: "a", cseq: 2, removeAll: true }))), []);
        assert.deepEqual(await store.lookup(aor), []);
      }));

      it("is out-of-order, removing nothing, when a binding has the same Call-ID and a higher CSeq", withStore(async (store) => {
        const aor = uniqueAor("star-ooo");
        saved(await store.save(request(aor, { callId: "other", cseq: 1, changes: [change("sip:1@127.0.0.2")] })));
        saved(await store.save(request(aor, { callId: "mine", cseq: 10, changes: [change("sip:2@127.0.0.2")] })));
        assert.deepEqual(await store.save(request(aor, { callId: "mine", cseq: 9, removeAll: true })), { outcome: "out-of-order" });
        assert.deepEqual(keys(await store.lookup(aor)).sort(), ["sip:1@127.0.0.2", "sip:2@127.0.0.2"]);
      }));

      it("keeps a binding whose Call-ID and CSeq equal the request's (a retransmission) and removes the others", withStore(async (store) => {
        const aor = uniqueAor("star-equal");
        saved(await store.save(request(aor, { callId: "other", cseq: 1, changes: [change("sip:1@127.0.0.2")] })));
        saved(await store.save(request(aor, { callId: "mine", cseq: 4, changes: [change("sip:2@127.0.0.2")] })));
        assert.deepEqual(keys(saved(await store.save(request(aor, { callId: "mine", cseq: 4, removeAll: true })))), ["sip:2@127.0.0.2"]);
      }));

      it("succeeds on an AOR without bindings", withStore(async (store) => {
        assert.deepEqual(saved(await store.save(request(uniqueAor("star-empty"), { cseq: 1, removeAll: true }))), []);
      }));
    });

    describe("nonce-count replay (RFC 7616 §3.4.2)", () => {
      const nonce = (nc: number, value = "nonce-1"): NonceUse => ({ nonce: value, nc, ttlMs: MINUTE });

      it("accepts a first use and each higher count", withStore(async (store) => {
        const aor = uniqueAor("nc");
        saved(await store.save(request(aor, { cseq: 1, changes: [change("sip:1@127.0.0.2")], nonceUse: nonce(1) })));
        saved(await store.save(request(aor, { cseq: 2, changes: [change("sip:2@127.0.0.2")], nonceUse: nonce(2) })));
        saved(await store.save(request(aor, { cseq: 3, changes: [change("sip:3@127.0.0.2")], nonceUse: nonce(7) })));
        assert.equal((await store.lookup(aor)).length, 3);
      }));

      it("refuses an equal or lower count from another request, applying nothing", withStore(async (store) => {
        const aor = uniqueAor("nc-replay");
        saved(await store.save(request(aor, { cseq: 1, changes: [change("sip:1@127.0.0.2")], nonceUse: nonce(5) })));
        assert.deepEqual(await store.save(request(aor, { cseq: 2, changes: [change("sip:2@127.0.0.2")], nonceUse: nonce(5) })), { outcome: "nonce-replayed" });
        assert.deepEqual(await store.save(request(aor, { callId: "x", cseq: 1, changes: [change("sip:3@127.0.0.2")], nonceUse: nonce(5) })), { outcome: "nonce-replayed" });
        assert.deepEqual(await store.save(request(aor, { cseq: 3, changes: [change("sip:4@127.0.0.2")], nonceUse: nonce(4) })), { outcome: "nonce-replayed" });
        assert.deepEqual(keys(await store.lookup(aor)), ["sip:1@127.0.0.2"]);
      }));

      it("accepts the same count from the same Call-ID and CSeq (a retransmission)", withStore(async (store) => {
        const aor = uniqueAor("nc-retx");
        const first = saved(await store.save(request(aor, { cseq: 1, changes: [change("sip:1@127.0.0.2")], nonceUse: nonce(1) })));
        const again = saved(await store.save(request(aor, { cseq: 1, changes: [change("sip:1@127.0.0.2")], nonceUse: nonce(1) })));
        assert.deepEqual(keys(again), keys(first));
      }));

      it("keeps counts per AOR and per nonce", withStore(async (store) => {
        const a = uniqueAor("nc-a");
        const b = uniqueAor("nc-b");
        saved(await store.save(request(a, { cseq: 1, changes: [change("sip:1@127.0.0.2")], nonceUse: nonce(3) })));
        saved(await store.save(request(b, { cseq: 1, changes: [change("sip:1@127.0.0.2")], nonceUse: nonce(1) })));
        saved(await store.save(request(a, { cseq: 2, changes: [change("sip:2@127.0.0.2")], nonceUse: nonce(1, "nonce-2") })));
      }));
    });

    describe("useNonce: a nonce count on its own (a proxy's credentials)", () => {
      const use = (aor: string, nc: number, spec: { callId?: string; cseq?: number; nonce?: string; ttlMs?: number } = {}) => ({
        aor,
        callId: spec.callId ?? "invite-1",
        cseq: spec.cseq ?? 1,
        nonceUse: { nonce: spec.nonce ?? "proxy-nonce", nc, ttlMs: spec.ttlMs ?? MINUTE },
      });

      it("accepts a first use and each higher count, refuses an equal or lower one from another request", withStore(async (store) => {
        const aor = uniqueAor("use");
        assert.equal(await store.useNonce(use(aor, 1)), "accepted");
        assert.equal(await store.useNonce(use(aor, 2, { cseq: 2 })), "accepted");
        assert.equal(await store.useNonce(use(aor, 2, { cseq: 3 })), "nonce-replayed");
        assert.equal(await store.useNonce(use(aor, 1, { callId: "other" })), "nonce-replayed");
        assert.equal(await store.useNonce(use(aor, 9, { cseq: 4 })), "accepted");
      }));

      it("accepts the same count from the same Call-ID and CSeq (a retransmission asked again)", withStore(async (store) => {
        const aor = uniqueAor("use-retx");
        assert.equal(await store.useNonce(use(aor, 4)), "accepted");
        assert.equal(await store.useNonce(use(aor, 4)), "accepted");
      }));

      it("shares the record with save's nonce use for the same AOR and nonce", withStore(async (store) => {
        const aor = uniqueAor("use-shared");
        saved(await store.save(request(aor, { cseq: 1, changes: [change("sip:1@127.0.0.2")], nonceUse: { nonce: "shared", nc: 3, ttlMs: MINUTE } })));
        assert.equal(await store.useNonce(use(aor, 3, { nonce: "shared" })), "nonce-replayed");
        assert.equal(await store.useNonce(use(aor, 5, { nonce: "shared" })), "accepted");
        assert.deepEqual(await store.save(request(aor, { cseq: 2, changes: [change("sip:2@127.0.0.2")], nonceUse: { nonce: "shared", nc: 4, ttlMs: MINUTE } })), { outcome: "nonce-replayed" });
        // Per AOR: another user's counts are their own.
        assert.equal(await store.useNonce(use(uniqueAor("use-other"), 1, { nonce: "shared" })), "accepted");
        // A nonce record alone changes no bindings and lists no AOR.
        assert.deepEqual(keys(await store.lookup(aor)), ["sip:1@127.0.0.2"]);
        const only = uniqueAor("use-only");
        assert.equal(await store.useNonce(use(only, 1)), "accepted");
        assert.deepEqual(await store.lookup(only), []);
        assert.ok(!(await listAll(store, 100)).has(only));
      }));

      it("forgets the count when the nonce's time is up (real time)", withStore(async (store) => {
        const aor = uniqueAor("use-exp");
        assert.equal(await store.useNonce(use(aor, 2, { ttlMs: 500 })), "accepted");
        assert.equal(await store.useNonce(use(aor, 2, { cseq: 2, ttlMs: 500 })), "nonce-replayed");
        await sleep(800);
        assert.equal(await store.useNonce(use(aor, 2, { cseq: 2, ttlMs: 500 })), "accepted");
      }));

      it("rejects a use no request can make (empty AOR or nonce, no time to live)", withStore(async (store) => {
        await assert.rejects(store.useNonce(use("", 1)));
        await assert.rejects(store.useNonce(use(uniqueAor("use-bad"), 1, { nonce: "" })));
        await assert.rejects(store.useNonce(use(uniqueAor("use-bad"), 1, { ttlMs: 0 })));
      }));
    });

    describe("maxBindings", () => {
      it("refuses a save that would leave more bindings, applying nothing", withStore(async (store) => {
        const aor = uniqueAor("max");
        saved(await store.save(request(aor, { callId: "a", cseq: 1, changes: [change("sip:1@127.0.0.2"), change("sip:2@127.0.0.2")], maxBindings: 2 })));
        const refresh = change("sip:1@127.0.0.2", { contact: "<sip:1@127.0.0.2>;refreshed" });
        assert.deepEqual(
          await store.save(request(aor, { callId: "a", cseq: 2, changes: [refresh, change("sip:3@127.0.0.2")], maxBindings: 2 })),
          { outcome: "too-many-bindings" },
        );
        const now = await store.lookup(aor);
        assert.deepEqual(keys(now).sort(), ["sip:1@127.0.0.2", "sip:2@127.0.0.2"]);
        assert.equal(now.find((b) => b.key === "sip:1@127.0.0.2")!.contact, "<sip:1@127.0.0.2>");
      }));

      it("counts removals in the same request, and 0 means no limit", withStore(async (store) => {
        const aor = uniqueAor("max-swap");
        saved(await store.save(request(aor, { cseq: 1, changes: [change("sip:1@127.0.0.2"), change("sip:2@127.0.0.2")], maxBindings: 2 })));
        const swapped = saved(await store.save(request(aor, { cseq: 2, changes: [change("sip:1@127.0.0.2", { lifetimeMs: 0 }), change("sip:3@127.0.0.2")], maxBindings: 2 })));
        assert.deepEqual(keys(swapped).sort(), ["sip:2@127.0.0.2", "sip:3@127.0.0.2"]);
        const many = Array.from({ length: 20 }, (_, i) => change(`sip:m${i}@127.0.0.2`));
        assert.equal(saved(await store.save(request(aor, { cseq: 3, changes: many, maxBindings: 0 }))).length, 22);
      }));
    });

    describe("all or nothing", () => {
      it("an out-of-order change fails the whole save: earlier valid changes and the nonce are not applied", withStore(async (store) => {
        const aor = uniqueAor("atomic");
        saved(await store.save(request(aor, { cseq: 10, changes: [change("sip:held@127.0.0.2")] })));
        const result = await store.save(
          request(aor, {
            cseq: 9,
            changes: [change("sip:new@127.0.0.2"), change("sip:held@127.0.0.2", { lifetimeMs: 0 })],
            nonceUse: { nonce: "n-atomic", nc: 1, ttlMs: MINUTE },
          }),
        );
        assert.deepEqual(result, { outcome: "out-of-order" });
        assert.deepEqual(keys(await store.lookup(aor)), ["sip:held@127.0.0.2"]);
        // The nonce count was not recorded: another request may still use nc=1.
        saved(await store.save(request(aor, { callId: "other", cseq: 1, changes: [], nonceUse: { nonce: "n-atomic", nc: 1, ttlMs: MINUTE } })));
      }));

      it("a too-many-bindings save records no nonce use either", withStore(async (store) => {
        const aor = uniqueAor("atomic-max");
        const use = { nonce: "n-max", nc: 1, ttlMs: MINUTE };
        assert.deepEqual(
          await store.save(request(aor, { cseq: 1, changes: [change("sip:1@127.0.0.2"), change("sip:2@127.0.0.2")], maxBindings: 1, nonceUse: use })),
          { outcome: "too-many-bindings" },
        );
        assert.deepEqual(await store.lookup(aor), []);
        saved(await store.save(request(aor, { callId: "other", cseq: 1, changes: [change("sip:1@127.0.0.2")], nonceUse: use })));
      }));

      it("rejects a request no REGISTER can make (removeAll with changes, empty AOR)", withStore(async (store) => {
        await assert.rejects(store.save(request(uniqueAor("bad"), { cseq: 1, removeAll: true, changes: [change("sip:1@127.0.0.2")] })));
        await assert.rejects(store.save(request("", { cseq: 1, changes: [change("sip:1@127.0.0.2")] })));
      }));
    });

    it("orders bindings by q descending, then most recently updated", withStore(async (store) => {
      const aor = uniqueAor("order");
      saved(await store.save(request(aor, { callId: "a", cseq: 1, changes: [change("sip:low@127.0.0.2", { qMillis: 100 })], nowMs: 5000 })));
      saved(await store.save(request(aor, { callId: "b", cseq: 1, changes: [change("sip:old@127.0.0.2", { qMillis: 900 })], nowMs: 1000 })));
      saved(await store.save(request(aor, { callId: "c", cseq: 1, changes: [change("sip:new@127.0.0.2", { qMillis: 900 })], nowMs: 3000 })));
      const result = saved(await store.save(request(aor, { callId: "d", cseq: 1, changes: [change("sip:top@127.0.0.2", { qMillis: 1000 })], nowMs: 2000 })));
      const expected = ["sip:top@127.0.0.2", "sip:new@127.0.0.2", "sip:old@127.0.0.2", "sip:low@127.0.0.2"];
      assert.deepEqual(keys(result), expected);
      assert.deepEqual(keys(await store.lookup(aor)), expected);
    }));

    it("expires bindings and nonce records by themselves (real time)", withStore(async (store) => {
      const aor = uniqueAor("expiry");
      const use = { nonce: "n-exp", nc: 3, ttlMs: 1000 };
      saved(await store.save(request(aor, { cseq: 1, changes: [change("sip:short@127.0.0.2", { lifetimeMs: 1000 }), change("sip:long@127.0.0.2")], nonceUse: use })));
      const other = uniqueAor("expiry-only");
      saved(await store.save(request(other, { cseq: 1, changes: [change("sip:short@127.0.0.2", { lifetimeMs: 1000 })] })));
      assert.deepEqual(keys(await store.lookup(aor)).sort(), ["sip:long@127.0.0.2", "sip:short@127.0.0.2"]);
      assert.ok((await listAll(store, 100)).has(other));
      await sleep(1300);
      assert.deepEqual(keys(await store.lookup(aor)), ["sip:long@127.0.0.2"]);
      assert.deepEqual(await store.lookup(other), []);
      const listed = await listAll(store, 100);
      assert.ok(!listed.has(other), "an AOR whose bindings all expired is not listed");
      assert.deepEqual(keys(listed.get(aor) ?? []), ["sip:long@127.0.0.2"]);
      // The nonce record went with its ttl: the same count is new again.
      saved(await store.save(request(aor, { callId: "later", cseq: 1, changes: [], nonceUse: use })));
      assert.deepEqual(keys(saved(await store.save(request(aor, { callId: "later", cseq: 2, changes: [] })))), ["sip:long@127.0.0.2"]);
    }));

    it("lists every AOR with bindings exactly once across pages", withStore(async (store) => {
      const tag = randomUUID();
      const aors = Array.from({ length: 25 }, (_, i) => `sip:page${i}-${tag}@contract.test`);
      await Promise.all(aors.map((aor) => store.save(request(aor, { cseq: 1, changes: [change("sip:x@127.0.0.2")] })).then(saved)));
      const seen = new Map<string, number>();
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await store.list(10, token);
        assert.ok(page.entries.length <= 10, `page of ${page.entries.length}`);
        for (const e of page.entries) {
          seen.set(e.aor, (seen.get(e.aor) ?? 0) + 1);
          assert.ok(e.bindings.length > 0);
          if (e.aor.endsWith(`-${tag}@contract.test`)) assert.deepEqual(keys(e.bindings), ["sip:x@127.0.0.2"]);
        }
        token = page.nextPageToken;
        assert.ok(++pages < 1000, "paging ends");
      } while (token !== undefined);
      for (const aor of aors) assert.equal(seen.get(aor), 1, `${aor} seen ${seen.get(aor) ?? 0} times`);
      for (const [aor, n] of seen) assert.equal(n, 1, `${aor} seen ${n} times`);
    }));

    it("removes bindings by key, or all of them, and says how many went", withStore(async (store) => {
      const aor = uniqueAor("remove");
      saved(await store.save(request(aor, { cseq: 1, changes: ["1", "2", "3", "4"].map((n) => change(`sip:${n}@127.0.0.2`)) })));
      assert.equal(await store.remove(aor, ["sip:1@127.0.0.2", "sip:nope@127.0.0.2"]), 1);
      assert.equal(await store.remove(aor, ["sip:1@127.0.0.2"]), 0);
      assert.deepEqual(keys(await store.lookup(aor)).sort(), ["sip:2@127.0.0.2", "sip:3@127.0.0.2", "sip:4@127.0.0.2"]);
      assert.equal(await store.remove(aor, []), 3);
      assert.deepEqual(await store.lookup(aor), []);
      assert.equal(await store.remove(aor, []), 0);
      assert.equal(await store.remove(uniqueAor("never"), ["sip:1@127.0.0.2"]), 0);
      // Removal does not apply the §10.3 rules: a later REGISTER of the same call adds again.
      assert.equal(saved(await store.save(request(aor, { cseq: 2, changes: [change("sip:1@127.0.0.2")] }))).length, 1);
    }));

    it("50 concurrent saves of one binding (CSeq 1..50, one Call-ID, random order) never let a lower CSeq overwrite a higher one", withStore(async (store) => {
      const aor = uniqueAor("race");
      const k = "sip:racer@127.0.0.2";
      const cseqs = shuffled(Array.from({ length: 50 }, (_, i) => i + 1));
      const results = await Promise.all(
        cseqs.map((cseq) => store.save(request(aor, { callId: "race", cseq, changes: [change(k, { contact: `<sip:racer@127.0.0.2>;cseq=${cseq}` })] }))),
      );
      let applied = 0;
      results.forEach((result, i) => {
        if (result.outcome === "out-of-order") return;
        const bindings = saved(result);
        applied++;
        // Atomic per AOR: a saved result shows the binding as this request left it.
        assert.equal(bindings.length, 1);
        assert.equal(bindings[0]!.cseq, cseqs[i]);
        assert.equal(bindings[0]!.contact, `<sip:racer@127.0.0.2>;cseq=${cseqs[i]}`);
      });
      assert.ok(applied >= 1);
      const final = await store.lookup(aor);
      assert.equal(final.length, 1);
      assert.equal(final[0]!.cseq, 50);
      assert.equal(final[0]!.contact, "<sip:racer@127.0.0.2>;cseq=50");
    }));
  });
}

/** Every AOR the store lists, paging through to the end. */
async function listAll(store: BindingStore, pageSize: number): Promise<Map<string, readonly Binding[]>> {
  const all = new Map<string, readonly Binding[]>();
  let token: string | undefined;
  do {
    const page = await store.list(pageSize, token);
    for (const e of page.entries) all.set(e.aor, e.bindings);
    token = page.nextPageToken;
  } while (token !== undefined);
  return all;
}
export { callSlotsContract, type CallSlotsUnderTest } from "./call-slots-testing.js";
