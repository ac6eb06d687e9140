import { after } from "node:test";
import { startRedisSentinel, type RedisSentinelSet } from "@sipfleet/testing";
import { bindingStoreContract } from "@sipfleet/bindings/testing";
import { RedisBindingStore } from "./redis-binding-store.js";

// Redis with Sentinel of this test's own (a master, a replica, three sentinels): the store finds
// the master through the sentinels (REDIS_URL redis+sentinel://...). Its failover is tested in
// @sipfleet/redis-connection.
let sentinel: Promise<RedisSentinelSet> | undefined;
after(async () => {
  if (sentinel !== undefined) await (await sentinel).stop();
});

bindingStoreContract("RedisBindingStore on Redis with Sentinel (redis+sentinel:// URL)", async () => {
  const { url } = await (sentinel ??= startRedisSentinel({ replicas: 1, sentinels: 3 }));
  const store = new RedisBindingStore(url);
  return { store, cleanup: () => store.close() };
});
