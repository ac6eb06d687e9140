import { after } from "node:test";
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
