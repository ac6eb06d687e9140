import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startRedisServer, type EngineProcess } from "@sipfleet/testing";
import { bindingStoreContract } from "@sipfleet/bindings/testing";
import type { BindingChange, SaveBindings } from "@sipfleet/bindings";
import { Binding as WireBinding } from "@sipfleet/proto";
import { RedisBindingStore } from "./redis-binding-store.js";
import { AorKeys } from "./redis-keys.js";

let engine: Promise<EngineProcess> | undefined;
const redisServer = () => (engine ??= startRedisServer());
after(async () => {
  if (engine !== undefined) await (await engine).stop();
});

bindingStoreContract("RedisBindingStore (own connection from a URL)", async () => {
  const store = new RedisBindingStore((await redisServer()).url);
  return { store, cleanup: () => store.close() };
});

bindingStoreContract("RedisBindingStore (caller's ioredis connection)", async () => {
  const redis = new Redis((await redisServer()).url, { enableAutoPipelining: true });
  const store = new RedisBindingStore(redis);
  return {
    store,
    cleanup: async () => {
      await store.close();
      const status = redis.status;
      await redis.quit();
      assert.ok(status === "ready" || status === "connecting" || status === "connect", `the store leaves a connection it does not own open (${status})`);
    },
  };
});

const FLOW = { edgeId: "e1", connectionId: "c1", transport: "tcp", remote: { ip: "127.0.0.2", port: 5070 }, local: { ip: "127.0.0.1", port: 5060 } } as const;

function change(key: string, lifetimeMs: number): BindingChange {
  return { key, contact: `<${key}>`, qMillis: 1000, instanceId: "", regId: 0, path: [], flow: FLOW, userAgent: "t", lifetimeMs };
}

function save(aor: string, cseq: number, changes: BindingChange[], extra: Partial<SaveBindings> = {}): SaveBindings {
  return { aor, callId: "call", cseq, changes, removeAll: false, maxBindings: 0, nowMs: 1234, ...extra };
}

describe("RedisBindingStore key schema", () => {
  it("one key per binding with its lifetime as TTL, the index TTL the longest, the nonce record with its ttl, all under the AOR's hash tag", async () => {
    const server = await redisServer();
    const raw = new Redis(server.url);
    const store = new RedisBindingStore(server.url);
    try {
      const aor = "sip:schema@example.test";
      const result = await store.save(
        save(aor, 3, [change("sip:short@127.0.0.2", 20_000), change("sip:long@127.0.0.2", 90_000)], { nonceUse: { nonce: "abc", nc: 1, ttlMs: 30_000 } }),
      );
      assert.equal(result.outcome, "saved");
      const keys = (await raw.keys("*")).filter((k) => k.includes("{sip:schema@example.test}")).sort();
      const k = new AorKeys("sipfleet:loc:", aor);
      assert.deepEqual(keys, [k.binding("sip:long@127.0.0.2"), k.binding("sip:short@127.0.0.2"), k.index, k.nonce("abc")].sort());
      for (const key of keys) assert.ok(key.startsWith("sipfleet:loc:{sip:schema@example.test}:"), key);
      const near = (ttl: number, expected: number) => assert.ok(ttl <= expected && ttl > expected - 2000, `pttl ${ttl}, expected about ${expected}`);
      near(await raw.pttl(k.binding("sip:short@127.0.0.2")), 20_000);
      near(await raw.pttl(k.binding("sip:long@127.0.0.2")), 90_000);
      near(await raw.pttl(k.index), 90_000);
      near(await raw.pttl(k.nonce("abc")), 30_000);
      assert.equal(await raw.type(k.index), "set");
      // The value is the protobuf Binding, with the request's Call-ID, CSeq and time.
      const stored = await raw.hgetallBuffer(k.binding("sip:short@127.0.0.2"));
      const wire = WireBinding.decode(stored.v!);
      assert.equal(wire.key, "sip:short@127.0.0.2");
      assert.equal(wire.callId, "call");
      assert.equal(wire.cseq, 3);
      assert.equal(wire.updatedAtMs, 1234);
      assert.equal(stored.c!.toString(), "call");
      assert.equal(stored.s!.toString(), "3");
      assert.deepEqual(await raw.hgetall(k.nonce("abc")), { nc: "1", c: "call", s: "3" });

      // Removing the longer binding brings the index TTL down to the remaining one.
      await store.save(save(aor, 4, [change("sip:long@127.0.0.2", 0)]));
      near(await raw.pttl(k.index), 20_000);
      // Removing the last binding removes the index.
      await store.remove(aor, ["sip:short@127.0.0.2"]);
      assert.equal(await raw.exists(k.index), 0);
    } finally {
      await store.close();
      await raw.quit();
    }
  });

  it("prunes the ids of expired bindings from the index when it reads it", async () => {
    const server = await redisServer();
    const raw = new Redis(server.url);
    const store = new RedisBindingStore(server.url);
    try {
      const aor = "sip:prune@example.test";
      await store.save(save(aor, 1, [change("sip:a@127.0.0.2", 200), change("sip:b@127.0.0.2", 60_000)]));
      const k = new AorKeys("sipfleet:loc:", aor);
      assert.equal(await raw.scard(k.index), 2);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await raw.scard(k.index), 2, "nothing runs in the background");
      assert.deepEqual((await store.lookup(aor)).map((b) => b.key), ["sip:b@127.0.0.2"]);
      assert.equal(await raw.scard(k.index), 1);
    } finally {
      await store.close();
      await raw.quit();
    }
  });

  it("an AOR with `}` or glob characters keeps all its keys under one tag and is listed", async () => {
    const server = await redisServer();
    const store = new RedisBindingStore(server.url);
    try {
      const aor = "sip:we}ird*[x]?@example.test";
      assert.equal((await store.save(save(aor, 1, [change("sip:a@127.0.0.2", 60_000)]))).outcome, "saved");
      assert.equal((await store.lookup(aor)).length, 1);
      let token: string | undefined;
      const seen: string[] = [];
      do {
        const page = await store.list(50, token);
        seen.push(...page.entries.map((e) => e.aor));
        token = page.nextPageToken;
      } while (token !== undefined);
      assert.ok(seen.includes(aor));
      await assert.rejects(store.list(10, "not-a-token"), /page token/);
    } finally {
      await store.close();
    }
  });
});

describe("RedisBindingStore across a Redis restart", () => {
  it("fails calls with errors while Redis is down, then serves again by itself", async () => {
    const server = await startRedisServer();
    const store = new RedisBindingStore(server.url);
    try {
      const aor = "sip:restart@example.test";
      assert.equal((await store.save(save(aor, 1, [change("sip:a@127.0.0.2", 60_000)]))).outcome, "saved");

      await server.stop(true);
      for (let i = 0; i < 2; i++) {
        let t0 = Date.now();
        await assert.rejects(store.lookup(aor), Error);
        assert.ok(Date.now() - t0 < 2000, `lookup failed within ${Date.now() - t0} ms`);
        t0 = Date.now();
        await assert.rejects(store.save(save(aor, 10 + i, [change("sip:a@127.0.0.2", 60_000)])), Error);
        assert.ok(Date.now() - t0 < 2000, `save failed within ${Date.now() - t0} ms`);
      }

      await server.restart();
      const t0 = Date.now();
      let served = false;
      while (!served && Date.now() - t0 < 10_000) {
        try {
          served = (await store.save(save(aor, 100, [change("sip:a@127.0.0.2", 60_000)]))).outcome === "saved";
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(served, "serves again after the restart");
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
      // A fresh server has no scripts cached: EVALSHA falls back to EVAL.
      assert.deepEqual((await store.lookup(aor)).map((b) => b.cseq), [100]);
    } finally {
      await store.close();
      await server.stop();
    }
  });
});
