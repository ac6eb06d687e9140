import { after } from "node:test";
import { Redis } from "ioredis";
import { startRedisServer, type EngineProcess } from "@sipfleet/testing";
import { abuseStoreContract } from "./abuse-store-contract.js";
import { MemoryAbuseStore } from "./abuse-store.js";
import { RedisAbuseStore } from "./redis-abuse-store.js";

let engine: Promise<EngineProcess> | undefined;
const redisServer = () => (engine ??= startRedisServer());
after(async () => {
  if (engine !== undefined) await (await engine).stop();
});

abuseStoreContract("MemoryAbuseStore", async () => {
  const store = new MemoryAbuseStore();
  return { store, cleanup: () => store.close() };
});

abuseStoreContract("RedisAbuseStore", async () => {
  const redis = new Redis((await redisServer()).url, { enableAutoPipelining: true });
  const store = new RedisAbuseStore(redis);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await redis.quit();
    },
  };
});
