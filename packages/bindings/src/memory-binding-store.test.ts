import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { BindingChange, SaveBindings } from "./binding.js";
import { MemoryBindingStore } from "./memory-binding-store.js";
import { bindingStoreContract } from "./testing.js";

bindingStoreContract("MemoryBindingStore", async () => {
  const store = new MemoryBindingStore();
  return { store, cleanup: () => store.close() };
});

const change = (key: string, lifetimeMs: number): BindingChange => ({
  key,
  contact: `<${key}>`,
  qMillis: 1000,
  instanceId: "",
  regId: 0,
  path: [],
  flow: { edgeId: "e", connectionId: "c", transport: "tcp", remote: { ip: "127.0.0.2", port: 1 }, local: { ip: "127.0.0.1", port: 2 } },
  userAgent: "",
  lifetimeMs,
});

const save = (aor: string, cseq: number, changes: BindingChange[], extra: Partial<SaveBindings> = {}): SaveBindings => ({
  aor,
  callId: "c",
  cseq,
  changes,
  removeAll: false,
  maxBindings: 0,
  nowMs: 0,
  ...extra,
});

describe("MemoryBindingStore with an injected clock", () => {
  it("expires a binding when the clock reaches its expiry, and reports that expiry", async () => {
    let now = 1_000_000;
    const store = new MemoryBindingStore({ now: () => now });
    const r = await store.save(save("sip:a@x", 1, [change("sip:1@h", 5000)]));
    assert.equal(r.outcome, "saved");
    assert.equal((await store.lookup("sip:a@x"))[0]!.expiresAtMs, 1_005_000);
    now += 4999;
    assert.equal((await store.lookup("sip:a@x")).length, 1);
    now += 1;
    assert.deepEqual(await store.lookup("sip:a@x"), []);
    assert.deepEqual((await store.list(10, undefined)).entries, []);
  });

  it("forgets a nonce record at its ttl", async () => {
    let now = 0;
    const store = new MemoryBindingStore({ now: () => now });
    const use = { nonce: "n", nc: 2, ttlMs: 100 };
    assert.equal((await store.save(save("sip:a@x", 1, [], { nonceUse: use }))).outcome, "saved");
    assert.equal((await store.save(save("sip:a@x", 2, [], { nonceUse: use }))).outcome, "nonce-replayed");
    now = 100;
    assert.equal((await store.save(save("sip:a@x", 2, [], { nonceUse: use }))).outcome, "saved");
  });

  it("drops expired entries of AORs never read again (periodic sweep on writes)", async () => {
    let now = 0;
    const store = new MemoryBindingStore({ now: () => now, sweepEvery: 4 });
    await store.save(save("sip:gone@x", 1, [change("sip:1@h", 10)]));
    now = 20;
    for (let i = 0; i < 4; i++) await store.save(save("sip:other@x", i + 1, [change("sip:1@h", 1000)]));
    const aors = (store as unknown as { aors: Map<string, unknown> }).aors;
    assert.deepEqual([...aors.keys()], ["sip:other@x"]);
  });
});
