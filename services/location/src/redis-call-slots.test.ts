import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startRedisServer, type EngineProcess } from "@sipfleet/testing";
import { callSlotsContract } from "@sipfleet/bindings/testing";
import { GrpcBindingStore } from "@sipfleet/location-client";
import { startLocationService } from "./location-service.js";
import { RedisCallSlots } from "./redis-call-slots.js";

let engine: Promise<EngineProcess> | undefined;
const redisServer = () => (engine ??= startRedisServer());
after(async () => {
  if (engine !== undefined) await (await engine).stop();
});

callSlotsContract("RedisCallSlots", async () => {
  const redis = new Redis((await redisServer()).url, { enableAutoPipelining: true });
  return { slots: new RedisCallSlots(redis), cleanup: async () => void (await redis.quit()) };
});

// The whole path the proxy uses: GrpcBindingStore → two location replicas → one Redis.
callSlotsContract("GrpcBindingStore → location service → Redis", async () => {
  const url = (await redisServer()).url;
  const replicas = await Promise.all([0, 1].map(() => startLocationService({ listen: "127.0.0.1:0", store: url })));
  const client = new GrpcBindingStore(replicas.map((r) => r.address));
  return {
    slots: client,
    cleanup: async () => {
      await client.close();
      for (const r of replicas) await r.stop();
    },
  };
});

describe("RedisCallSlots keys", () => {
  it("a refused acquire leaves no slot and no index entry behind; a release empties both", async () => {
    const redis = new Redis((await redisServer()).url);
    try {
      const slots = new RedisCallSlots(redis, "test-keys:");
      assert.equal((await slots.acquireCallSlots({ callId: "held", inviteCseq: 1, claims: [{ key: "trunk:t", limit: 1 }], ttlMs: 60_000 })).acquired, true);
      const refused = await slots.acquireCallSlots({ callId: "x", inviteCseq: 1, claims: [{ key: "user:a", limit: 1 }, { key: "trunk:t", limit: 1 }, { key: "user:b", limit: 1 }], ttlMs: 60_000 });
      assert.deepEqual(refused, { acquired: false, fullKey: "trunk:t" });
      assert.deepEqual((await redis.keys("test-keys:*")).sort(), ["test-keys:{call:held}:a", "test-keys:{trunk:t}:z"]);
      assert.equal(await redis.exists("test-keys:{call:x}:a", "test-keys:{user:a}:z", "test-keys:{user:b}:z"), 0);
      assert.ok((await redis.pttl("test-keys:{trunk:t}:z")) > 0, "a slot key expires by itself");
      assert.equal(await slots.releaseCallSlots("held", 0), 1);
      assert.equal(await redis.zcard("test-keys:{trunk:t}:z"), 0);
      assert.equal(await redis.scard("test-keys:{call:held}:a"), 0);
    } finally {
      await redis.quit();
    }
  });
});
